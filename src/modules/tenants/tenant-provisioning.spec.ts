import type { DataSource } from 'typeorm';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { entities } from '../../app/entities';
import { createDataSource } from '../../core/database/data-source';
import { loadMigrations, migrationDirs, type MigrationEntry } from '../../core/database/migration-set';
import { AppError } from '../../core/errors/app-error';
import { schemaCatalog } from '../../../test/support/schema-catalog';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { TenantMigrator } from './tenant-migrator';
import { TenantService } from './tenant.service';

/** Creates a table (so there is something to leave behind), then fails. */
const exploding: MigrationEntry = {
  name: 'Explode1799999999999',
  timestamp: 1799999999999,
  migration: {
    up: async (q) => {
      await q.query('CREATE TABLE half_done (id int)');
      throw new Error('boom');
    },
    down: async () => undefined,
  },
};

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as AppError,
  );

describe('tenant provisioning (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;
  let service: TenantService;
  const serviceWith = (m: TenantMigrator) =>
    new TenantService(dataSource, m, { databaseUrl: database.url, backupDir: '/tmp', pgDumpPath: 'pg_dump' });

  const tenantSchemas = async (): Promise<string[]> => {
    const rows: { nspname: string }[] = await dataSource.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' ORDER BY 1`,
    );
    return rows.map((r) => r.nspname);
  };
  const catalogOf = (schema: string) => schemaCatalog(dataSource, schema);
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await dataSource.query(sql, params))[0].count);

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({
      url: database.url,
      entities,
      pool: { poolMax: 10, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 },
    });
    await dataSource.initialize();
    migrator = new TenantMigrator(dataSource);
    service = serviceWith(migrator);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('leaves no schema, row or ledger rows when a migration fails, and a retry with the same slug succeeds', async () => {
    const schemasBefore = await tenantSchemas();
    const ledgerBefore = await count('SELECT count(*) FROM public.tenant_migrations');
    const failing = serviceWith(new TenantMigrator(dataSource, [...loadMigrations(migrationDirs.tenant), exploding]));

    const error = await rejection(failing.provision({ name: 'Phoenix', slug: 'phoenix' }));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', details: { reason: 'PROVISIONING_FAILED' } });
    expect(String((error!.cause as Error).message)).toContain('Explode1799999999999: boom');
    expect(await tenantSchemas()).toEqual(schemasBefore);
    expect(await count(`SELECT count(*) FROM public.tenants WHERE slug = 'phoenix'`)).toBe(0);
    expect(await count('SELECT count(*) FROM public.tenant_migrations')).toBe(ledgerBefore);

    const tenant = await service.provision({ name: 'Phoenix', slug: 'phoenix' });
    expect(tenant).toMatchObject({
      slug: 'phoenix',
      status: 'ACTIVE',
      schemaVersion: migrator.latestVersion,
      migrationError: null,
    });
    expect(await tenantSchemas()).toEqual([...schemasBefore, tenant.schemaName].sort());
    const ledger = await dataSource.query('SELECT name FROM public.tenant_migrations WHERE tenant_id = $1', [
      tenant.id,
    ]);
    expect(ledger.map((r: { name: string }) => r.name).sort()).toEqual(migrator.migrations.map((m) => m.name).sort());
  });

  it("provisions later tenants with the first one's statements as one script, giving the same catalog", async () => {
    const fresh = serviceWith(new TenantMigrator(dataSource));
    const sent = jest.spyOn(PostgresQueryRunner.prototype, 'query');
    try {
      const first = await fresh.provision({ name: 'Step by step', slug: 'by-steps' });
      const firstStatements = sent.mock.calls.length;
      sent.mockClear();
      const second = await fresh.provision({ name: 'Scripted', slug: 'by-script' });
      expect(firstStatements).toBeGreaterThan(50); // every migration statement on its own
      expect(sent.mock.calls.length).toBeLessThan(15); // the script, the row, the ledger
      const expected = await catalogOf(first.schemaName);
      expect(expected.length).toBeGreaterThan(200);
      expect(await catalogOf(second.schemaName)).toEqual(expected);
      expect(second).toMatchObject({ status: 'ACTIVE', schemaVersion: migrator.latestVersion });
      // Control: the comparison sees a difference as small as one index.
      await dataSource.query(`DROP INDEX "${second.schemaName}".articles_created_at_id_idx`);
      expect(await catalogOf(second.schemaName)).not.toEqual(expected);
    } finally {
      sent.mockRestore();
    }
  });

  it('answers a taken slug with CONFLICT and an invalid one with BAD_USER_INPUT, creating nothing', async () => {
    await service.provision({ name: 'Taken', slug: 'taken' });
    const schemasBefore = await tenantSchemas();
    expect(await rejection(service.provision({ name: 'Again', slug: 'taken' }))).toMatchObject({
      code: 'CONFLICT',
      details: { field: 'slug' },
    });
    expect(await rejection(service.provision({ name: 'Bad', slug: 'Not A Slug' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { reason: 'INVALID_SLUG' },
    });
    expect(await tenantSchemas()).toEqual(schemasBefore);
  });

  it('lets exactly one of several concurrent provisionings of the same slug succeed', async () => {
    const schemasBefore = await tenantSchemas();
    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => service.provision({ name: `Race ${i}`, slug: 'race' })),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((a) => (a.reason as AppError).code)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    expect(await count(`SELECT count(*) FROM public.tenants WHERE slug = 'race'`)).toBe(1);
    expect((await tenantSchemas()).length).toBe(schemasBefore.length + 1);
  });

  it("inside a caller's transaction: a failure undoes only the provisioning and search_path is restored", async () => {
    const failing = serviceWith(new TenantMigrator(dataSource, [...loadMigrations(migrationDirs.tenant), exploding]));
    const outcome = await dataSource.transaction(async (em) => {
      const [{ search_path: before }] = await em.query('SHOW search_path');
      const failed = await rejection(failing.provision({ name: 'Inner', slug: 'inner-fail' }, em));
      const tenant = await service.provision({ name: 'Inner', slug: 'inner-ok' }, em);
      const [{ search_path: after }] = await em.query('SHOW search_path');
      return { before, after, failed, tenant };
    });
    expect(outcome.failed).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', details: { reason: 'PROVISIONING_FAILED' } });
    expect(outcome.after).toBe(outcome.before);
    expect(await count(`SELECT count(*) FROM public.tenants WHERE slug IN ('inner-fail', 'inner-ok')`)).toBe(1);
    expect(await tenantSchemas()).toContain(outcome.tenant.schemaName);
  });
});
