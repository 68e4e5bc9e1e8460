import pino from 'pino';
import {
  AddTicketMessageDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  TicketByIdDocument,
  UpdateTicketDocument,
} from '../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../test/support/accounts';
import { startTestApp, type TestApp } from '../../test/support/test-app';
import { slaCheckJob } from './sla-check.job';

const logger = pino({ level: 'silent' });

describe('SLA check job (controllable clock, real PostgreSQL, through HTTP)', () => {
  let app: TestApp;
  let now = new Date('2026-03-02T09:00:00Z');
  let owner: TestAccount;
  let admin: TestAccount;
  let agent: TestAccount;
  let org: { bearer: string; org: string };

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' }, { now: () => now });
    owner = await signUp(app, 'owner@sla-check.test', 'Alert Desk');
    admin = await signUp(app, 'admin@sla-check.test', 'Admin Home');
    agent = await signUp(app, 'agent@sla-check.test', 'Agent Home');
    await addMember(app, owner, admin, 'ADMIN');
    await addMember(app, owner, agent, 'MEMBER');
    org = { bearer: owner.token, org: owner.tenant.slug };
    const policy = { name: 'Urgent', priority: 'URGENT' as const, firstResponseMinutes: 10, resolutionMinutes: 60 };
    expect((await app.gql(CreateSlaPolicyDocument, { input: policy }, org)).errors).toBeUndefined();
  });
  afterAll(() => app.close());

  const at = (day: string, hhmm: string) => (now = new Date(`2026-03-${day}T${hhmm}:00Z`));
  const runJob = () => slaCheckJob(app.services).run({}, { logger, touch: async () => undefined });
  const open = async (subject: string, assigneeId: string | null = null) => {
    const res = await app.gql(CreateTicketDocument, { input: { subject, priority: 'URGENT', assigneeId } }, org);
    expect(res.errors).toBeUndefined();
    return res.data!.createTicket;
  };
  const statusOf = async (id: string) => (await app.gql(TicketByIdDocument, { id }, org)).data!.ticket.slaStatus;
  const setStatus = (id: string, status: 'PENDING' | 'OPEN') =>
    app.gql(UpdateTicketDocument, { id, input: { status } }, org);
  /** The SLA mails queued for a ticket, as "recipient: subject", in a stable order. */
  async function alertsOf(ticket: { number: number }): Promise<string[]> {
    const rows: { to_address: string; subject: string }[] = await app.dataSource.query(
      `SELECT to_address, subject FROM public.email_outbox WHERE idempotency_key LIKE 'sla-alert:%' AND subject LIKE $1 ORDER BY created_at, to_address`,
      [`%: #${ticket.number} %`],
    );
    return rows.map((r) => `${r.to_address.split('@')[0]}: ${r.subject.split(':')[0]}`);
  }
  /** Runs the job at each time (twice: a repeated run must add nothing) and returns the ticket's alerts after. */
  async function alertsAfterRunsAt(ticket: { number: number }, day: string, ...times: string[]): Promise<string[]> {
    for (const time of times) {
      at(day, time);
      await runJob();
      await runJob();
    }
    return alertsOf(ticket);
  }

  it('alerts the assignee at minute 8 (AT_RISK) and minute 11 (BREACHED) of a 10-minute first response, then for the resolution; once each', async () => {
    at('02', '09:00');
    const ticket = await open('Server down', agent.userId);
    expect(await alertsAfterRunsAt(ticket, '02', '09:01', '09:07')).toEqual([]);
    expect(await statusOf(ticket.id)).toBe('ON_TRACK');

    expect(await alertsAfterRunsAt(ticket, '02', '09:08')).toEqual(['agent: SLA at risk']);
    expect(await statusOf(ticket.id)).toBe('AT_RISK');
    expect(await alertsAfterRunsAt(ticket, '02', '09:09', '09:10')).toEqual(['agent: SLA at risk']);
    expect(await alertsAfterRunsAt(ticket, '02', '09:11')).toEqual(['agent: SLA at risk', 'agent: SLA breached']);
    expect(await statusOf(ticket.id)).toBe('BREACHED');

    // The resolution target (60 minutes) raises its own two events.
    expect(await alertsAfterRunsAt(ticket, '02', '09:30', '09:47')).toHaveLength(2);
    expect(await alertsAfterRunsAt(ticket, '02', '09:48')).toHaveLength(3);
    expect(await alertsAfterRunsAt(ticket, '02', '10:00')).toHaveLength(3);
    expect(await alertsAfterRunsAt(ticket, '02', '10:01', '10:30')).toEqual([
      'agent: SLA at risk',
      'agent: SLA breached',
      'agent: SLA at risk',
      'agent: SLA breached',
    ]);

    const [mail]: { text: string }[] = await app.dataSource.query(
      `SELECT text FROM public.email_outbox WHERE subject = $1`,
      [`SLA at risk: #${ticket.number} Server down`],
    );
    expect(mail.text).toContain(
      `Ticket #${ticket.number} "Server down" in Alert Desk needs its first response by 2 Mar 2026, 09:10 UTC`,
    );
    expect(mail.text).toContain(`/tickets/${ticket.id}`);
  });

  it('alerts the OWNERs and ADMINs, not the MEMBERs, about an unassigned ticket', async () => {
    at('03', '09:00');
    const ticket = await open('Nobody on it');
    expect(await alertsAfterRunsAt(ticket, '03', '09:08')).toEqual(['admin: SLA at risk', 'owner: SLA at risk']);
  });

  it('pauses while PENDING: PENDING at minute 5 for 30 minutes moves every alert on by 30 minutes', async () => {
    at('04', '09:00');
    const ticket = await open('Waiting on the customer', agent.userId);
    at('04', '09:05');
    await setStatus(ticket.id, 'PENDING');
    expect(await alertsAfterRunsAt(ticket, '04', '09:08', '09:11', '09:34')).toEqual([]);
    expect(await statusOf(ticket.id)).toBe('ON_TRACK');
    at('04', '09:35');
    await setStatus(ticket.id, 'OPEN');
    expect(await alertsAfterRunsAt(ticket, '04', '09:37')).toEqual([]); // 7 of 10 minutes used
    expect(await alertsAfterRunsAt(ticket, '04', '09:38')).toEqual(['agent: SLA at risk']);
    expect(await alertsAfterRunsAt(ticket, '04', '09:40')).toHaveLength(1);
    expect(await alertsAfterRunsAt(ticket, '04', '09:41')).toEqual(['agent: SLA at risk', 'agent: SLA breached']);
    expect(await alertsAfterRunsAt(ticket, '04', '10:17')).toHaveLength(2); // 47 of 60 resolution minutes used
    expect(await alertsAfterRunsAt(ticket, '04', '10:18')).toHaveLength(3);
  });

  it('stays quiet about a target that is met: a reply in time ends the first-response alerts', async () => {
    at('05', '09:00');
    const ticket = await open('Answered quickly', agent.userId);
    at('05', '09:05');
    expect(
      (await app.gql(AddTicketMessageDocument, { ticketId: ticket.id, body: 'Looking into it' }, org)).errors,
    ).toBeUndefined();
    expect(await alertsAfterRunsAt(ticket, '05', '09:08', '09:11', '09:47')).toEqual([]);
    expect(await alertsAfterRunsAt(ticket, '05', '09:48')).toEqual(['agent: SLA at risk']);
  });

  it('visits an organization only at its next SLA instant: set by the ticket, moved on by each check', async () => {
    at('06', '09:00');
    const desk = await signUp(app, 'owner@sla-due.test', 'Due Desk');
    const scope = { bearer: desk.token, org: desk.tenant.slug };
    const policy = { name: 'Urgent', priority: 'URGENT' as const, firstResponseMinutes: 10, resolutionMinutes: 60 };
    expect((await app.gql(CreateSlaPolicyDocument, { input: policy }, scope)).errors).toBeUndefined();
    const dueAt = async (): Promise<string | undefined> =>
      (
        await app.dataSource.query(
          `SELECT due_at FROM public.tenant_due_work WHERE tenant_id = $1 AND job = 'tickets.sla.check'`,
          [desk.tenant.id],
        )
      )[0]?.due_at.toISOString();
    await runJob(); // a new organization is visited once; with no SLA ticket it is next due hours later
    const idle = new Date((await dueAt())!).getTime() - now.getTime();
    expect(idle).toBeGreaterThanOrEqual(3 * 3_600_000);
    expect(idle).toBeLessThanOrEqual(6 * 3_600_000);

    const created = await app.gql(CreateTicketDocument, { input: { subject: 'Due', priority: 'URGENT' } }, scope);
    expect(created.errors).toBeUndefined();
    expect(await dueAt()).toBe('2026-03-06T09:08:00.000Z'); // first-response AT_RISK, marked by createTicket
    at('06', '09:07');
    await runJob();
    expect(await dueAt()).toBe('2026-03-06T09:08:00.000Z'); // not visited before
    at('06', '09:08');
    await runJob();
    expect(await dueAt()).toBe('2026-03-06T09:10:00.000Z'); // AT_RISK alerted: next, the first-response due time
    at('06', '09:11');
    await runJob();
    expect(await dueAt()).toBe('2026-03-06T09:48:00.000Z'); // breached: next, the resolution's AT_RISK
  });
});
