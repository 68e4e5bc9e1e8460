import { spawn } from 'node:child_process';
import path from 'node:path';
import { nodeEntryArgs } from './node-entry';

const ROOT = path.resolve(__dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A CLI as operators run it: a separate process, configured by the environment only.
 * `isolated` passes nothing of this process's environment but PATH and HOME.
 */
export function runCli(
  script: string,
  args: string[],
  env: Record<string, string>,
  options: { isolated?: boolean } = {},
): Promise<CliRun> {
  const base = options.isolated
    ? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }
    : { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn' };
  return runCommand(process.execPath, [...nodeEntryArgs(script), ...args], { ...base, ...env });
}

/** Any command (`npm`, `npx`…) run from the repository root with exactly `env`: its exit code and output. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
