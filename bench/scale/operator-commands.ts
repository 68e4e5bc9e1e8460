import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MigrationEntry } from '../../src/core/database/migration-set';
import { loadMigrations, migrationDirs } from '../../src/core/database/migration-set';
import { PublicMigrator } from '../../src/core/database/public-migrator';
import { runChecks } from '../../src/cli/doctor-checks';
import { runMigrateCommand } from '../../src/cli/migrate-commands';
import { parseMigrateArgs } from '../../src/cli/migrate-options';
import { TenantMigrator } from '../../src/modules/tenants';
import type { BenchContext } from '../bench-context';
import { progressPrinter, timed } from '../report';

/** The change a release ships most: one nullable column in every tenant schema. */
const scaleColumn: MigrationEntry = {
  name: 'ScaleBenchColumn9999999999998',
  timestamp: 9_999_999_999_998,
  migration: {
    up: (q) => q.query('ALTER TABLE customers ADD COLUMN scale_bench_note text').then(() => undefined),
    down: (q) => q.query('ALTER TABLE customers DROP COLUMN scale_bench_note').then(() => undefined),
  },
};

export interface CommandFigures {
  ms: number;
  /** Result lines printed (stdout of the CLI). */
  lines: number;
  bytes: number;
  failed: boolean;
}

/**
 * Runs one `npm run migrate…` command through the CLI's own code (argument parsing included), in this process:
 * its wall time without the process start, and what it printed.
 */
export async function migrateCommand(
  context: BenchContext,
  argv: string[],
  migrations: MigrationEntry[] = loadMigrations(migrationDirs.tenant),
): Promise<CommandFigures> {
  const options = parseMigrateArgs(argv)!;
  let lines = 0;
  let bytes = 0;
  const { result, ms } = await timed(() =>
    runMigrateCommand(
      {
        dataSource: context.dataSource,
        publicMigrator: new PublicMigrator(context.dataSource),
        tenantMigrator: new TenantMigrator(context.dataSource, migrations),
        print: (line) => {
          lines += 1;
          bytes += Buffer.byteLength(line) + 1;
        },
        notice: (line) => context.print(`    migrate: ${line}`),
        progress: (label) => {
          let tick: (done: number) => void = () => undefined;
          let done = 0;
          return {
            start: (total) => (tick = progressPrinter(`  ${argv[0]} ${label}`, total, context.print)),
            tick: () => tick(++done),
            stop: () => undefined,
          };
        },
      },
      options,
    ),
  );
  return { ms, lines, bytes, failed: result !== 0 };
}

/** `migrate up` of the one-column migration across every tenant, then `migrate revert` of it (default concurrency). */
export async function migrateColumn(context: BenchContext): Promise<{ up: CommandFigures; revert: CommandFigures }> {
  const migrations = [...loadMigrations(migrationDirs.tenant), scaleColumn];
  const up = await migrateCommand(context, ['up', '--tenants-only'], migrations);
  const revert = await migrateCommand(context, ['revert'], migrations);
  return { up, revert };
}

/** `npm run doctor`'s checks, in this process; the wall time and the slowest check. */
export async function doctor(context: BenchContext): Promise<{ ms: number; slowest: string; failed: string[] }> {
  const doctorContext = { config: context.config, env: process.env, logger: context.logger, timeoutMs: 60_000 };
  const { result, ms } = await timed(() => runChecks(doctorContext));
  await (doctorContext as { database?: { close(): Promise<void> } }).database?.close();
  const slowest = [...result].sort((a, b) => b.durationMs - a.durationMs)[0];
  return {
    ms,
    slowest: slowest ? `${slowest.name} ${slowest.durationMs} ms` : 'none',
    failed: result.filter((r) => r.status === 'fail').map((r) => `${r.name}: ${r.message}`),
  };
}

/** A file name in the temp directory, removed by `removeTempFile`. */
export const tempFile = (suffix: string) =>
  path.join(os.tmpdir(), `tenantql-scale-${randomBytes(4).toString('hex')}${suffix}`);

export const removeTempFile = (file: string) => rm(file, { force: true, recursive: true });
