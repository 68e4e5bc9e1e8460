import type { DataSource } from 'typeorm';
import { TenantMigrator, TenantService } from '../../modules/tenants';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../../test/support/test-database';
import { metricsRegistry, observeDataSource } from '../observability/metrics';
import { countMigrationStates } from './tenant-migration-state';

describe('tenant migration states (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 3);
    migrator = new TenantMigrator(dataSource);
    const service = new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: '/tmp',
      pgDumpPath: 'pg_dump',
    });
    const ids: Record<string, string> = {};
    for (const slug of ['current', 'behind', 'failed', 'ahead', 'stale'])
      ids[slug] = (await service.provision({ name: slug, slug })).id;
    await migrator.revertLast({ tenant: 'behind' });
    await migrator.revertLast({ tenant: 'failed' });
    await dataSource.query(`UPDATE public.tenants SET migration_error = 'boom' WHERE id = $1`, [ids.failed]);
    // Older code on a newer database: the ledger names a migration this code does not know.
    await dataSource.query(
      `INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, 'AddLater1999000000000')`,
      [ids.ahead],
    );
    // An error left from before a repair: the tenant is up to date, so it counts as such.
    await dataSource.query(`UPDATE public.tenants SET migration_error = 'old news' WHERE id = $1`, [ids.stale]);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('classifies every tenant once, in one query, as migrate:status and doctor do', async () => {
    const names = migrator.migrations.map((m) => m.name);
    expect(await countMigrationStates(dataSource, names)).toEqual({ up_to_date: 2, behind: 1, ahead: 1, failed: 1 });
    const states = Object.fromEntries((await migrator.status()).map((s) => [s.tenant.slug, s.state]));
    expect(states).toEqual({
      current: 'up_to_date',
      behind: 'behind',
      failed: 'failed',
      ahead: 'ahead',
      stale: 'up_to_date',
    });
  });

  it('exposes tenantql_tenant_migrations{state} on scrape', async () => {
    const stop = observeDataSource(dataSource);
    try {
      const text = `${await metricsRegistry.getSingleMetricAsString('tenantql_tenant_migrations')}\n`;
      for (const [state, count] of [
        ['up_to_date', 2],
        ['behind', 1],
        ['ahead', 1],
        ['failed', 1],
      ]) {
        expect(text).toContain(`tenantql_tenant_migrations{state="${state}"} ${count}\n`);
      }
    } finally {
      stop();
    }
  });
});
