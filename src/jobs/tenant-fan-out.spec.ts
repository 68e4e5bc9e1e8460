import pino from 'pino';
import { captureLogger } from '../../test/support/jobs';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { loadConfig } from '../core/config/config';
import { requireTenantScope, runInSchema } from '../core/tenancy/tenant-scope';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { forEachActiveTenant } from './tenant-fan-out';

describe('forEachActiveTenant (real PostgreSQL, one schema per tenant)', () => {
  let database: TestDatabase;
  let db: Database;
  let tenants: TenantService;
  const schemas: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const customerCount = async (slug: string) =>
    runInSchema(db.dataSource, schemas[slug], async (m) => (await m.query('SELECT count(*)::int AS count FROM customers'))[0].count as number);

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url });
    db = await openDatabase(config, pino({ level: 'silent' }));
    tenants = new TenantService(db.dataSource, new TenantMigrator(db.dataSource), { databaseUrl: db.url, backupDir: config.backupDir, pgDumpPath: config.pgDumpPath });
    // alpha has 1 customer, beta 2, gamma 3; delta is suspended and must be left alone.
    for (const [index, slug] of ['alpha', 'beta', 'gamma', 'delta'].entries()) {
      const tenant = await tenants.provision({ slug, name: slug });
      schemas[slug] = tenant.schemaName;
      ids[slug] = tenant.id;
      await runInSchema(db.dataSource, tenant.schemaName, (m) => m.query(`INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, $1) g`, [index + 1]));
    }
    await tenants.suspend(ids.delta);
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  it('runs each active tenant in its own schema and transaction; one failing does not stop the others', async () => {
    const { logger, lines } = captureLogger();
    const seen: Record<string, { customers: number; scope: string }> = {};
    const summary = await forEachActiveTenant({ dataSource: db.dataSource, tenants }, { logger, touch: async () => undefined }, async (manager, tenant) => {
      await manager.query(`INSERT INTO customers (name) VALUES ('added by the job')`);
      const [{ count }] = await manager.query('SELECT count(*)::int AS count FROM customers');
      seen[tenant.slug] = { customers: count, scope: requireTenantScope().tenant.slug };
      if (tenant.slug === 'beta') throw new Error('beta is broken');
    });

    // Unqualified table names reached each tenant's own schema, in its own tenant scope.
    expect(seen).toEqual({
      alpha: { customers: 2, scope: 'alpha' },
      beta: { customers: 3, scope: 'beta' },
      gamma: { customers: 4, scope: 'gamma' },
    });
    expect(summary.tenants).toBe(3);
    expect(summary.failed).toEqual([{ tenant: expect.objectContaining({ id: ids.beta, slug: 'beta' }), error: 'beta is broken' }]);
    // The failing tenant's work was rolled back; the others' committed.
    expect([await customerCount('alpha'), await customerCount('beta'), await customerCount('gamma'), await customerCount('delta')]).toEqual([2, 2, 4, 4]);

    expect(lines).toContainEqual(
      expect.objectContaining({ level: 50, tenantId: ids.beta, tenantSlug: 'beta', err: expect.objectContaining({ message: 'beta is broken' }) }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, tenants: 3, failed: 1, failedTenants: [ids.beta] }));
  });
});
