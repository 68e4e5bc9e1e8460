import type { DataSource } from 'typeorm';
import { loadMigrations, migrationDirs } from '../../core/database/migration-set';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import { schemaCatalog } from '../../../test/support/schema-catalog';
import { createTestDatabase, openTestDataSource, type TestDatabase } from '../../../test/support/test-database';
import { TenantMigrator } from './tenant-migrator';
import { TenantSpares } from './tenant-spares';
import { TenantService, type TenantServiceOptions } from './tenant.service';

describe('spare tenant schemas (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;
  let spares: TenantSpares;
  const serviceWith = (options: Partial<TenantServiceOptions> = {}) =>
    new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: '/tmp',
      pgDumpPath: 'pg_dump',
      spares,
      ...options,
    });
  const spareSchemas = async (): Promise<string[]> =>
    (
      await dataSource.query(
        `SELECT s.schema_name AS name FROM public.tenant_schema_spares s
           JOIN pg_namespace n ON n.nspname = s.schema_name ORDER BY s.created_at`,
      )
    ).map((r: { name: string }) => r.name);

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 10);
    migrator = new TenantMigrator(dataSource);
    spares = new TenantSpares(dataSource, migrator, 3);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('keeps the target ready; createTenant renames one, and the tenant is the same as one made table by table', async () => {
    expect(await spares.refill()).toEqual({ dropped: 0, created: 3, ready: 3 });
    expect(await spares.refill()).toEqual({ dropped: 0, created: 0, ready: 3 });
    const [oldest] = await spareSchemas();

    const fromSpare = await serviceWith().provision({ name: 'Spared', slug: 'spared' });
    const spareLeft = await spareSchemas();
    expect(spareLeft).toHaveLength(2);
    expect(spareLeft).not.toContain(oldest);
    const [{ exists }] = await dataSource.query('SELECT to_regnamespace($1) IS NOT NULL AS exists', [oldest]);
    expect(exists).toBe(false);

    // Control: the same provisioning with no spare creates the tables itself.
    const byTables = await serviceWith({ spares: undefined }).provision({ name: 'Tables', slug: 'by-tables' });
    expect(await spareSchemas()).toEqual(spareLeft);
    expect(await schemaCatalog(dataSource, fromSpare.schemaName)).toEqual(
      await schemaCatalog(dataSource, byTables.schemaName),
    );
    expect(fromSpare).toMatchObject({ status: 'ACTIVE', schemaVersion: migrator.latestVersion });
    const [{ n }] = await dataSource.query(
      'SELECT count(*)::int AS n FROM public.tenant_migrations WHERE tenant_id = $1',
      [fromSpare.id],
    );
    expect(n).toBe(migrator.migrations.length);

    // It serves as a tenant: defaults and constraints work under its new name.
    const customer = await runInTenantScope(dataSource, { id: fromSpare.id }, async (em) => {
      await em.query(`INSERT INTO customers (name) VALUES ('Ada')`);
      return (await em.query('SELECT id, name FROM customers'))[0];
    });
    expect(customer).toMatchObject({ name: 'Ada', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('a failed provisioning leaves its spare a spare; concurrent ones take different spares', async () => {
    await spares.refill();
    const before = await spareSchemas();
    const failing = serviceWith({
      onProvisioned: async () => {
        throw new Error('the trial could not start');
      },
    });
    await expect(failing.provision({ name: 'Fails', slug: 'fails' })).rejects.toMatchObject({
      details: { reason: 'PROVISIONING_FAILED' },
    });
    expect(await spareSchemas()).toEqual(before);

    const created = await Promise.all(
      [1, 2, 3, 4].map((i) => serviceWith().provision({ name: `Burst ${i}`, slug: `burst-${i}` })),
    );
    expect(new Set(created.map((t) => t.schemaName)).size).toBe(4);
    expect(await spareSchemas()).toEqual([]); // three from spares, the fourth made its own tables
    for (const tenant of created) {
      const [{ tables }] = await dataSource.query(
        'SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = $1',
        [tenant.schemaName],
      );
      expect(tables).toBeGreaterThan(20);
    }
  });

  it('spares of another schema version are never taken, and the job replaces them', async () => {
    const older = new TenantMigrator(dataSource, loadMigrations(migrationDirs.tenant).slice(0, -1));
    await new TenantSpares(dataSource, older, 2).refill();
    const stale = await spareSchemas();
    expect(stale).toHaveLength(2);

    const tenant = await serviceWith().provision({ name: 'Current', slug: 'current' });
    expect(await spareSchemas()).toEqual(stale);
    const [{ automation }] = await dataSource.query(
      `SELECT to_regclass($1 || '.automation_rules') IS NOT NULL AS automation`,
      [tenant.schemaName],
    );
    expect(automation).toBe(true); // made with every migration, not from an older spare

    expect(await spares.refill()).toEqual({ dropped: 2, created: 3, ready: 3 });
    const gone = await dataSource.query('SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [stale]);
    expect(gone).toEqual([]);
  });
});
