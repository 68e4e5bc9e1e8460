import 'reflect-metadata';
import { inspect } from 'node:util';
import { ConfigError, loadProcessConfig } from '../core/config/config';
import { sharedSessionPooler } from '../core/database/session-check';
import { messageOf, openCliDatabase } from './cli-database';
import { MIGRATE_FLAGS, parseMigrateArgs, USAGE, UsageError } from './migrate-options';
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
  const [{ PublicMigrator }, { TenantMigrator }, { runMigrateCommand }, { createProgress, printToStdout }] =
    await Promise.all([
      import('../core/database/public-migrator'),
      import('../modules/tenants'),
      import('./migrate-commands'),
      import('./cli-output'),
    ]);
  // Every tenant in flight holds a connection, and the public lock holds one more.
  const db = await openCliDatabase(config, 'migrate', options.concurrency + 2);
  const interrupt = stopOnSignal();
  try {
    if (options.command === 'up' || options.command === 'revert') await refuseSessionSharingPooler(db.url);
    return await runMigrateCommand(
      {
        dataSource: db.dataSource,
        publicMigrator: new PublicMigrator(db.dataSource),
        tenantMigrator: new TenantMigrator(db.dataSource),
        print: printToStdout,
        notice: (line) => process.stderr.write(`${line}\n`),
        progress: (label) => createProgress(label),
        signal: interrupt.signal,
      },
      options,
    );
  } finally {
    interrupt.dispose();
    await db.close();
  }
}

/**
 * The first SIGINT/SIGTERM lets the tenants in flight commit and starts no other (the summary then says what is
 * left, exit 130); a second one stops at once (their transactions roll back). Either way a rerun resumes.
 */
function stopOnSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write(`migrate: ${name}: finishing the tenants in flight, starting no other (again: stop now)\n`);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const name of signals) process.on(name, onSignal);
  return {
    signal: controller.signal,
    dispose: () => signals.forEach((name) => process.off(name, onSignal)),
  };
}

/** A setup that must not be used (exit code 2, like a configuration error). */
class SetupError extends Error {}

/** Migrations hold a session advisory lock: through a transaction-mode pooler it would protect nothing. */
async function refuseSessionSharingPooler(url: string): Promise<void> {
  const evidence = await sharedSessionPooler(url);
  if (evidence) {
    throw new SetupError(
      `DATABASE_URL goes through a pooler that shares sessions (PgBouncer in transaction mode: ${evidence}); ` +
        'migrations need a session of their own: run them with the direct PostgreSQL URL',
    );
  }
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
  if (error instanceof SetupError) {
    process.stderr.write(`migrate: ${error.message}\n`);
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
