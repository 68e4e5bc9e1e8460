import type { MigrationInterface, QueryRunner } from 'typeorm';
import { loadMigrations, migrationDirs, type MigrationEntry } from '../src/core/database/migration-set';
import { PublicMigrator } from '../src/core/database/public-migrator';
import { TenantMigrator } from '../src/modules/tenants';
import type { BenchContext, BenchSection } from './bench-context';
import { countTenants, provisionTenants } from './bench-tenants';
import { formatCount, formatMs, percentile, timed, type SectionResult } from './report';

const CONCURRENCY = 4;
const MIGRATE_ALL_TARGET_MS = 15_000;
const NO_OP_TARGET_MS = 1_000;
/** The no-op is a few milliseconds: report the median of several runs rather than one noisy sample. */
const NO_OP_RUNS = 5;

/** The kind of change a release ships most: a nullable column, one ALTER per tenant schema. */
class BenchAddCustomerNote9999999999999 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE customers ADD COLUMN bench_note text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE customers DROP COLUMN bench_note');
  }
}

const benchMigration: MigrationEntry = {
  name: BenchAddCustomerNote9999999999999.name,
  timestamp: 9_999_999_999_999,
  migration: new BenchAddCustomerNote9999999999999(),
};

async function columnCount(context: BenchContext): Promise<number> {
  const [{ count }] = await context.dataSource.query(
    `SELECT count(*)::int AS count FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'bench_note'`,
  );
  return count;
}

async function run(context: BenchContext): Promise<SectionResult> {
  const wanted = context.options.migrationTenants;
  const missing = Math.max(0, wanted - (await countTenants(context)));
  context.print(`  preparing: ${missing} more tenants to reach ${wanted} (provisioning, not timed)`);
  await provisionTenants(context, 'mig', missing);
  const tenants = await countTenants(context);

  const migrator = new TenantMigrator(context.dataSource, [...loadMigrations(migrationDirs.tenant), benchMigration]);
  context.print(`  applying ${benchMigration.name} to ${tenants} tenants, concurrency ${CONCURRENCY}`);
  const { result: summary, ms: migrateMs } = await timed(() => migrator.migrateAll({ concurrency: CONCURRENCY }));
  const altered = await columnCount(context);
  const migratedAll = summary.failed.length === 0 && summary.changed === tenants && altered === tenants;

  context.print(`  no-op migrate with ${tenants} tenants current, ${NO_OP_RUNS} runs`);
  const noOps: { publicMs: number; tenantMs: number; pending: number }[] = [];
  for (let i = 0; i < NO_OP_RUNS; i++) {
    const { ms: publicMs } = await timed(() => new PublicMigrator(context.dataSource).migrate());
    const { result, ms: tenantMs } = await timed(() => migrator.migrateAll({ concurrency: CONCURRENCY }));
    noOps.push({ publicMs, tenantMs, pending: result.total });
  }
  const noOpMs = percentile(
    noOps.map((r) => r.publicMs + r.tenantMs),
    50,
  );
  const noOpWasNoOp = noOps.every((r) => r.pending === 0);

  const section = `migrations (${formatCount(tenants)} tenants)`;
  const notes: string[] = [];
  if (!migratedAll) {
    notes.push(
      `WARNING: migrateAll changed ${summary.changed}/${tenants} tenants, ${summary.failed.length} failed` +
        (summary.failed[0] ? ` (first: ${summary.failed[0].tenant.slug}: ${summary.failed[0].error})` : '') +
        `, column present in ${altered}`,
    );
  }
  if (!noOpWasNoOp) notes.push('WARNING: the no-op migrate found tenants behind');
  return {
    rows: [
      {
        section,
        measurement: `ALTER TABLE … ADD COLUMN via migrateAll`,
        figure: formatMs(migrateMs),
        comparison: `${formatMs(migrateMs / tenants)} per tenant; target < ${formatMs(MIGRATE_ALL_TARGET_MS)}`,
      },
      { section, measurement: 'migrateAll concurrency', figure: String(CONCURRENCY) },
      {
        section,
        measurement: `no-op migrate (median of ${NO_OP_RUNS})`,
        figure: formatMs(noOpMs),
        comparison: `public ${formatMs(
          percentile(
            noOps.map((r) => r.publicMs),
            50,
          ),
        )} + tenants ${formatMs(
          percentile(
            noOps.map((r) => r.tenantMs),
            50,
          ),
        )}; target < ${formatMs(NO_OP_TARGET_MS)}`,
      },
    ],
    targets: [
      {
        name: `migrate ${formatCount(tenants)} tenants (concurrency ${CONCURRENCY})`,
        figure: formatMs(migrateMs),
        goal: `< ${formatMs(MIGRATE_ALL_TARGET_MS)}`,
        met: migratedAll && migrateMs < MIGRATE_ALL_TARGET_MS,
      },
      {
        name: `no-op migrate, ${formatCount(tenants)} tenants`,
        figure: formatMs(noOpMs),
        goal: `< ${formatMs(NO_OP_TARGET_MS)}`,
        met: noOpWasNoOp && noOpMs < NO_OP_TARGET_MS,
      },
    ],
    notes,
  };
}

export const migrationsSection: BenchSection = { title: '3–4. Tenant migrations', run };
