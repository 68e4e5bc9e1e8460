import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { waitFor } from '../faults/dedicated-postgres';
import type { GraphQLResponse } from '../support/test-app';

const root = path.resolve(__dirname, '../..');

/** One pino line of a child, parsed. */
export interface LogLine {
  level: number;
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface AppProcess {
  /** What the test calls it in messages: "api-1", "worker-2". */
  name: string;
  child: ChildProcess;
  pid: number;
  /** Every JSON log line it wrote so far. */
  logs: LogLine[];
  /** Resolves with the signal (or exit code) that ended it. */
  exited: Promise<NodeJS.Signals | number | null>;
  /** Ends it with `signal` (if still running) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface ApiProcess extends AppProcess {
  url: string;
  gql<T, V>(document: TypedDocumentNode<T, V>, variables: V, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
}

/**
 * Starts src/main.ts or src/worker.ts as production runs them: its own Node process, configured
 * only by environment variables (`.env` is not read: the file does not exist in the test tree,
 * and every variable the test relies on is set explicitly).
 */
function spawnApp(name: string, entry: 'src/main.ts' | 'src/worker.ts', env: Record<string, string>, ready: (line: LogLine) => boolean): Promise<AppProcess> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let stderr = '';
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const app: AppProcess = {
    name,
    child,
    pid: child.pid!,
    logs,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (data: Buffer) => {
      pending += data.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const text of lines) {
        if (!text.startsWith('{')) continue;
        const line = JSON.parse(text) as LogLine;
        logs.push(line);
        if (ready(line)) resolve(app);
      }
    });
    child.stderr!.on('data', (data: Buffer) => (stderr = (stderr + data.toString('utf8')).slice(-20_000)));
    void exited.then((how) =>
      reject(new Error(`${name} ended (${how}) before it was ready:\n${stderr}\n${logs.map((l) => JSON.stringify(l)).join('\n').slice(-5_000)}`)),
    );
  });
}

/** The API on `port` (chosen by the test: with PORT=0 the bound port would only be in the log). */
export async function startApi(name: string, port: number, env: Record<string, string>): Promise<ApiProcess> {
  const app = await spawnApp(name, 'src/main.ts', { ...env, HOST: '127.0.0.1', PORT: String(port) }, (line) => line.msg.includes('listening on'));
  const url = `http://127.0.0.1:${port}`;
  return {
    ...app,
    url,
    gql: async (document, variables, headers = {}) => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: print(document), variables }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
  };
}

export function startWorker(name: string, env: Record<string, string>): Promise<AppProcess> {
  return spawnApp(name, 'src/worker.ts', env, (line) => line.msg === 'job runner started');
}

/** Kills whatever is still running (afterAll, also after a failure): SIGKILL, nothing to drain in a test. */
export async function killAll(processes: (AppProcess | undefined)[]): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop('SIGKILL')));
}

/** Waits until `process` has logged a line matching `match`, and returns it. */
export function waitForLog(process: AppProcess, what: string, match: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
  return waitFor(what, async () => process.logs.find(match), timeoutMs);
}
