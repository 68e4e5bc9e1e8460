import 'reflect-metadata';
import pino from 'pino';
import { openDatabase } from '../app/database';
import { createServices } from '../app/services';
import { ConfigError, loadProcessConfig } from '../core/config/config';
import { REDACTED_PATHS } from '../core/logging/logger';
import { forEachActiveTenant } from '../jobs/tenant-fan-out';
import { printToStdout } from './cli-output';

/**
 * `npm run onboarding:init`: records the onboarding state of every active tenant that
 * predates onboarding (its state row, and completion where every step is already done),
 * and prints one line per tenant. Idempotent: a second run changes nothing and says so.
 * Exit codes: 0 done, 1 a tenant failed (the others are done), 2 configuration error.
 */
async function main(): Promise<number> {
  const config = loadProcessConfig();
  // Logs on stderr: stdout carries the report.
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'tenantql', role: 'onboarding-init' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const db = await openDatabase(config, logger, 'tenantql-onboarding-init');
  try {
    const { onboarding, tenants, tenantMigrator } = createServices(config, db.dataSource, db.url);
    let initialized = 0;
    let unchanged = 0;
    const summary = await forEachActiveTenant(
      { dataSource: db.dataSource, tenants, tenantMigrator },
      { logger, touch: async () => undefined },
      async (manager, tenant) => {
        const outcome = await onboarding.initialize(manager, tenant);
        const { steps, completed } = outcome.status;
        const progress = `${steps.filter((s) => s.completed).length}/${steps.length} steps done${completed ? ', onboarding complete' : ''}`;
        if (outcome.initialized) initialized++;
        else unchanged++;
        printToStdout(`${tenant.slug}: ${outcome.initialized ? 'initialised' : 'already initialised'} (${progress})`);
      },
      { job: 'onboarding.init' },
    );
    for (const failure of summary.failed) printToStdout(`${failure.tenant.slug}: FAILED: ${failure.error}`);
    printToStdout(
      `onboarding:init: ${initialized} initialised, ${unchanged} already initialised, ${summary.failed.length} failed` +
        (summary.skipped ? `, ${summary.skipped} skipped (schema not at this code's version: run migrate up)` : ''),
    );
    return summary.failed.length ? 1 : 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `onboarding:init: ${error instanceof ConfigError ? `invalid configuration: ${error.problems.join('; ')}` : error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  },
);
