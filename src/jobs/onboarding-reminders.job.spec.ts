import pino from 'pino';
import { TEST_PASSWORD } from '../../test/support/accounts';
import { startSmtpTestServer, type SmtpTestServer } from '../../test/support/smtp-test-server';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { openDatabase, type Database } from '../app/database';
import { createServices, type Services } from '../app/services';
import { loadConfig } from '../core/config/config';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import { onboardingRemindersJob, type OnboardingRemindersDependencies } from './onboarding-reminders.job';

const FRONTEND = 'https://app.example.test';
const logger = pino({ level: 'silent' });

describe('onboarding reminders job (controllable clock, real PostgreSQL, real SMTP)', () => {
  let database: TestDatabase;
  let db: Database;
  let smtp: SmtpTestServer;
  let services: Services;
  let env: Record<string, string>;
  let now = new Date();
  let signUps = 0;

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    database = await createTestDatabase();
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      FRONTEND_URL: FRONTEND,
      AUTH_RATE_LIMIT_PER_HOUR: '1000',
      ...smtp.env,
    };
    const config = loadConfig(env);
    db = await openDatabase(config, logger);
    services = createServices(config, db.dataSource, db.url, { now: () => now });
  });
  afterAll(async () => {
    await services.auth.whenIdle();
    await db.close();
    await database.drop();
    await smtp.close();
  });

  /** A business signed up through the accounts service, backdated to `createdAt`. */
  async function business(name: string, createdAt: string, timezone?: string): Promise<ScopedTenant> {
    const email = `owner${++signUps}@reminders.test`;
    const payload = await services.auth.register(
      { email, password: TEST_PASSWORD, firstName: `Owner${signUps}`, lastName: 'Tester', businessName: name },
      { ip: '127.0.0.1' },
    );
    const tenant = payload.signUpTenant!;
    await db.dataSource.query('UPDATE public.tenants SET created_at = $2 WHERE id = $1', [tenant.id, createdAt]);
    const scoped: ScopedTenant = { id: tenant.id, slug: tenant.slug, status: 'ACTIVE', schema: tenant.schemaName };
    if (timezone) await inTenant(scoped, (m) => services.settings.update(m, { timezone }));
    return scoped;
  }

  const inTenant = <T>(tenant: ScopedTenant, work: (manager: import('typeorm').EntityManager) => Promise<T>) =>
    runInSchema(db.dataSource, tenant.schema, work, tenant);

  async function runAt(iso: string, withServices: OnboardingRemindersDependencies = services): Promise<void> {
    now = new Date(iso);
    await onboardingRemindersJob(withServices).run({}, { logger, touch: async () => undefined });
  }

  /** Reminder mails in the outbox for the tenant, as their reminder days. */
  async function remindersOf(tenant: ScopedTenant): Promise<number[]> {
    const rows: { key: string }[] = await db.dataSource.query(
      `SELECT idempotency_key AS key FROM public.email_outbox WHERE idempotency_key LIKE $1 ORDER BY created_at`,
      [`onboarding-reminder:${tenant.id}:%`],
    );
    return rows.map((r) => Number(r.key.split(':')[2]));
  }

  it('sends the day 3 and day 7 reminders exactly once each, from the configured hour on', async () => {
    const tenant = await business('Steady Progress', '2026-03-02T08:00:00Z');
    await runAt('2026-03-04T10:00:00Z'); // day 2
    await runAt('2026-03-05T09:59:00Z'); // day 3, before 10:00
    expect(await remindersOf(tenant)).toEqual([]);
    await runAt('2026-03-05T10:00:00Z');
    expect(await remindersOf(tenant)).toEqual([3]);
    for (const later of [
      '2026-03-05T11:00:00Z',
      '2026-03-05T23:00:00Z',
      '2026-03-06T10:00:00Z',
      '2026-03-08T10:00:00Z',
    ])
      await runAt(later);
    expect(await remindersOf(tenant)).toEqual([3]);
    await runAt('2026-03-09T10:00:00Z');
    await runAt('2026-03-09T11:00:00Z');
    await runAt('2026-03-10T10:00:00Z');
    await runAt('2026-03-12T10:00:00Z');
    expect(await remindersOf(tenant)).toEqual([3, 7]);

    // What the owner receives: the remaining steps and a link to continue.
    await services.mailOutbox.deliverDue();
    const mail = smtp.messages.find((m) => m.subject === 'Finish setting up Steady Progress on tenantql')!;
    expect(mail.text).toContain(
      'Steady Progress is 0% set up. Still to do: Complete your business profile, Invite a team member',
    );
    expect(mail.text).toContain(`${FRONTEND}/onboarding`);
  });

  it("respects the hour in the tenant's timezone", async () => {
    // Kathmandu is UTC+05:45: 10:00 there is 04:15 UTC.
    const kathmandu = await business('Himalayan Goods', '2026-04-01T08:00:00Z', 'Asia/Kathmandu');
    const london = await business('Thames Supplies', '2026-04-01T08:00:00Z');
    await runAt('2026-04-04T04:14:00Z');
    expect(await remindersOf(kathmandu)).toEqual([]);
    await runAt('2026-04-04T04:15:00Z');
    expect(await remindersOf(kathmandu)).toEqual([3]);
    expect(await remindersOf(london)).toEqual([]);
    await runAt('2026-04-04T10:00:00Z');
    expect(await remindersOf(london)).toEqual([3]);
  });

  it('follows ONBOARDING_REMINDER_HOUR', async () => {
    const early = createServices(loadConfig({ ...env, ONBOARDING_REMINDER_HOUR: '7' }), db.dataSource, db.url, {
      now: () => now,
    });
    const tenant = await business('Early Birds', '2026-07-01T12:00:00Z');
    await runAt('2026-07-04T06:59:00Z', early);
    expect(await remindersOf(tenant)).toEqual([]);
    await runAt('2026-07-04T07:00:00Z', early);
    expect(await remindersOf(tenant)).toEqual([3]);
  });

  it('sends a missed reminder the next day, never later', async () => {
    const dayFour = await business('Late Runner', '2026-05-01T08:00:00Z');
    const dayFive = await business('Much Later', '2026-04-30T08:00:00Z');
    // The first run since these tenants were created (the process was down on the days before).
    await runAt('2026-05-05T10:00:00Z');
    expect(await remindersOf(dayFour)).toEqual([3]);
    expect(await remindersOf(dayFive)).toEqual([]);
  });

  it('sends none once onboarding is complete', async () => {
    const finished = await business('Quick Starter', '2026-06-01T08:00:00Z');
    const actor = { kind: 'platform-admin' } as const;
    await inTenant(finished, async (m) => {
      for (const step of (await services.onboarding.status(m, finished)).steps)
        await services.onboarding.markStep(m, finished, step.key, actor);
    });
    for (const day of ['2026-06-04', '2026-06-05', '2026-06-08', '2026-06-09']) await runAt(`${day}T10:00:00Z`);
    expect(await remindersOf(finished)).toEqual([]);
  });

  it('visits only tenants of an age a reminder may be due at: not one created in the last two days', async () => {
    const [fresh, dueToday] = [
      await business('Brand New', '2026-08-10T09:00:00Z'),
      await business('Three Days Old', '2026-08-07T08:00:00Z'),
    ];
    const visited: string[] = [];
    const counting = {
      ...services,
      onboarding: {
        reminderWindow: () => services.onboarding.reminderWindow(),
        sendDueReminder: (manager: import('typeorm').EntityManager, tenant: ScopedTenant) => {
          visited.push(tenant.id);
          return services.onboarding.sendDueReminder(manager, tenant);
        },
      },
    };
    await runAt('2026-08-10T10:00:00Z', counting);
    expect(visited).toContain(dueToday.id);
    expect(visited).not.toContain(fresh.id);
    expect(await remindersOf(dueToday)).toEqual([3]);
  });
});
