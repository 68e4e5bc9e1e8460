import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { TEST_PASSWORD } from '../../../test/support/accounts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { openDatabase, type Database } from '../../app/database';
import { createServices, type Services } from '../../app/services';
import { loadConfig } from '../../core/config/config';
import { runInSchema, type ScopedTenant } from '../../core/tenancy/tenant-scope';
import { SlaStatus } from './sla-status';
import { TicketPriority, TicketStatus } from './ticket-enums';

const logger = pino({ level: 'silent' });

describe('SLA clock of tickets (controllable clock, real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Database;
  let services: Services;
  let now = new Date('2026-03-02T09:00:00Z');
  let tenant: ScopedTenant;
  let actor: { tenantId: string; userId: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      AUTH_RATE_LIMIT_PER_HOUR: '1000',
    });
    db = await openDatabase(config, logger);
    services = createServices(config, db.dataSource, db.url, { now: () => now });
    // A new organization is on a PROFESSIONAL trial, which has sla_policies.
    const signedUp = await services.auth.register(
      {
        email: 'sla@tickets.test',
        password: TEST_PASSWORD,
        firstName: 'Sal',
        lastName: 'Tester',
        businessName: 'SLA Desk',
      },
      { ip: '127.0.0.1' },
    );
    const org = signedUp.signUpTenant!;
    tenant = { id: org.id, slug: org.slug, status: 'ACTIVE', schema: org.schemaName };
    actor = { tenantId: org.id, userId: signedUp.user.id };
    await inTenant((em) =>
      services.slaPolicies.create(em, tenant.id, {
        name: 'Urgent',
        priority: TicketPriority.URGENT,
        firstResponseMinutes: 10,
        resolutionMinutes: 60,
        businessHoursOnly: false,
      }),
    );
  });
  afterAll(async () => {
    await services.auth.whenIdle();
    await db.close();
    await database.drop();
  });

  const inTenant = <T>(work: (em: EntityManager) => Promise<T>) =>
    runInSchema(db.dataSource, tenant.schema, work, tenant);
  const at = (hhmm: string) => (now = new Date(`2026-03-02T${hhmm}:00Z`));
  const open = (priority = TicketPriority.URGENT) =>
    inTenant((em) => services.tickets.create(em, actor, { subject: 'Down', description: '', priority, tags: [] }));
  const statusOf = async (id: string) => (await inTenant((em) => services.tickets.get(em, id))).slaStatus;
  const setStatus = (id: string, status: TicketStatus) =>
    inTenant((em) => services.tickets.update(em, actor, id, { status }));
  const reply = (id: string, internal = false) =>
    inTenant((em) => services.tickets.addMessage(em, actor, id, 'On it', internal));

  it('moves ON_TRACK → AT_RISK at 80% of the first-response time → BREACHED after it', async () => {
    at('09:00');
    const ticket = await open();
    expect(ticket.firstResponseDueAt).toEqual(new Date('2026-03-02T09:10:00Z'));
    expect(ticket.resolutionDueAt).toEqual(new Date('2026-03-02T10:00:00Z'));
    at('09:07');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.ON_TRACK);
    await reply(ticket.id, true); // an internal note is no response
    at('09:08');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.AT_RISK);
    at('09:10');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.AT_RISK);
    at('09:11');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.BREACHED);
    await reply(ticket.id); // a late reply does not undo the breach
    await setStatus(ticket.id, TicketStatus.RESOLVED);
    expect(await statusOf(ticket.id)).toBe(SlaStatus.BREACHED);
  });

  it('stops the clock while PENDING: the resolution deadline moves on by the pause', async () => {
    at('09:00');
    const ticket = await open();
    at('09:05');
    await reply(ticket.id);
    at('09:30');
    await setStatus(ticket.id, TicketStatus.PENDING);
    at('10:30'); // 30 minutes past the original deadline, but waiting on the customer
    expect(await statusOf(ticket.id)).toBe(SlaStatus.ON_TRACK);
    const reopened = await setStatus(ticket.id, TicketStatus.OPEN);
    expect(reopened.resolutionDueAt).toEqual(new Date('2026-03-02T11:00:00Z'));
    expect(reopened.firstResponseDueAt).toEqual(new Date('2026-03-02T09:10:00Z')); // met already: not moved
    at('10:47'); // 47 of 60 minutes used
    expect(await statusOf(ticket.id)).toBe(SlaStatus.ON_TRACK);
    at('10:48'); // 48 of 60: 80%
    expect(await statusOf(ticket.id)).toBe(SlaStatus.AT_RISK);
    at('11:01');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.BREACHED);
  });

  it('is MET when answered and resolved in time, and stays MET later; no policy means no SLA', async () => {
    at('09:00');
    const ticket = await open();
    at('09:09');
    await reply(ticket.id);
    at('09:50');
    const resolved = await setStatus(ticket.id, TicketStatus.RESOLVED);
    expect(resolved).toMatchObject({ slaStatus: SlaStatus.MET, resolvedAt: new Date('2026-03-02T09:50:00Z') });
    at('23:00');
    expect(await statusOf(ticket.id)).toBe(SlaStatus.MET);

    const unmanaged = await open(TicketPriority.LOW);
    expect(unmanaged).toMatchObject({ slaStatus: null, firstResponseDueAt: null, resolutionDueAt: null });
  });

  it('filters by slaStatus in the database exactly as it reports the status', async () => {
    at('09:00');
    const paused = await open();
    at('09:09');
    await setStatus(paused.id, TicketStatus.PENDING); // paused while AT_RISK: stays AT_RISK
    const fresh = await open();
    const seen = new Set<string>();
    for (const time of ['09:09', '09:55', '10:48', '11:01', '23:00']) {
      at(time);
      const all = await inTenant((em) => services.tickets.list(em, { first: 100 }));
      for (const status of Object.values(SlaStatus)) {
        const filtered = await inTenant((em) =>
          services.tickets.list(em, { first: 100, filter: { slaStatus: status } }),
        );
        const expected = all.edges.filter((e) => e.node.slaStatus === status).map((e) => e.node.id);
        expect(filtered.edges.map((e) => e.node.id)).toEqual(expected);
        if (expected.length) seen.add(status);
      }
    }
    expect([...seen].sort()).toEqual(Object.values(SlaStatus).sort()); // every status was compared at least once
    expect(await statusOf(paused.id)).toBe(SlaStatus.AT_RISK);
    expect(await statusOf(fresh.id)).toBe(SlaStatus.BREACHED);
  });
});
