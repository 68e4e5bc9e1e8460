import pino from 'pino';
import {
  AddTicketMessageDocument,
  AssignTicketDocument,
  CreateApiKeyDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  UpdateTicketDocument,
} from '../../../test/generated/graphql';
import { eventsOf } from '../../../test/support/domain-events';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { startTestApp, type RequestOptions, type TestApp } from '../../../test/support/test-app';
import { metrics } from '../../core/observability/metrics';
import { runInSchema, type ScopedTenant } from '../../core/tenancy/tenant-scope';
import { slaCheckJob } from '../../jobs/sla-check.job';
import { TicketChannel, TicketPriority } from './ticket-enums';

describe('ticket domain events (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  let org: { bearer: string; org: string };
  let tenant: ScopedTenant;
  let now = new Date('2026-03-02T09:00:00Z');

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' }, { now: () => now });
    owner = await signUp(app, 'eve@ticket-events.test', 'Event Desk');
    org = { bearer: owner.token, org: owner.tenant.slug };
    const [{ schema }] = await app.dataSource.query('SELECT schema_name AS schema FROM public.tenants WHERE id = $1', [
      owner.tenant.id,
    ]);
    tenant = { ...owner.tenant, status: 'ACTIVE', schema };
  });
  afterAll(() => app.close());

  const ticketEvents = () => eventsOf(app.dataSource, owner.tenant.id, 'ticket.');
  const create = async (subject: string, options: RequestOptions = org) => {
    const res = await app.gql(CreateTicketDocument, { input: { subject, priority: 'URGENT' } }, options);
    expect(res.errors).toBeUndefined();
    return res.data!.createTicket;
  };

  it('records created, updated (what changed, before and after) and message_added, acted by the user', async () => {
    const before = (await ticketEvents()).length;
    const createdCount = async () =>
      (await metrics.eventsEmitted.get()).values.find((v) => v.labels.type === 'ticket.created')?.value ?? 0;
    const countedBefore = await createdCount();
    const ticket = await create('Printer on fire');
    expect(await createdCount()).toBe(countedBefore + 1); // tenantql_events_emitted_total{type="ticket.created"}
    await app.gql(
      UpdateTicketDocument,
      { id: ticket.id, input: { priority: 'HIGH', subject: 'Printer on fire' } },
      org,
    );
    await app.gql(AssignTicketDocument, { id: ticket.id, assigneeId: owner.userId }, org);
    await app.gql(AddTicketMessageDocument, { ticketId: ticket.id, body: 'On our way' }, org);
    await app.gql(UpdateTicketDocument, { id: ticket.id, input: { subject: 'Printer on fire' } }, org); // no change

    const events = (await ticketEvents()).slice(before);
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['ticket.created', `user:${owner.userId}`],
      ['ticket.updated', `user:${owner.userId}`],
      ['ticket.updated', `user:${owner.userId}`],
      ['ticket.message_added', `user:${owner.userId}`],
      ['ticket.updated', `user:${owner.userId}`],
    ]);
    expect(events[0]).toMatchObject({
      version: 1,
      entityType: 'ticket',
      entityId: ticket.id,
      payload: { ticketId: ticket.id, number: ticket.number, status: 'NEW', priority: 'URGENT', channel: 'API' },
    });
    expect(events[1].changes).toEqual([{ field: 'priority', before: 'URGENT', after: 'HIGH' }]);
    expect(events[1].payload).toMatchObject({ changed: ['priority'], changes: events[1].changes });
    expect(events[2].changes).toEqual([{ field: 'assigneeId', before: null, after: owner.userId }]);
    expect(events[3].payload).toMatchObject({ messageId: expect.any(String), author: 'TEAM', internal: false });
    expect(events[3].payload).not.toHaveProperty('body');
    // The first public reply opens the ticket: that is an update too.
    expect(events[4].changes).toEqual([{ field: 'status', before: 'NEW', after: 'OPEN' }]);
  });

  it('names an API key as the actor of what it does', async () => {
    const key = await app.gql(CreateApiKeyDocument, { input: { name: 'bot', scopes: ['tickets:write'] } }, org);
    expect(key.errors).toBeUndefined();
    const { apiKey, secret } = key.data!.createApiKey;
    const ticket = await create('From a partner', { admin: false, org: org.org, headers: { 'x-api-key': secret } });
    const [created] = (await ticketEvents()).filter((e) => e.entityId === ticket.id);
    expect(created).toMatchObject({ type: 'ticket.created', actor: `api_key:${apiKey.id}` });
  });

  it('emits nothing for an operation that fails after the ticket was created', async () => {
    const before = await ticketEvents();
    const res = await app.gql(
      `mutation { a: createTicket(input: { subject: "Doomed" }) { id }
                  b: updateTicket(id: "00000000-0000-4000-8000-000000000000", input: { subject: "x" }) { id } }`,
      {},
      org,
    );
    expect(res.errors?.[0].extensions.code).toBe('NOT_FOUND');
    expect(await ticketEvents()).toEqual(before);
    // The same inside a service transaction that throws.
    await expect(
      runInSchema(
        app.dataSource,
        tenant.schema,
        async (em) => {
          await app.services.tickets.create(
            em,
            { tenantId: owner.tenant.id, userId: null },
            { subject: 'x', description: '', priority: TicketPriority.NORMAL, tags: [] },
          );
          throw new Error('later step failed');
        },
        tenant,
      ),
    ).rejects.toThrow('later step failed');
    expect(await ticketEvents()).toEqual(before);
  });

  it('names the channel for customer messages from email and WhatsApp', async () => {
    const receive = (channel: TicketChannel.EMAIL | TicketChannel.WHATSAPP, externalId: string, address: string) =>
      runInSchema(
        app.dataSource,
        tenant.schema,
        (em) =>
          app.services.tickets.receiveFromCustomer(em, owner.tenant.id, {
            channel,
            externalId,
            from: { address },
            subject: 'Help',
            body: 'My order is late',
          }),
        tenant,
      );
    const allEvents = () => eventsOf(app.dataSource, owner.tenant.id);
    const before = (await allEvents()).length;
    const mail = await receive(TicketChannel.EMAIL, '<m1@example.test>', 'ann@example.test');
    const chat = await receive(TicketChannel.WHATSAPP, 'wamid.E1', '9779800000001');
    expect(mail.kind).toBe('created');
    const events = (await allEvents()).slice(before);
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['customer.created', 'channel:email'],
      ['ticket.created', 'channel:email'],
      ['ticket.message_added', 'channel:email'],
      ['customer.created', 'channel:whatsapp'],
      ['ticket.created', 'channel:whatsapp'],
      ['ticket.message_added', 'channel:whatsapp'],
    ]);
    expect(events[2].payload).toMatchObject({ author: 'CUSTOMER', channel: 'EMAIL' });
    expect(chat.kind === 'created' && events[5].payload.ticketId).toBe(chat.kind === 'created' && chat.ticketId);
  });

  it('records SLA at-risk and breached once each, acted by the SLA job', async () => {
    const policy = { name: 'Urgent', priority: 'URGENT' as const, firstResponseMinutes: 10, resolutionMinutes: 60 };
    expect((await app.gql(CreateSlaPolicyDocument, { input: policy }, org)).errors).toBeUndefined();
    const ticket = await create('Slow');
    const runJob = () =>
      slaCheckJob(app.services).run({}, { logger: pino({ level: 'silent' }), touch: async () => undefined });
    now = new Date('2026-03-02T09:09:00Z');
    await runJob();
    now = new Date('2026-03-02T09:11:00Z');
    await runJob();
    await runJob();
    const sla = (await ticketEvents()).filter((e) => e.entityId === ticket.id && e.type.startsWith('ticket.sla'));
    expect(sla.map((e) => [e.type, e.actor, e.payload.target])).toEqual([
      ['ticket.sla_at_risk', 'system:tickets.sla.check', 'FIRST_RESPONSE'],
      ['ticket.sla_breached', 'system:tickets.sla.check', 'FIRST_RESPONSE'],
    ]);
  });
});
