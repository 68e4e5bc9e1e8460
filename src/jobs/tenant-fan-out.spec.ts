import pino from 'pino';
import { captureLogger, startTestRunner, waitFor } from '../../test/support/jobs';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { loadConfig } from '../core/config/config';
import { requireTenantScope, runInSchema } from '../core/tenancy/tenant-scope';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { metrics } from '../core/observability/metrics';
import { forEachActiveTenant, tenantSweepJob } from './tenant-fan-out';

describe('forEachActiveTenant (real PostgreSQL, one schema per tenant)', () => {
  let database: TestDatabase;
  let db: Database;
  let tenants: TenantService;
  const schemas: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const customerCount = async (slug: string) =>
    runInSchema(
      db.dataSource,
      schemas[slug],
      async (m) => (await m.query('SELECT count(*)::int AS count FROM customers'))[0].count as number,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url });
    db = await openDatabase(config, pino({ level: 'silent' }));
    tenants = new TenantService(db.dataSource, new TenantMigrator(db.dataSource), {
      databaseUrl: db.url,
      backupDir: config.backupDir,
      pgDumpPath: config.pgDumpPath,
    });
    // alpha has 1 customer, beta 2, gamma 3; delta is suspended and must be left alone.
    for (const [index, slug] of ['alpha', 'beta', 'gamma', 'delta'].entries()) {
      const tenant = await tenants.provision({ slug, name: slug });
      schemas[slug] = tenant.schemaName;
      ids[slug] = tenant.id;
      await runInSchema(db.dataSource, tenant.schemaName, (m) =>
        m.query(`INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, $1) g`, [index + 1]),
      );
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
    const reported: number[] = [];
    const reportTenantFailures = (n: number) => void reported.push(n);
    const context = { logger, touch: async () => undefined, reportTenantFailures };
    const deps = { dataSource: db.dataSource, tenants, tenantMigrator: new TenantMigrator(db.dataSource) };
    const summary = await forEachActiveTenant(
      deps,
      context,
      async (manager, tenant) => {
        await manager.query(`INSERT INTO customers (name) VALUES ('added by the job')`);
        const [{ count }] = await manager.query('SELECT count(*)::int AS count FROM customers');
        seen[tenant.slug] = { customers: count, scope: requireTenantScope().tenant.slug };
        if (tenant.slug === 'beta') throw new Error('beta is broken');
      },
      { job: 'test.fan-out' },
    );

    // Unqualified table names reached each tenant's own schema, in its own tenant scope.
    expect(seen).toEqual({
      alpha: { customers: 2, scope: 'alpha' },
      beta: { customers: 3, scope: 'beta' },
      gamma: { customers: 4, scope: 'gamma' },
    });
    expect(summary.tenants).toBe(3);
    expect(summary.failed).toEqual([
      { tenant: expect.objectContaining({ id: ids.beta, slug: 'beta' }), error: 'beta is broken' },
    ]);
    // The failing tenant's work was rolled back; the others' committed.
    expect([
      await customerCount('alpha'),
      await customerCount('beta'),
      await customerCount('gamma'),
      await customerCount('delta'),
    ]).toEqual([2, 2, 4, 4]);

    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        tenantId: ids.beta,
        tenantSlug: 'beta',
        err: expect.objectContaining({ message: 'beta is broken' }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, tenants: 3, failed: 1, failedTenants: [ids.beta] }),
    );
    expect(reported).toEqual([1]);
  });

  it('a sweep run by the job runner counts its failed tenants in tenantql_job_tenant_failures_total', async () => {
    const name = 'test.sweep.failing';
    const failures = async () =>
      (await metrics.jobTenantFailures.get()).values.find((v) => v.labels.name === name)?.value;
    const runs = async (outcome: string) =>
      (await metrics.jobs.get()).values.find((v) => v.labels.name === name && v.labels.outcome === outcome)?.value ?? 0;
    const sweep = tenantSweepJob({
      name,
      every: '1 hour',
      deps: { dataSource: db.dataSource, tenantMigrator: new TenantMigrator(db.dataSource), now: () => new Date() },
      message: 'swept',
      visit: async (_manager, tenant) => {
        if (tenant.slug !== 'alpha') throw new Error(`${tenant.slug} is broken`);
        return { counts: { swept: 1 }, nextDueAt: null };
      },
    });
    const { logger, lines } = captureLogger();
    const runner = await startTestRunner(db.url, [sweep], logger);
    try {
      expect(await failures()).toBe(0); // the series exists from the start, for alerts
      await waitFor(async () => (await runs('success')) >= 1, 'the sweep to run');
    } finally {
      await runner.stop();
    }
    // The run succeeded (one tenant's failure does not fail it) and its two failed tenants were counted.
    expect(await runs('failure')).toBe(0);
    expect(await failures()).toBe(2);
    // Routine lines are debug; the summary logged at stop is info and names the failed tenants' count.
    expect(lines).toContainEqual(expect.objectContaining({ level: 20, job: name, msg: 'job finished' }));
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: 'job runs summary',
        jobs: { [name]: { runs: 1, failures: 0, tenantFailures: 2 } },
      }),
    );
    const infoLines = lines.filter((l) => (l.level as number) === 30).map((l) => l.msg);
    expect(infoLines).toEqual(['job runner started', 'swept', 'job runs summary']);
  });
});
