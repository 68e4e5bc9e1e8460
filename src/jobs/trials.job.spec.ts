import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { TEST_PASSWORD } from '../../test/support/accounts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { createServices, type Services } from '../app/services';
import { loadConfig } from '../core/config/config';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import { TrialService } from '../modules/payments';
import { PlanCode } from '../modules/plans';
import { trialsJob } from './trials.job';

const FRONTEND = 'https://app.example.test';
const logger = pino({ level: 'silent' });
const DAY = 86_400_000;

describe('trials job (controllable clock, real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Database;
  let services: Services;
  let now = new Date('2026-03-01T09:00:00Z');
  let signUps = 0;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      FRONTEND_URL: FRONTEND,
      AUTH_RATE_LIMIT_PER_HOUR: '1000',
    });
    db = await openDatabase(config, logger);
    services = createServices(config, db.dataSource, db.url, { now: () => now });
  });
  afterAll(async () => {
    await services.auth.whenIdle();
    await db.close();
    await database.drop();
  });

  /** A business signed up at the current clock: its owner, and a trial of TRIAL_DAYS (14) on PROFESSIONAL. */
  async function business(name: string): Promise<ScopedTenant & { ownerEmail: string }> {
    const ownerEmail = `owner${++signUps}@trials.test`;
    const payload = await services.auth.register(
      {
        email: ownerEmail,
        password: TEST_PASSWORD,
        firstName: `Owner${signUps}`,
        lastName: 'Tester',
        businessName: name,
      },
      { ip: '127.0.0.1' },
    );
    const tenant = payload.signUpTenant!;
    return { id: tenant.id, slug: tenant.slug, status: 'ACTIVE', schema: tenant.schemaName, ownerEmail };
  }

  const inTenant = <T>(tenant: ScopedTenant, work: (manager: EntityManager) => Promise<T>) =>
    runInSchema(db.dataSource, tenant.schema, work, tenant);
  const subscriptionOf = (tenant: ScopedTenant) =>
    db.dataSource.transaction((em) => services.plans.getSubscription(em, tenant.id));

  async function runAt(iso: string): Promise<void> {
    now = new Date(iso);
    await trialsJob(services.payments.trials).run({}, { logger, touch: async () => undefined });
  }

  async function remindersTo(tenant: ScopedTenant): Promise<{ to_address: string; subject: string; text: string }[]> {
    return db.dataSource.query(
      `SELECT to_address, subject, text FROM public.email_outbox WHERE idempotency_key LIKE $1`,
      [`trial-ending:${tenant.id}:%`],
    );
  }

  it('reminds the owners once, three days before the end, then moves an unpaid trial to FREE on time; paid tenants are untouched', async () => {
    now = new Date('2026-03-01T09:00:00Z');
    const trial = await business('Trial Shop');
    const paid = await business('Paid Shop');
    expect(await subscriptionOf(trial)).toMatchObject({
      plan: 'PROFESSIONAL',
      status: 'TRIALING',
      trialEndsAt: new Date('2026-03-15T09:00:00Z'),
    });

    // Over FREE's limit of 5 customers during the trial.
    await inTenant(trial, async (m) => {
      for (let i = 0; i < 6; i++) await services.customers.create(m, trial.id, { name: `Customer ${i}` });
    });
    // The other business pays during its trial.
    await db.dataSource.transaction((em) =>
      services.plans.activatePlan(em, paid.id, PlanCode.STARTER, {
        periodStart: new Date('2026-03-03T00:00:00Z'),
        periodEnd: new Date('2026-04-03T00:00:00Z'),
      }),
    );

    await runAt('2026-03-11T10:00:00Z'); // 3 days 23 hours before the end
    expect(await remindersTo(trial)).toEqual([]);
    await runAt('2026-03-12T10:00:00Z'); // 2 days 23 hours before
    await runAt('2026-03-13T10:00:00Z');
    await runAt('2026-03-14T10:00:00Z');
    const reminders = await remindersTo(trial);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]).toMatchObject({
      to_address: trial.ownerEmail,
      subject: 'Your tenantql trial for Trial Shop ends on 2026-03-15',
    });
    expect(reminders[0].text).toContain('The Professional trial of Trial Shop ends on 2026-03-15.');
    expect(reminders[0].text).toContain(`${FRONTEND}/billing/plans`);
    expect(await remindersTo(paid)).toEqual([]);

    await runAt('2026-03-15T08:59:59Z');
    expect((await subscriptionOf(trial)).status).toBe('TRIALING');
    await runAt('2026-03-15T09:00:00Z');
    expect(await subscriptionOf(trial)).toMatchObject({ plan: 'FREE', status: 'CANCELED' });
    const [{ plan }] = await db.dataSource.query('SELECT plan FROM public.tenants WHERE id = $1', [trial.id]);
    expect(plan).toBe('FREE');
    expect(await subscriptionOf(paid)).toMatchObject({ plan: 'STARTER', status: 'ACTIVE' });

    // Data kept: all six stay readable; a seventh cannot be created on FREE.
    const listed = await inTenant(trial, (m) => services.customers.list(m, { first: 50, withTotalCount: true }));
    expect(listed.totalCount).toBe(6);
    await expect(
      inTenant(trial, (m) => services.customers.create(m, trial.id, { name: 'One too many' })),
    ).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });

    // Later runs change nothing.
    await runAt('2026-03-16T00:15:00Z');
    expect(await subscriptionOf(trial)).toMatchObject({ plan: 'FREE', status: 'CANCELED' });
    expect(await remindersTo(trial)).toHaveLength(1);
  });

  it('does not downgrade a tenant that paid after the expired trials were listed', async () => {
    now = new Date('2026-05-01T09:00:00Z');
    const racer = await business('Last Minute Payer');
    now = new Date('2026-05-15T09:00:01Z');
    const staleListing = await services.plans.expiredTrials(now);
    expect(staleListing.map((s) => s.tenantId)).toContain(racer.id);
    // The payment lands between the listing and the expiry.
    await db.dataSource.transaction((em) =>
      services.plans.activatePlan(em, racer.id, PlanCode.PROFESSIONAL, {
        periodStart: now,
        periodEnd: new Date(now.getTime() + 30 * DAY),
      }),
    );
    const trials = new TrialService({
      dataSource: db.dataSource,
      plans: {
        cancelToFree: (em, tenantId) => services.plans.cancelToFree(em, tenantId),
        expiredTrials: async () => staleListing,
        tenantsWithTrialEndingBetween: async () => [],
      },
      catalog: services.planCatalog,
      notifier: { trialEnding: async () => 0 },
      now: () => now,
    });
    const summary = await trials.run(logger);
    expect(summary.expired).toBe(0);
    expect(await subscriptionOf(racer)).toMatchObject({ plan: 'PROFESSIONAL', status: 'ACTIVE' });
  });
});
