import {
  AddTicketMessageDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  SlaReportDocument,
  UpdateTicketDocument,
  type TicketPriority,
  type TicketStatus,
} from '../../../test/generated/graphql';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('slaReport (controllable clock, real PostgreSQL, through HTTP)', () => {
  let app: TestApp;
  let now = new Date('2026-03-10T09:00:00Z');
  let desk: TestAccount;
  let org: { bearer: string; org: string };
  let schema: string;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' }, { now: () => now });
    desk = await signUp(app, 'report@sla.test', 'Report Desk');
    org = { bearer: desk.token, org: desk.tenant.slug };
    [{ schema }] = await app.dataSource.query('SELECT schema_name AS schema FROM public.tenants WHERE id = $1', [
      desk.tenant.id,
    ]);
    const policy = { name: 'Urgent', priority: 'URGENT' as const, firstResponseMinutes: 10, resolutionMinutes: 60 };
    expect((await app.gql(CreateSlaPolicyDocument, { input: policy }, org)).errors).toBeUndefined();
  });
  afterAll(() => app.close());

  const at = (hhmm: string) => (now = new Date(`2026-03-10T${hhmm}:00Z`));
  /** Opens a ticket at `hhmm` on the app's clock; created_at (the database's clock) is set to match. */
  async function open(hhmm: string, priority: TicketPriority = 'URGENT'): Promise<string> {
    at(hhmm);
    const res = await app.gql(CreateTicketDocument, { input: { subject: `Opened ${hhmm}`, priority } }, org);
    const { id } = res.data!.createTicket;
    await app.dataSource.query(`UPDATE "${schema}".tickets SET created_at = $2 WHERE id = $1`, [id, now]);
    return id;
  }
  async function reply(id: string, hhmm: string) {
    at(hhmm);
    expect((await app.gql(AddTicketMessageDocument, { ticketId: id, body: 'Answer' }, org)).errors).toBeUndefined();
  }
  async function setStatus(id: string, status: TicketStatus, hhmm: string) {
    at(hhmm);
    expect((await app.gql(UpdateTicketDocument, { id, input: { status } }, org)).errors).toBeUndefined();
  }
  const report = (from: string, to: string, as = org) => app.gql(SlaReportDocument, { from, to }, as);

  it('matches a hand count over the tickets created in [from, to), PENDING time excluded', async () => {
    // Policy URGENT: first response 10 min, resolution 60 min. Period: 09:00 to 12:00, report at 12:05.
    const a = await open('09:00'); // reply after 4, resolved after 40: MET
    await reply(a, '09:04');
    await setStatus(a, 'RESOLVED', '09:40');
    const b = await open('09:10'); // reply after 15 (due after 10): BREACHED; resolved after 50
    await reply(b, '09:25');
    await setStatus(b, 'RESOLVED', '10:00');
    const d = await open('09:30', 'LOW'); // no SLA: only in ticketsTotal
    await reply(d, '09:31');
    await setStatus(d, 'RESOLVED', '09:45');
    const c = await open('10:45'); // PENDING 10:47-11:17; reply at 11:20 = 2 + 3 = 5 SLA minutes; resolution due 12:15
    await setStatus(c, 'PENDING', '10:47');
    await setStatus(c, 'OPEN', '11:17');
    await reply(c, '11:20'); // at 12:05: 50 of 60 resolution minutes used: AT_RISK
    const h = await open('11:00'); // resolved after 8 without a reply (counts as the response): MET, no first-response time
    await setStatus(h, 'RESOLVED', '11:08');
    await open('11:58'); // 7 of 10 minutes at 12:05: ON_TRACK
    await open('08:59'); // before the period, BREACHED at 12:05: not counted
    await open('12:00'); // `to` is exclusive: not counted
    at('12:05');

    const res = await report('2026-03-10T09:00:00Z', '2026-03-10T12:00:00Z');
    expect(res.errors).toBeUndefined();
    expect(res.data!.slaReport).toEqual({
      ticketsTotal: 6, // a, b, d, c, h, 11:58
      slaTickets: 5, // all but d
      breachRate: 1 / 5, // b
      averageFirstResponseMinutes: (4 + 15 + 5) / 3, // a, b, c (h has no reply)
      averageResolutionMinutes: (40 + 50 + 8) / 3, // a, b, h
      atRisk: 1, // c
    });

    at('12:16'); // c (resolution due 12:15) and 11:58 (first response due 12:08) are BREACHED now too
    expect((await report('2026-03-10T09:00:00Z', '2026-03-10T12:00:00Z')).data!.slaReport).toMatchObject({
      breachRate: 3 / 5,
      atRisk: 0,
    });
  });

  it('answers zeros and nulls for an empty period, refuses a reversed one, and shows nothing of other organizations', async () => {
    expect((await report('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z')).data!.slaReport).toEqual({
      ticketsTotal: 0,
      slaTickets: 0,
      breachRate: 0,
      averageFirstResponseMinutes: null,
      averageResolutionMinutes: null,
      atRisk: 0,
    });
    const reversed = await report('2026-03-10T12:00:00Z', '2026-03-10T09:00:00Z');
    expect(reversed.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_PERIOD' });

    const other = await signUp(app, 'other@sla.test', 'Other Desk');
    const asOther = { bearer: other.token, org: other.tenant.slug };
    expect((await report('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z', asOther)).data!.slaReport.ticketsTotal).toBe(
      0,
    );
    expect((await report('2026-03-10T00:00:00Z', '2026-03-11T00:00:00Z')).data!.slaReport.ticketsTotal).toBe(8);
  });
});
