import {
  AddTicketMessageDocument,
  AssignTicketDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  SlaPoliciesDocument,
  TicketByIdDocument,
  TicketsDocument,
  TicketsWithThreadDocument,
  UpdateTicketDocument,
  type CreateTicketInput,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { blankRefused, nullRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('tickets (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  let org: { bearer: string; org: string };

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    owner = await signUp(app, 'tara@tickets.test', 'Ticket Desk');
    org = { bearer: owner.token, org: owner.tenant.slug };
  });
  afterAll(() => app.close());

  const create = async (input: CreateTicketInput, options: { bearer?: string; org: string } = org) => {
    const res = await app.gql(CreateTicketDocument, { input }, options);
    expect(res.errors).toBeUndefined();
    return res.data!.createTicket;
  };

  it('opens a ticket with a per-organization number, keeps its status history and conversation', async () => {
    const customer = await app.gql(CreateCustomerDocument, { input: { name: 'Ada' } }, org);
    const customerId = customer.data!.createCustomer.id;
    const first = await create({
      subject: ' Printer on fire ',
      description: 'Smoke everywhere',
      priority: 'URGENT',
      customerId,
      tags: ['Hardware', 'hardware '],
    });
    const second = await create({ subject: 'Second' });
    expect(first).toMatchObject({
      subject: 'Printer on fire',
      status: 'NEW',
      priority: 'URGENT',
      channel: 'API',
      customerId,
      tags: ['hardware'],
    });
    expect(first.statusHistory).toEqual([{ fromStatus: null, toStatus: 'NEW' }]);
    expect(second.number).toBe(first.number + 1);
    expect(second).toMatchObject({ priority: 'NORMAL', description: '', tags: [], customerId: null, assigneeId: null });

    const note = await app.gql(
      AddTicketMessageDocument,
      { ticketId: first.id, body: 'Call the fire brigade?', internal: true },
      org,
    );
    expect(note.data!.addTicketMessage).toMatchObject({ internal: true, authorUserId: owner.userId });
    const stillNew = await app.gql(TicketByIdDocument, { id: first.id }, org);
    expect(stillNew.data!.ticket.status).toBe('NEW'); // an internal note does not answer the customer

    await app.gql(AddTicketMessageDocument, { ticketId: first.id, body: 'We are on our way' }, org);
    const pending = await app.gql(
      UpdateTicketDocument,
      { id: first.id, input: { status: 'PENDING', priority: 'HIGH' } },
      org,
    );
    expect(pending.data!.updateTicket).toMatchObject({
      status: 'PENDING',
      priority: 'HIGH',
      subject: 'Printer on fire',
    });

    const fetched = await app.gql(TicketByIdDocument, { id: first.id }, org);
    expect(fetched.data!.ticket.messages.map((m) => [m.body, m.internal])).toEqual([
      ['Call the fire brigade?', true],
      ['We are on our way', false],
    ]);
    expect(fetched.data!.ticket.statusHistory.map((c) => [c.fromStatus, c.toStatus, c.changedByUserId])).toEqual([
      [null, 'NEW', owner.userId],
      ['NEW', 'OPEN', owner.userId],
      ['OPEN', 'PENDING', owner.userId],
    ]);
    const sameStatus = await app.gql(UpdateTicketDocument, { id: first.id, input: { status: 'PENDING' } }, org);
    expect(sameStatus.data!.updateTicket.statusHistory).toHaveLength(3);
  });

  it('assigns only members of the organization, and unassigns', async () => {
    const ticket = await create({ subject: 'Assign me' });
    const member = await signUp(app, 'mo@tickets.test', 'Elsewhere');
    await addMember(app, owner, member, 'MEMBER');
    const assigned = await app.gql(AssignTicketDocument, { id: ticket.id, assigneeId: member.userId }, org);
    expect(assigned.data!.assignTicket.assigneeId).toBe(member.userId);
    const stranger = await signUp(app, 'sam@tickets.test', 'Strangers');
    const refused = await app.gql(AssignTicketDocument, { id: ticket.id, assigneeId: stranger.userId }, org);
    expect(refused.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Member' });
    const unassigned = await app.gql(AssignTicketDocument, { id: ticket.id, assigneeId: null }, org);
    expect(unassigned.data!.assignTicket.assigneeId).toBeNull();
    const created = await create({ subject: 'Born assigned', assigneeId: member.userId });
    expect(created.assigneeId).toBe(member.userId);
  });

  it('filters, searches and pages with cursors', async () => {
    const desk = await signUp(app, 'fil@tickets.test', 'Filter Desk');
    const at = { bearer: desk.token, org: desk.tenant.slug };
    const subjects = ['Login fails', 'Invoice 100%_wrong', 'Login slow', 'Refund', 'Login again'];
    const ids: string[] = [];
    for (const [i, subject] of subjects.entries()) {
      ids.push(
        (await create({ subject, priority: i % 2 ? 'HIGH' : 'LOW', assigneeId: i === 4 ? desk.userId : null }, at)).id,
      );
    }
    await app.gql(UpdateTicketDocument, { id: ids[3], input: { status: 'RESOLVED' } }, at);
    const names = async (filter: object) => {
      const res = await app.gql(TicketsDocument, { filter }, at);
      expect(res.errors).toBeUndefined();
      return res.data!.tickets.edges.map((e) => e.node.subject);
    };
    expect(await names({ search: 'login' })).toEqual(['Login fails', 'Login slow', 'Login again']);
    expect(await names({ search: '%_' })).toEqual(['Invoice 100%_wrong']);
    expect(await names({ priority: 'HIGH' })).toEqual(['Invoice 100%_wrong', 'Refund']);
    expect(await names({ status: 'RESOLVED' })).toEqual(['Refund']);
    expect(await names({ status: 'NEW', search: 'login', priority: 'LOW' })).toEqual([
      'Login fails',
      'Login slow',
      'Login again',
    ]);
    expect(await names({ assigneeId: desk.userId })).toEqual(['Login again']);
    expect(await names({ assigneeId: 'not-a-uuid' })).toEqual([]);
    expect(await names({ channel: 'EMAIL' })).toEqual([]);

    const page = await app.gql(TicketsDocument, { first: 2 }, at);
    expect(page.data!.tickets).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
    const rest = await app.gql(TicketsDocument, { first: 10, after: page.data!.tickets.pageInfo.endCursor }, at);
    expect([...page.data!.tickets.edges, ...rest.data!.tickets.edges].map((e) => e.node.id)).toEqual(ids);
    expect(rest.data!.tickets.pageInfo.hasNextPage).toBe(false);

    const threads = await app.gql(TicketsWithThreadDocument, { filter: { status: 'RESOLVED' } }, at);
    expect(threads.data!.tickets.edges[0].node).toMatchObject({
      messages: [],
      statusHistory: [
        { fromStatus: null, toStatus: 'NEW' },
        { fromStatus: 'NEW', toStatus: 'RESOLVED' },
      ],
    });
  });

  it("keeps organizations apart: B can neither see nor change A's tickets", async () => {
    const a = await create({ subject: 'Secret of A' });
    const customerOfA = (await app.gql(CreateCustomerDocument, { input: { name: 'Customer of A' } }, org)).data!
      .createCustomer.id;
    await create({ subject: 'A with customer', customerId: customerOfA });
    const b = await signUp(app, 'bo@tickets.test', 'Other Desk');
    const asB = { bearer: b.token, org: b.tenant.slug };
    await create({ subject: 'B own' }, asB);

    const list = await app.gql(TicketsDocument, {}, asB);
    expect(list.data!.tickets.edges.map((e) => e.node.subject)).toEqual(['B own']);
    expect((await app.gql(TicketsDocument, { filter: { search: 'Secret' } }, asB)).data!.tickets.totalCount).toBe(0);
    expect(
      (await app.gql(TicketsDocument, { filter: { customerId: customerOfA } }, asB)).data!.tickets.totalCount,
    ).toBe(0);
    for (const res of [
      await app.gql(TicketByIdDocument, { id: a.id }, asB),
      await app.gql(UpdateTicketDocument, { id: a.id, input: { subject: 'Hijacked' } }, asB),
      await app.gql(AssignTicketDocument, { id: a.id, assigneeId: b.userId }, asB),
      await app.gql(AddTicketMessageDocument, { ticketId: a.id, body: 'hi' }, asB),
    ]) {
      expect(res.errors![0].extensions.code).toBe('NOT_FOUND');
    }
    const linkToForeignCustomer = await app.gql(
      CreateTicketDocument,
      { input: { subject: 'x', customerId: customerOfA } },
      asB,
    );
    expect(linkToForeignCustomer.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Customer' });
    const untouched = await app.gql(TicketByIdDocument, { id: a.id }, org);
    expect(untouched.data!.ticket).toMatchObject({ subject: 'Secret of A', assigneeId: null, messages: [] });
  });

  it("counts toward the plan's monthly tickets limit; a refused create writes nothing", async () => {
    const small = await signUp(app, 'lim@tickets.test', 'Small Desk');
    const at = { bearer: small.token, org: small.tenant.slug };
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, small.tenant.id));
    const now = new Date();
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    // FREE allows 50 tickets a month: start one short of it.
    await app.dataSource.query(
      `INSERT INTO public.usage_counters (tenant_id, metric, period_start, used) VALUES ($1, 'tickets', $2, 49)`,
      [small.tenant.id, month],
    );
    await create({ subject: 'The 50th' }, at);
    const refused = await app.gql(CreateTicketDocument, { input: { subject: 'The 51st' } }, at);
    expect(refused.errors![0].extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      feature: 'tickets',
      limit: 50,
      used: 50,
    });
    expect((await app.gql(TicketsDocument, {}, at)).data!.tickets.edges.map((e) => e.node.subject)).toEqual([
      'The 50th',
    ]);
  });

  it('rejects bad input with BAD_USER_INPUT or NOT_FOUND and writes nothing', async () => {
    const desk = await signUp(app, 'bad@tickets.test', 'Bad Input Desk');
    const at = { bearer: desk.token, org: desk.tenant.slug };
    expect((await app.gql(CreateTicketDocument, { input: { subject: '' } }, at)).errors![0].extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (await app.gql(CreateTicketDocument, { input: { subject: 'x', tags: [''] } }, at)).errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (await app.gql(CreateTicketDocument, { input: { subject: 'x', customerId: 'nope' } }, at)).errors![0].extensions
        .code,
    ).toBe('NOT_FOUND');
    expect((await app.gql(TicketByIdDocument, { id: 'not-a-uuid' }, at)).errors![0].extensions.code).toBe('NOT_FOUND');
    expect(
      (await app.gql(TicketsDocument, { filter: { search: 'x'.repeat(201) } }, at)).errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
    const ticket = await create({ subject: 'ok' }, at);
    expect(
      (await app.gql(AddTicketMessageDocument, { ticketId: ticket.id, body: '' }, at)).errors![0].extensions.code,
    ).toBe('BAD_USER_INPUT');
    expect((await app.gql(TicketsDocument, {}, at)).data!.tickets.totalCount).toBe(1);
  });

  it('lets a VIEWER and a tickets:read API key read but not write', async () => {
    const viewer = await signUp(app, 'vic@tickets.test', 'Viewer Home');
    await addMember(app, owner, viewer, 'VIEWER');
    const asViewer = { bearer: viewer.token, org: owner.tenant.slug };
    expect((await app.gql(TicketsDocument, {}, asViewer)).errors).toBeUndefined();
    expect(
      (await app.gql(CreateTicketDocument, { input: { subject: 'no' } }, asViewer)).errors![0].extensions.code,
    ).toBe('FORBIDDEN');

    const key = await app.gql(CreateApiKeyDocument, { input: { name: 'reader', scopes: ['tickets:read'] } }, org);
    expect(key.errors).toBeUndefined();
    const asKey = { admin: false, org: owner.tenant.slug, headers: { 'x-api-key': key.data!.createApiKey.secret } };
    expect((await app.gql(TicketsDocument, {}, asKey)).errors).toBeUndefined();
    expect((await app.gql(CreateTicketDocument, { input: { subject: 'no' } }, asKey)).errors![0].extensions.code).toBe(
      'FORBIDDEN',
    );
  });

  it('SLA policies are a PROFESSIONAL feature, one per priority, set by admins; tickets opened after get due dates', async () => {
    const desk = await signUp(app, 'sla@tickets.test', 'SLA Desk');
    const at = { bearer: desk.token, org: desk.tenant.slug };
    const urgent = { name: 'Urgent', priority: 'URGENT' as const, firstResponseMinutes: 15, resolutionMinutes: 240 };
    const created = await app.gql(CreateSlaPolicyDocument, { input: urgent }, at);
    expect(created.data!.createSlaPolicy).toMatchObject({ ...urgent, businessHoursOnly: false });
    const twice = await app.gql(CreateSlaPolicyDocument, { input: { ...urgent, name: 'Again' } }, at);
    expect(twice.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'SLA_POLICY_EXISTS' });
    const businessHours = await app.gql(
      CreateSlaPolicyDocument,
      { input: { ...urgent, priority: 'HIGH', businessHoursOnly: true } },
      at,
    );
    expect(businessHours.data!.createSlaPolicy).toMatchObject({ priority: 'HIGH', businessHoursOnly: true });
    expect(
      (await app.gql(SlaPoliciesDocument, {}, at)).data!.slaPolicies.map((p) => [p.priority, p.businessHoursOnly]),
    ).toEqual([
      ['URGENT', false],
      ['HIGH', true],
    ]);

    const ticket = await create({ subject: 'Fast please', priority: 'URGENT' }, at);
    expect(ticket.slaStatus).toBe('ON_TRACK');
    // The targets count from when the ticket opened (the app's clock; createdAt is the database's).
    const minutesAfterOpening = (due: string | null) =>
      (new Date(due!).getTime() - new Date(ticket.createdAt).getTime()) / 60_000;
    expect(minutesAfterOpening(ticket.firstResponseDueAt)).toBeCloseTo(15, 0);
    expect(minutesAfterOpening(ticket.resolutionDueAt)).toBeCloseTo(240, 0);
    expect((await create({ subject: 'Whenever', priority: 'LOW' }, at)).slaStatus).toBeNull();

    const member = await signUp(app, 'mem@tickets.test', 'Member Home');
    await addMember(app, desk, member, 'MEMBER');
    const byMember = await app.gql(
      CreateSlaPolicyDocument,
      { input: { ...urgent, priority: 'LOW' } },
      { bearer: member.token, org: desk.tenant.slug },
    );
    expect(byMember.errors![0].extensions.code).toBe('FORBIDDEN');

    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, desk.tenant.id));
    const onFree = await app.gql(CreateSlaPolicyDocument, { input: { ...urgent, priority: 'LOW' } }, at);
    expect(onFree.errors![0].extensions).toMatchObject({
      code: 'PLAN_UPGRADE_REQUIRED',
      feature: 'sla_policies',
      requiredPlan: 'PROFESSIONAL',
    });
    expect((await app.gql(SlaPoliciesDocument, {}, at)).errors![0].extensions.code).toBe('PLAN_UPGRADE_REQUIRED');
  });

  it('refuses null subject, status or priority, blank subjects or replies; null clears the rest', async () => {
    const customer = await app.gql(CreateCustomerDocument, { input: { name: 'Nulla' } }, org);
    const customerId = customer.data!.createCustomer.id;
    const ticket = await create({ subject: 'Kept', description: 'Details', customerId, tags: ['a'] });
    const update = (input: Record<string, unknown>) => app.gql(UpdateTicketDocument, { id: ticket.id, input }, org);
    for (const property of ['subject', 'status', 'priority']) {
      expect(refusal(await update({ [property]: null }))).toMatchObject(nullRefused(property));
    }
    expect(refusal(await update({ subject: '\t' }))).toMatchObject(blankRefused('subject'));
    const reply = await app.gql(AddTicketMessageDocument, { ticketId: ticket.id, body: '  ' }, org);
    expect(refusal(reply)).toMatchObject(blankRefused('body'));
    const stored = (await app.gql(TicketByIdDocument, { id: ticket.id }, org)).data!.ticket;
    expect(stored).toMatchObject({ subject: 'Kept', description: 'Details', status: 'NEW', customerId, tags: ['a'] });

    const cleared = await update({ description: null, customerId: null, tags: null });
    expect(cleared.data!.updateTicket).toMatchObject({ subject: 'Kept', description: '', customerId: null, tags: [] });
    const blank = await app.gql(CreateTicketDocument, { input: { subject: '   ' } }, org);
    expect(refusal(blank)).toMatchObject(blankRefused('subject'));
  });
});
