import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { captureLogger } from '../../test/support/jobs';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { loadConfig } from '../core/config/config';
import { markTenantDue } from '../core/jobs/tenant-due-work';
import { metrics } from '../core/observability/metrics';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { sweepDueTenants, type SweepDependencies, type SweepVisit } from './tenant-fan-out';

const MINUTE = 60_000;

describe('sweepDueTenants: only tenants with due work are visited (real PostgreSQL, one schema per tenant)', () => {
  let database: TestDatabase;
  let db: Database;
  let deps: SweepDependencies;
  let now = new Date('2026-05-04T10:00:00Z');
  const tenants: ScopedTenant[] = [];
  const slugs = ['t1', 't2', 't3', 't4', 't5', 't6'];
  const tenant = (slug: string) => tenants.find((t) => t.slug === slug)!;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url });
    db = await openDatabase(config, pino({ level: 'silent' }));
    const service = new TenantService(db.dataSource, new TenantMigrator(db.dataSource), {
      databaseUrl: db.url,
      backupDir: config.backupDir,
      pgDumpPath: config.pgDumpPath,
    });
    for (const slug of slugs) {
      const t = await service.provision({ slug, name: slug });
      tenants.push({ id: t.id, slug, status: 'ACTIVE', schema: t.schemaName });
    }
    deps = { dataSource: db.dataSource, tenantMigrator: new TenantMigrator(db.dataSource), now: () => now };
  });
  afterAll(async () => {
    await db.close();
    await database.drop();
  });

  const context = () => ({ ...captureLogger(), touch: async () => undefined });
  /** Runs a sweep of `job` whose visit records the schema it ran in; `next` says when each tenant is due next. */
  async function sweep(
    job: string,
    next: (slug: string) => Date | null = () => new Date(now.getTime() + 60 * MINUTE),
    extra: (manager: EntityManager, tenant: ScopedTenant) => Promise<void> = async () => undefined,
  ) {
    const visited: string[] = [];
    const ctx = context();
    const summary = await sweepDueTenants(job, deps, ctx, async (manager, t): Promise<SweepVisit<{ n: number }>> => {
      const [{ schema }] = await manager.query('SELECT current_schema() AS schema');
      visited.push(tenants.find((x) => x.schema === schema)!.slug);
      await extra(manager, t);
      return { counts: { n: 1 }, nextDueAt: next(t.slug) };
    });
    return { visited: visited.sort(), summary, lines: ctx.lines };
  }
  const markDue = (slug: string, job: string, at: Date) =>
    runInSchema(db.dataSource, tenant(slug).schema, (m) => markTenantDue(m, job, at), tenant(slug));
  const later = (minutes: number) => (now = new Date(now.getTime() + minutes * MINUTE));

  it('visits every tenant once when nothing is known yet, then exactly the k tenants with due work', async () => {
    const job = 'test.sweep.due';
    // No row yet counts as due: the first run visits all six and records when each is next due (in an hour).
    expect((await sweep(job)).visited).toEqual(slugs);
    expect((await sweep(job)).visited).toEqual([]);

    // k = 2 of N = 6 get due work now; t5's comes in 10 minutes, and is not visited before.
    await markDue('t2', job, now);
    await markDue('t4', job, new Date(now.getTime() - MINUTE));
    await markDue('t5', job, new Date(now.getTime() + 10 * MINUTE));
    const run = await sweep(job);
    expect(run.visited).toEqual(['t2', 't4']);
    expect(run.summary).toMatchObject({ tenants: 2, failed: [], skipped: 0, counts: { n: 2 } });
    expect((await sweep(job)).visited).toEqual([]);

    later(10);
    expect((await sweep(job)).visited).toEqual(['t5']);
    // The hour the first run wrote has come for the others.
    later(51);
    expect((await sweep(job)).visited).toEqual(['t1', 't2', 't3', 't4', 't6']);
  });

  it('a tenant with no known work is visited again within 3 to 6 hours (a missed due-work write heals)', async () => {
    const job = 'test.sweep.idle';
    expect((await sweep(job, () => null)).visited).toEqual(slugs);
    later(2 * 60 + 59);
    expect((await sweep(job, () => null)).visited).toEqual([]);
    later(3 * 60 + 2);
    expect((await sweep(job, () => null)).visited).toEqual(slugs);
  });

  it('work marked due while the visit runs is not overwritten by the visit: the tenant is visited again', async () => {
    const job = 'test.sweep.race';
    await sweep(job);
    await markDue('t3', job, now);
    // During t3's visit another transaction (a request) creates work due now and commits.
    const run = await sweep(job, undefined, async (_m, t) => {
      if (t.slug === 't3') await markDue('t3', job, now);
    });
    expect(run.visited).toEqual(['t3']);
    later(1);
    expect((await sweep(job)).visited).toEqual(['t3']);
    expect((await sweep(job)).visited).toEqual([]);
  });

  it('a failing tenant rolls back alone and is tried again at the next run', async () => {
    const job = 'test.sweep.failing';
    await sweep(job);
    for (const slug of ['t1', 't2']) await markDue(slug, job, now);
    const failing = await sweep(job, undefined, async (m, t) => {
      await m.query(`INSERT INTO customers (name) VALUES ('by the sweep')`);
      if (t.slug === 't1') throw new Error('t1 is broken');
    });
    expect(failing.visited).toEqual(['t1', 't2']);
    expect(failing.summary.failed).toEqual([
      { tenant: expect.objectContaining({ slug: 't1' }), error: 't1 is broken' },
    ]);
    const customers = (slug: string) =>
      runInSchema(
        db.dataSource,
        tenant(slug).schema,
        async (m) => (await m.query('SELECT count(*)::int AS n FROM customers'))[0].n,
      );
    expect([await customers('t1'), await customers('t2')]).toEqual([0, 1]);
    later(1);
    expect((await sweep(job)).visited).toEqual(['t1']);
  });

  describe('tenants whose schema is not at the code version', () => {
    const skippedCount = async (job: string) =>
      (await metrics.jobTenantsSkipped.get()).values.find((v) => v.labels.name === job)?.value ?? 0;
    const setVersion = (slug: string, version: string | null) =>
      db.dataSource.query('UPDATE public.tenants SET schema_version = $2 WHERE id = $1', [tenant(slug).id, version]);
    const code = () => deps.tenantMigrator.latestVersion;

    it('are skipped and counted (summary, log, tenantql_job_tenants_skipped_total), and taken once migrated', async () => {
      const job = 'test.sweep.behind';
      await sweep(job);
      for (const slug of ['t1', 't6']) await markDue(slug, job, now);
      await setVersion('t6', 'Older1764000000000#3');
      try {
        const run = await sweep(job);
        expect(run.visited).toEqual(['t1']);
        expect(run.summary.skipped).toBe(1);
        expect(await skippedCount(job)).toBe(1);
        expect(run.lines).toContainEqual(
          expect.objectContaining({
            level: 30,
            skipped: 1,
            msg: "tenants skipped: their schema is not at the code's version",
          }),
        );
      } finally {
        await setVersion('t6', code());
      }
      expect((await sweep(job)).visited).toEqual(['t6']);
    });

    it('a migration that commits during the visit rolls the visit back and counts the tenant as skipped', async () => {
      const job = 'test.sweep.moved';
      await sweep(job);
      await markDue('t2', job, now);
      try {
        const run = await sweep(job, undefined, async (m) => {
          await m.query(`INSERT INTO customers (name) VALUES ('met a moved schema')`);
          await setVersion('t2', `${code()}+1`); // what `migrate up` commits, from another connection
        });
        expect(run.visited).toEqual(['t2']);
        expect(run.summary).toMatchObject({ tenants: 1, failed: [], skipped: 1 });
        const [{ n }] = await runInSchema(db.dataSource, tenant('t2').schema, (m) =>
          m.query(`SELECT count(*)::int AS n FROM customers WHERE name = 'met a moved schema'`),
        );
        expect(n).toBe(0);
      } finally {
        await setVersion('t2', code());
      }
      later(1);
      expect((await sweep(job)).visited).toEqual(['t2']);
    });
  });
});
