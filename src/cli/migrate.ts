import 'reflect-metadata';
import { inspect } from 'node:util';
import type { Database } from '../app/database';
import { ConfigError, loadProcessConfig, type AppConfig } from '../core/config/config';
import { MIGRATE_FLAGS, parseMigrateArgs, USAGE, UsageError, type MigrateOptions } from './migrate-options';
import { refuseNpmSwallowedFlags } from './npm-flags';

/**
 * `npm run migrate[:status|:sql|:revert]`: the operator's migration tool. Runs from the
 * compiled code (dist/), so it works in a production image. Exit codes: 0 done,
 * 1 failed, 2 usage or configuration error. Errors are one line on stderr; the stack
 * only with LOG_LEVEL=debug (or trace).
 */
async function main(argv: string[]): Promise<number> {
  if (refuseNpmSwallowedFlags('migrate', MIGRATE_FLAGS)) return 2;
  const options = parseMigrateArgs(argv);
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadProcessConfig();
  // Loaded once the arguments are known good: usage errors and --help answer without loading the ORM.
  const [{ PublicMigrator }, { TenantMigrator }, { runMigrateCommand }, { createProgress, printToStdout }] = await Promise.all([
    import('../core/database/public-migrator'),
    import('../modules/tenants'),
    import('./migrate-commands'),
    import('./cli-output'),
  ]);
  const db = await connect(config, options);
  try {
    return await runMigrateCommand(
      {
        dataSource: db.dataSource,
        publicMigrator: new PublicMigrator(db.dataSource),
        tenantMigrator: new TenantMigrator(db.dataSource),
        print: printToStdout,
        notice: (line) => process.stderr.write(`${line}\n`),
        progress: (label) => createProgress(label),
      },
      options,
    );
  } finally {
    await db.close();
  }
}

/** Logs go to stderr: stdout carries the result (status, SQL, summary) and must stay parseable. */
async function connect(config: AppConfig, options: MigrateOptions): Promise<Database> {
  const [{ default: pino }, { openDatabase }, { REDACTED_PATHS }] = await Promise.all([
    import('pino'),
    import('../app/database'),
    import('../core/logging/logger'),
  ]);
  const logger = pino(
    { level: config.logLevel, base: { service: 'tenantql', role: 'migrate' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: 2, sync: true }),
  );
  // Every tenant in flight holds a connection, and the public lock holds one more.
  const database = { ...config.database, poolMax: Math.max(config.database.poolMax, options.concurrency + 2) };
  try {
    return await openDatabase({ ...config, database }, logger, 'tenantql-migrate');
  } catch (error) {
    throw new Error(`cannot open the database: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message || error.name : String(error);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function report(error: unknown): number {
  const debug = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  if (error instanceof UsageError) {
    process.stderr.write(`migrate: ${error.message} (see --help)\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`migrate: invalid configuration: ${error.problems.join('; ')}\n`);
    return 2;
  }
  process.stderr.write(`migrate: ${messageOf(error)}\n`);
  if (debug) process.stderr.write(`${inspect(error)}\n`); // stack and cause chain
  return 1;
}

// exitCode, not exit(): the process ends once everything is closed, which also proves nothing was left open.
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => (process.exitCode = report(error)),
);
