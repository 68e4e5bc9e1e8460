import 'reflect-metadata';
import pino from 'pino';
import { openDatabase } from '../app/database';
import { ConfigError, loadProcessConfig } from '../core/config/config';
import { REDACTED_PATHS } from '../core/logging/logger';
import { seedPlanCatalog } from '../modules/plans';
import { printToStdout } from './cli-output';

/**
 * `npm run plans:init`: adds the default plans, limits and features that are missing,
 * one line per row (`✓ Created: FREE - invoices: 10`, `• Kept: …` with the value in the
 * database). Idempotent: existing rows are never changed. Running processes see new
 * rows within PLAN_CACHE_SECONDS. Exit codes: 0 done, 1 failed, 2 configuration error.
 */
async function main(): Promise<number> {
  const config = loadProcessConfig();
  // Logs on stderr: stdout carries the report.
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'tenantql', role: 'plans-init' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const db = await openDatabase(config, logger, 'tenantql-plans-init');
  try {
    const outcomes = await db.dataSource.transaction((em) => seedPlanCatalog(em));
    for (const o of outcomes) printToStdout(`${o.created ? '✓ Created' : '• Kept'}: ${o.plan} - ${o.item}: ${o.value}`);
    const created = outcomes.filter((o) => o.created).length;
    printToStdout(`plans:init: ${created} created, ${outcomes.length - created} kept`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(
      `plans:init: ${error instanceof ConfigError ? `invalid configuration: ${error.problems.join('; ')}` : error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  },
);
