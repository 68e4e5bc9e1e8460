import { parseArgs } from 'node:util';
import type { Database } from '../app/database';
import type { AppConfig } from '../core/config/config';

/** A failure worth one line: no stack unless LOG_LEVEL=debug. */
export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The database of an operator CLI, with logs on stderr (stdout carries the result and must stay
 * parseable) and a pool of at least `poolMax` connections.
 */
export async function openCliDatabase(config: AppConfig, role: string, poolMax: number): Promise<Database> {
  const [{ default: pino }, { openDatabase }, { REDACTED_PATHS }] = await Promise.all([
    import('pino'),
    import('../app/database'),
    import('../core/logging/logger'),
  ]);
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'tenantql', role },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const database = { ...config.database, poolMax: Math.max(config.database.poolMax, poolMax) };
  try {
    return await openDatabase({ ...config, database }, logger, `tenantql-${role}`);
  } catch (error) {
    throw new Error(`cannot open the database: ${messageOf(error)}`, { cause: error });
  }
}

/** A mistake in the command line or the setup: one line and exit code 2. */
export class CliUsageError extends Error {}

/** Runs a CLI's main: its exit code; 2 for usage and configuration errors, 1 for anything else (one line each). */
export function runCliMain(cli: string, main: () => Promise<number>): void {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      const problems = (error as { problems?: string[] }).problems;
      if (error instanceof CliUsageError) process.stderr.write(`${cli}: ${error.message}\n`);
      else if (problems) process.stderr.write(`${cli}: invalid configuration: ${problems.join('; ')}\n`);
      else process.stderr.write(`${cli}: ${messageOf(error)}\n`);
      const debug = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
      if (debug) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
      process.exitCode = error instanceof CliUsageError || problems ? 2 : 1;
    },
  );
}

/** `node:util` parseArgs with strict options, its errors as usage errors; undefined for --help. */
export function parseCliArgs(argv: string[], names: string[]): Record<string, string | undefined> | undefined {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    const all = { ...options, help: { type: 'boolean' as const, short: 'h' } };
    ({ values } = parseArgs({ args: argv, options: all, strict: true }));
  } catch (error) {
    throw new CliUsageError(`${(error as Error).message} (see --help)`);
  }
  if (values.help) return undefined;
  return Object.fromEntries(names.map((name) => [name, values[name] as string | undefined]));
}
