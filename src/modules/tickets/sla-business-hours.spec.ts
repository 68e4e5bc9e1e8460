import pino from 'pino';
import {
  AddTicketMessageDocument,
  BusinessHoursTicketDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  SlaReportDocument,
  TicketsDocument,
  UpdateBusinessHoursDocument,
  UpdateTicketDocument,
  type TicketPriority,
  type TicketStatus,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { slaCheckJob } from '../../jobs/sla-check.job';

const logger = pino({ level: 'silent' });

/**
 * An organization in Europe/Berlin (CET, +01:00, until 29 March 2026) open Monday to Friday 09:00-17:00:
 * URGENT tickets have a business-hours policy (60 minutes to respond, 480 to resolve), HIGH ones a
 * wall-clock policy (10 and 60 minutes).
 */
describe('business-hours SLA (controllable clock, real PostgreSQL, through HTTP)', () => {
  let app: TestApp;
  let now = new Date('2026-03-02T09:00:00Z');
  let owner: TestAccount;
  let agent: TestAccount;
  let org: { bearer: string; org: string };
  let schema: string;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' }, { now: () => now });
    owner = await signUp(app, 'owner@business-hours.test', 'Berlin Desk');
    agent = await signUp(app, 'agent@business-hours.test', 'Agent Home');
    await addMember(app, owner, agent, 'MEMBER');
    org = { bearer: owner.token, org: owner.tenant.slug };
    [{ schema }] = await app.dataSource.query('SELECT schema_name AS schema FROM public.tenants WHERE id = $1', [
      owner.tenant.id,
    ]);
    const settings = await app.gql(UpdateBusinessHoursDocument, { input: { timezone: 'Europe/Berlin' } }, org);
    // the default: Monday to Friday 09:00-17:00
    expect(settings.data!.updateTenantSettings.businessHours).toHaveLength(5);
    for (const input of [
      {
        name: 'Urgent (office hours)',
        priority: 'URGENT' as const,
        firstResponseMinutes: 60,
        resolutionMinutes: 480,
        businessHoursOnly: true,
      },
      { name: 'High', priority: 'HIGH' as const, firstResponseMinutes: 10, resolutionMinutes: 60 },
    ]) {
      expect((await app.gql(CreateSlaPolicyDocument, { input }, org)).errors).toBeUndefined();
    }
  });
  afterAll(() => app.close());

  /** Local Berlin time in March 2026 before the DST change (+01:00). */
  const at = (day: string, hhmm: string) => (now = new Date(`2026-03-${day}T${hhmm}:00+01:00`));
  const local = (day: string, hhmm: string) => new Date(`2026-03-${day}T${hhmm}:00+01:00`).toISOString();
  const runJob = () => slaCheckJob(app.services).run({}, { logger, touch: async () => undefined });
  async function open(subject: string, priority: TicketPriority = 'URGENT') {
    const res = await app.gql(CreateTicketDocument, { input: { subject, priority, assigneeId: agent.userId } }, org);
    expect(res.errors).toBeUndefined();
    // created_at is the database's clock: set it to the app's for the report.
    await app.dataSource.query(`UPDATE "${schema}".tickets SET created_at = $2 WHERE id = $1`, [
      res.data!.createTicket.id,
      now,
    ]);
    return res.data!.createTicket;
  }
  const ticket = async (id: string) => (await app.gql(BusinessHoursTicketDocument, { id }, org)).data!.ticket;
  async function setStatus(id: string, status: TicketStatus) {
    expect((await app.gql(UpdateTicketDocument, { id, input: { status } }, org)).errors).toBeUndefined();
  }
  async function reply(id: string) {
    expect((await app.gql(AddTicketMessageDocument, { ticketId: id, body: 'On it' }, org)).errors).toBeUndefined();
  }
  /** Runs the job at each local time (twice: a repeated run adds nothing) and returns the ticket's alert subjects. */
  async function alertsAfterRunsAt(subject: { number: number }, day: string, ...times: string[]): Promise<string[]> {
    for (const time of times) {
      at(day, time);
      await runJob();
      await runJob();
    }
    const rows: { subject: string }[] = await app.dataSource.query(
      `SELECT subject FROM public.email_outbox WHERE idempotency_key LIKE 'sla-alert:%' AND subject LIKE $1 ORDER BY created_at`,
      [`%: #${subject.number} %`],
    );
    return rows.map((r) => r.subject.split(':')[0]);
  }

  it('opened Friday 16:30 with 60 minutes to respond: due Monday 09:30, AT_RISK from 09:18; the job alerts at those instants', async () => {
    at('06', '16:30');
    const friday = await open('Friday afternoon');
    expect(await ticket(friday.id)).toMatchObject({
      slaBusinessHoursOnly: true,
      slaStatus: 'ON_TRACK',
      firstResponseDueAt: local('09', '09:30'),
      firstResponseAtRiskAt: local('09', '09:18'), // 48 business minutes: 30 on Friday, 18 on Monday
      resolutionDueAt: local('09', '16:30'), // 480: 30 on Friday, 450 on Monday
      resolutionAtRiskAt: local('09', '14:54'), // 384: 30 + 354
    });
    const wallClock = await open('Friday afternoon, wall clock', 'HIGH');
    expect(wallClock).toMatchObject({
      firstResponseDueAt: local('06', '16:40'),
      resolutionDueAt: local('06', '17:30'),
    });

    expect(await alertsAfterRunsAt(friday, '07', '12:00')).toEqual([]);
    expect(await alertsAfterRunsAt(friday, '09', '09:00', '09:17')).toEqual([]);
    expect((await ticket(friday.id)).slaStatus).toBe('ON_TRACK');
    expect(await alertsAfterRunsAt(friday, '09', '09:18')).toEqual(['SLA at risk']);
    expect((await ticket(friday.id)).slaStatus).toBe('AT_RISK');
    const atRisk = await app.gql(TicketsDocument, { filter: { slaStatus: 'AT_RISK' } }, org);
    expect(atRisk.data!.tickets.edges.map((e) => e.node.id)).toEqual([friday.id]);
    expect(await alertsAfterRunsAt(friday, '09', '09:30')).toEqual(['SLA at risk']);
    expect(await alertsAfterRunsAt(friday, '09', '09:31')).toEqual(['SLA at risk', 'SLA breached']);
    expect((await ticket(friday.id)).slaStatus).toBe('BREACHED');
    const [mail]: { text: string }[] = await app.dataSource.query(
      `SELECT text FROM public.email_outbox WHERE subject = $1`,
      [`SLA at risk: #${friday.number} Friday afternoon`],
    );
    expect(mail.text).toContain('needs its first response by 9 Mar 2026, 09:30 CET');

    // The report counts business minutes for this ticket (70 to respond, 90 to resolve) and wall-clock ones for the
    // other (5 and 20).
    at('09', '09:40');
    await reply(friday.id);
    at('09', '10:00');
    await setStatus(friday.id, 'RESOLVED');
    at('06', '16:35');
    await reply(wallClock.id);
    at('06', '16:50');
    await setStatus(wallClock.id, 'RESOLVED');
    at('09', '12:00');
    const report = await app.gql(SlaReportDocument, { from: local('06', '00:00'), to: local('07', '00:00') }, org);
    expect(report.data!.slaReport).toEqual({
      ticketsTotal: 2,
      slaTickets: 2,
      breachRate: 1 / 2,
      averageFirstResponseMinutes: (70 + 5) / 2,
      averageResolutionMinutes: (90 + 20) / 2,
      atRisk: 0,
    });
  });

  it('PENDING over a weekend pauses only the business minutes that pass: the deadlines keep the minutes left', async () => {
    at('13', '15:00');
    const waiting = await open('Waiting over the weekend');
    expect(await ticket(waiting.id)).toMatchObject({
      resolutionDueAt: local('16', '15:00'),
      resolutionAtRiskAt: local('16', '13:24'),
    });
    at('13', '15:30');
    await reply(waiting.id); // first response met after 30 minutes
    at('13', '16:00');
    await setStatus(waiting.id, 'PENDING'); // 60 of 480 resolution minutes used
    expect(await alertsAfterRunsAt(waiting, '14', '12:00')).toEqual([]);
    expect(await alertsAfterRunsAt(waiting, '16', '09:59')).toEqual([]);
    expect((await ticket(waiting.id)).slaStatus).toBe('ON_TRACK');
    at('16', '10:00');
    await setStatus(waiting.id, 'OPEN'); // 120 business minutes passed while paused (Friday 16-17, Monday 9-10)
    expect(await ticket(waiting.id)).toMatchObject({
      slaStatus: 'ON_TRACK',
      resolutionDueAt: local('16', '17:00'), // 420 minutes left from Monday 10:00
      resolutionAtRiskAt: local('16', '15:24'), // 324 left to the 80% mark
    });
    expect(await alertsAfterRunsAt(waiting, '16', '13:24', '15:23')).toEqual([]);
    expect(await alertsAfterRunsAt(waiting, '16', '15:24')).toEqual(['SLA at risk']);
    expect(await alertsAfterRunsAt(waiting, '16', '17:00')).toEqual(['SLA at risk']);
    expect(await alertsAfterRunsAt(waiting, '16', '17:01')).toEqual(['SLA at risk', 'SLA breached']);
  });

  it('a pause wholly outside business hours moves nothing; a breach before the pause stays one', async () => {
    at('20', '16:30');
    const overnight = await open('Paused after closing');
    at('20', '17:30');
    await setStatus(overnight.id, 'PENDING');
    at('23', '08:00');
    await setStatus(overnight.id, 'OPEN');
    expect(await ticket(overnight.id)).toMatchObject({
      firstResponseDueAt: local('23', '09:30'),
      firstResponseAtRiskAt: local('23', '09:18'),
    });

    at('23', '09:45'); // first response breached at 09:30
    await setStatus(overnight.id, 'PENDING');
    at('23', '11:00');
    await setStatus(overnight.id, 'OPEN');
    expect(await ticket(overnight.id)).toMatchObject({
      slaStatus: 'BREACHED',
      firstResponseDueAt: local('23', '10:45'),
    });
  });

  it('counts in the offset of each day across the DST change, and in new business hours for tickets opened after', async () => {
    at('27', '16:30'); // Friday, CET
    const acrossDst = await open('Before the clocks change');
    expect((await ticket(acrossDst.id)).firstResponseDueAt).toBe('2026-03-30T07:30:00.000Z'); // Monday 09:30 CEST

    const saturdays = [{ day: 'SATURDAY' as const, opens: '10:00', closes: '14:00' }];
    expect(
      (await app.gql(UpdateBusinessHoursDocument, { input: { businessHours: saturdays } }, org)).errors,
    ).toBeUndefined();
    at('27', '16:30');
    const weekend = await open('Saturday shop');
    expect((await ticket(weekend.id)).firstResponseDueAt).toBe('2026-03-28T10:00:00.000Z'); // Saturday 11:00 CET
  });
});
