import pino from 'pino';
import {
  AssignTicketDocument,
  AutomationRulesDocument,
  CreateApiKeyDocument,
  ReorderAutomationRulesDocument,
  SetAutomationRuleActiveDocument,
  UpdateAutomationRuleDocument,
  ConfigureWhatsAppChannelDocument,
  CreateArticleDocument,
  CreateAutomationRuleDocument,
  CreateCustomerDocument,
  CreateSlaPolicyDocument,
  CreateTicketDocument,
  DeleteAutomationRuleDocument,
  PreviewAutomationRuleDocument,
  TicketAutomationDocument,
  TicketArticlesDocument,
  UpdateTicketDocument,
  type AutomationRuleInput,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { startFakeWhatsAppApi, type FakeWhatsAppApi } from '../../../test/support/fake-whatsapp-api';
import { startSmtpTestServer, type SmtpTestServer } from '../../../test/support/smtp-test-server';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { signWhatsApp, WHATSAPP_WEBHOOK, whatsAppWebhookBody } from '../../../test/support/whatsapp-webhook';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { slaCheckJob } from '../../jobs/sla-check.job';
import { PlanCode } from '../plans';
import { TicketChannel } from '../tickets';

const logger = pino({ level: 'silent' });
const DAY_MS = 86_400_000;
const CUSTOMER_PHONE = '9779812345678';
const whatsApp = {
  phoneNumberId: '3333333333',
  accessToken: 'EAAG-token-of-the-desk',
  verifyToken: 'verify-token-of-the-desk',
  appSecret: 'app-secret-of-the-desk-0123',
};

/** Rules, triggers, conditions and actions over HTTP: real PostgreSQL, real SMTP, the WhatsApp stand-in. */
describe('ticket automation rules', () => {
  let app: TestApp;
  let smtp: SmtpTestServer;
  let api: FakeWhatsAppApi;
  /** The services' clock runs with real time, moved on by `offset` (time-based rules, SLA). */
  let offset = 0;
  let owner: TestAccount;
  let agents: TestAccount[];
  let org: { bearer: string; org: string };
  let schema: string;

  beforeAll(async () => {
    smtp = await startSmtpTestServer();
    api = await startFakeWhatsAppApi();
    app = await startTestApp(
      { ...smtp.env, WHATSAPP_API_BASE_URL: api.url, AUTH_RATE_LIMIT_PER_HOUR: '1000' },
      { now: () => new Date(Date.now() + offset) },
    );
    owner = await signUp(app, 'lead@automation.test', 'Rule Desk');
    agents = [];
    for (const name of ['ada', 'bob', 'cy']) {
      const agent = await signUp(app, `${name}@automation.test`, `${name} home`);
      await addMember(app, owner, agent, 'MEMBER');
      agents.push(agent);
    }
    org = { bearer: owner.token, org: owner.tenant.slug };
    [{ schema }] = await app.dataSource.query('SELECT schema_name AS schema FROM public.tenants WHERE id = $1', [
      owner.tenant.id,
    ]);
    const configured = await app.gql(ConfigureWhatsAppChannelDocument, { input: whatsApp }, org);
    expect(configured.errors).toBeUndefined();
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
    await api?.close();
  });
  afterEach(async () => {
    // Each test starts without rules (their runs stay on the tickets).
    const rules: { id: string }[] = await app.dataSource.query(`SELECT id FROM "${schema}".automation_rules`);
    for (const { id } of rules)
      expect((await app.gql(DeleteAutomationRuleDocument, { id }, org)).errors).toBeUndefined();
  });

  const createRule = async (input: AutomationRuleInput, as = org) => {
    const res = await app.gql(CreateAutomationRuleDocument, { input }, as);
    expect(res.errors).toBeUndefined();
    return res.data!.createAutomationRule;
  };
  const openTicket = async (input: { subject: string; [key: string]: unknown }, as = org) => {
    const res = await app.gql(CreateTicketDocument, { input: input as never }, as);
    expect(res.errors).toBeUndefined();
    return res.data!.createTicket;
  };
  const ticket = async (id: string, as = org) => {
    const res = await app.gql(TicketAutomationDocument, { id }, as);
    expect(res.errors).toBeUndefined();
    return res.data!.ticket;
  };
  const setStatus = async (id: string, status: 'OPEN' | 'PENDING') =>
    expect((await app.gql(UpdateTicketDocument, { id, input: { status } }, org)).errors).toBeUndefined();

  it('TICKET_CREATED on WhatsApp, "urgent" in the subject: priority URGENT, assigned to Ada, tagged, and a templated reply through the stand-in', async () => {
    await createRule({
      name: 'Urgent WhatsApp to Ada',
      trigger: { type: 'TICKET_CREATED' },
      match: 'ALL',
      conditions: [
        { field: 'CHANNEL', operator: 'EQUALS', value: 'WHATSAPP' },
        { field: 'SUBJECT', operator: 'CONTAINS', value: 'urgent' },
      ],
      actions: [
        { type: 'SET_PRIORITY', priority: 'URGENT' },
        { type: 'ASSIGN', memberId: agents[0].userId },
        { type: 'ADD_TAGS', tags: ['VIP', 'whatsapp'] },
        { type: 'SEND_REPLY', body: 'Ticket #{{ticket.number}} is with our team: {{ticket.subject}}' },
      ],
    } as AutomationRuleInput);

    const raw = whatsAppWebhookBody(whatsApp.phoneNumberId, CUSTOMER_PHONE, {
      messages: [
        {
          from: CUSTOMER_PHONE,
          id: 'wamid.urgent-1',
          timestamp: '1760000000',
          type: 'text',
          text: { body: 'URGENT: no internet' },
        },
      ],
    });
    const posted = await fetch(`${app.url}${WHATSAPP_WEBHOOK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWhatsApp(raw, whatsApp.appSecret) },
      body: raw,
    });
    expect(posted.status).toBe(200);
    await app.services.whatsApp.inbound.whenIdle();
    const [{ id }]: { id: string }[] = await app.dataSource.query(
      `SELECT id FROM "${schema}".tickets WHERE channel = 'WHATSAPP'`,
    );
    const created = await ticket(id);
    expect(created).toMatchObject({ priority: 'URGENT', assigneeId: agents[0].userId, tags: ['vip', 'whatsapp'] });
    expect(created.automationRuns).toEqual([
      {
        ruleId: expect.any(String),
        ruleName: 'Urgent WhatsApp to Ada',
        triggerType: 'TICKET_CREATED',
        matched: true,
        actions: [
          { type: 'SET_PRIORITY', outcome: 'priority URGENT' },
          { type: 'ASSIGN', outcome: `assigned to ${agents[0].userId}` },
          { type: 'ADD_TAGS', outcome: 'tags vip, whatsapp' },
          { type: 'SEND_REPLY', outcome: 'reply queued on WHATSAPP' },
        ],
        error: null,
      },
    ]);
    const reply = created.messages.find((m) => m.author === 'TEAM')!;
    expect(reply).toMatchObject({ internal: false, deliveryStatus: 'QUEUED' });
    expect(reply.body).toBe(`Ticket #${created.number} is with our team: URGENT: no internet`);
    await app.services.whatsApp.outbox.deliverDue();
    expect(api.sent.map((s) => [s.body.to, s.body.text?.body])).toEqual([[CUSTOMER_PHONE, reply.body]]);
    // The rule's changes are events of the automation, the ticket itself of the channel.
    const actors: { type: string; actor: string }[] = await app.dataSource.query(
      `SELECT type, actor FROM public.domain_events WHERE entity_id = $1 ORDER BY id`,
      [id],
    );
    expect(actors[0]).toEqual({ type: 'ticket.created', actor: 'channel:whatsapp' });
    expect(actors.filter((e) => e.actor === 'system:automation').length).toBeGreaterThanOrEqual(3);
  });

  it('a rule does not run on its own change; a loop between two rules stops at the chain depth cap with a recorded error', async () => {
    await createRule({
      name: 'A',
      trigger: { type: 'TICKET_UPDATED' },
      match: 'ALL',
      conditions: [{ field: 'STATUS', operator: 'EQUALS', value: 'OPEN' }],
      actions: [{ type: 'SET_STATUS', status: 'PENDING' }],
    } as AutomationRuleInput);
    await createRule({
      name: 'B',
      trigger: { type: 'TICKET_UPDATED' },
      match: 'ALL',
      conditions: [{ field: 'STATUS', operator: 'EQUALS', value: 'PENDING' }],
      actions: [{ type: 'SET_STATUS', status: 'OPEN' }],
    } as AutomationRuleInput);
    const { id } = await openTicket({ subject: 'Ping pong' });
    await setStatus(id, 'OPEN');
    const after = await ticket(id);
    // Depth 1..5 applied (A, B, A, B, A); B at depth 6 is stopped: the ticket stays as A left it.
    expect(after.status).toBe('PENDING');
    const matched = after.automationRuns!.filter((r) => r.matched);
    expect(matched.map((r) => `${r.ruleName}${r.error ? '!' : ''}`)).toEqual(['A', 'B', 'A', 'B', 'A', 'B!']);
    expect(matched[5].error).toMatch(/Stopped: rules may follow one another 5 deep/);
    expect(matched[5].actions).toEqual([]);
  });

  it('ASSIGN_ROUND_ROBIN spreads 9 tickets 3/3/3 across the three MEMBERs', async () => {
    await createRule({
      name: 'Round robin',
      trigger: { type: 'TICKET_CREATED' },
      match: 'ALL',
      conditions: [{ field: 'ASSIGNEE', operator: 'IS_NOT_SET' }],
      actions: [{ type: 'ASSIGN_ROUND_ROBIN', role: 'MEMBER' }],
    } as AutomationRuleInput);
    const counts = new Map<string, number>();
    for (let i = 0; i < 9; i++) {
      const created = await openTicket({ subject: `Queue ${i}` });
      counts.set(created.assigneeId!, (counts.get(created.assigneeId!) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(agents.map((a) => [a.userId, 3])));
  });

  it('a failing action rolls back its rule (all its actions) but neither the ticket change nor the other rules', async () => {
    await createRule({
      name: 'Broken',
      trigger: { type: 'TICKET_CREATED' },
      match: 'ALL',
      conditions: [],
      actions: [
        { type: 'SET_PRIORITY', priority: 'URGENT' },
        { type: 'ASSIGN', memberId: '00000000-0000-4000-8000-000000000000' },
      ],
    } as AutomationRuleInput);
    await createRule({
      name: 'Tagger',
      trigger: { type: 'TICKET_CREATED' },
      match: 'ALL',
      conditions: [],
      actions: [{ type: 'ADD_TAGS', tags: ['triaged'] }],
    } as AutomationRuleInput);
    const created = await openTicket({ subject: 'Partly automated' });
    expect(created).toMatchObject({ subject: 'Partly automated', priority: 'NORMAL', tags: ['triaged'] });
    const runs = (await ticket(created.id)).automationRuns!;
    expect(runs.map((r) => [r.ruleName, r.matched, r.actions.length, r.error])).toEqual([
      ['Broken', true, 0, expect.stringMatching(/Member .*not found/i)],
      ['Tagger', true, 1, null],
    ]);
  });

  it('another organization’s rules never run on this organization’s tickets', async () => {
    const other = await signUp(app, 'lead@other-desk.test', 'Other Desk');
    const otherOrg = { bearer: other.token, org: other.tenant.slug };
    await createRule(
      {
        name: 'Other desk lowers everything',
        trigger: { type: 'TICKET_CREATED' },
        match: 'ALL',
        conditions: [],
        actions: [{ type: 'SET_PRIORITY', priority: 'LOW' }],
      } as AutomationRuleInput,
      otherOrg,
    );
    const ours = await openTicket({ subject: 'Ours', priority: 'HIGH' });
    expect(ours.priority).toBe('HIGH');
    expect((await ticket(ours.id)).automationRuns).toEqual([]);
    const theirs = await openTicket({ subject: 'Theirs', priority: 'HIGH' }, otherOrg);
    expect(theirs.priority).toBe('LOW');
    // Neither can see the other's ticket (or its runs).
    expect((await app.gql(TicketAutomationDocument, { id: theirs.id }, org)).errors?.[0].extensions.code).toBe(
      'NOT_FOUND',
    );
  });

  it('TIME_ELAPSED: 5 days PENDING closes the ticket with a polite note, once, under a controllable clock', async () => {
    await createRule({
      name: 'Close stale pending',
      trigger: { type: 'TIME_ELAPSED', after: 5, unit: 'DAYS', since: 'STATUS', status: 'PENDING' },
      match: 'ALL',
      conditions: [],
      actions: [
        { type: 'ADD_NOTE', body: 'Closed after 5 days waiting on the customer (#{{ticket.number}}).' },
        { type: 'SET_STATUS', status: 'CLOSED' },
      ],
    } as AutomationRuleInput);
    const { id, number } = await openTicket({ subject: 'Waiting on you' });
    await setStatus(id, 'PENDING');
    const sweep = () => app.services.automationSweep.sweep();
    offset = 4 * DAY_MS;
    await sweep();
    expect((await ticket(id)).status).toBe('PENDING');
    offset = 5 * DAY_MS + 60_000;
    // The loop test's ticket has been PENDING as long: it is closed too.
    expect(await sweep()).toEqual({ tenants: 1, runs: 2, failed: [] });
    const closed = await ticket(id);
    expect(closed.status).toBe('CLOSED');
    expect(closed.messages.map((m) => [m.body, m.internal])).toContainEqual([
      `Closed after 5 days waiting on the customer (#${number}).`,
      true,
    ]);
    expect(closed.automationRuns!.filter((r) => r.triggerType === 'TIME_ELAPSED')).toHaveLength(1);
    // Not due again: the next sweep skips the organization, and a forced one finds nothing to do.
    expect(await sweep()).toEqual({ tenants: 0, runs: 0, failed: [] });
    const [tenant] = await app.dataSource.query('SELECT id, slug, schema_name FROM public.tenants WHERE id = $1', [
      owner.tenant.id,
    ]);
    expect(
      await app.services.automationSweep.sweepTenant({ ...tenant, status: 'ACTIVE', schema: tenant.schema_name }),
    ).toBe(0);
    offset = 0;
  });

  it('TIME_ELAPSED since the last customer message: 2 hours after it, the ticket is tagged unanswered', async () => {
    await createRule({
      name: 'Unanswered customer',
      trigger: { type: 'TIME_ELAPSED', after: 2, unit: 'HOURS', since: 'LAST_CUSTOMER_MESSAGE' },
      match: 'ALL',
      conditions: [{ field: 'STATUS', operator: 'NOT_EQUALS', value: 'RESOLVED' }],
      actions: [{ type: 'ADD_TAGS', tags: ['unanswered'] }],
    } as AutomationRuleInput);
    const [tenant] = await app.dataSource.query('SELECT id, slug FROM public.tenants WHERE id = $1', [owner.tenant.id]);
    const received = await runInSchema(
      app.dataSource,
      schema,
      (em) =>
        app.services.tickets.receiveFromCustomer(em, owner.tenant.id, {
          channel: TicketChannel.WHATSAPP,
          externalId: 'wamid.waiting-1',
          from: { address: '9779800000001' },
          subject: 'Still waiting',
          body: 'Still waiting',
        }),
      { ...tenant, status: 'ACTIVE', schema },
    );
    if (received.kind === 'duplicate') throw new Error('not a duplicate');
    offset = 2 * 3_600_000 - 60_000;
    await app.services.automationSweep.sweep();
    expect((await ticket(received.ticketId)).tags).toEqual([]);
    offset = 2 * 3_600_000 + 60_000;
    await app.services.automationSweep.sweep();
    expect((await ticket(received.ticketId)).tags).toEqual(['unanswered']);
    offset = 0;
  });

  it('MESSAGE_ADDED by a customer of a VIP domain saying "refund": priority HIGH, tag removed, the assignee mailed over SMTP; automatic mail gets no reply', async () => {
    await createRule({
      name: 'VIP refund',
      trigger: { type: 'MESSAGE_ADDED', messageAuthor: 'CUSTOMER' },
      match: 'ALL',
      conditions: [
        { field: 'CUSTOMER_EMAIL_DOMAIN', operator: 'EQUALS', value: 'VIP.example' },
        { field: 'BODY', operator: 'CONTAINS', value: 'REFUND' },
      ],
      actions: [
        { type: 'SET_PRIORITY', priority: 'HIGH' },
        { type: 'REMOVE_TAGS', tags: ['waiting'] },
        { type: 'MAIL_MEMBER', subject: 'VIP #{{ticket.number}}', body: '{{customer.name}} wrote again.' },
        { type: 'SEND_REPLY', body: 'We are on it.' },
      ],
    } as AutomationRuleInput);
    const customer = await app.gql(
      CreateCustomerDocument,
      { input: { name: 'Pat VIP', email: 'pat@vip.example' } },
      org,
    );
    expect(customer.errors).toBeUndefined();
    const [tenant] = await app.dataSource.query('SELECT id, slug FROM public.tenants WHERE id = $1', [owner.tenant.id]);
    // What the mailbox poll hands the tickets module for each mail.
    const receive = (externalId: string, body: string, automatic: boolean, ticketNumber?: number) =>
      runInSchema(
        app.dataSource,
        schema,
        (em) =>
          app.services.tickets.receiveFromCustomer(em, owner.tenant.id, {
            channel: TicketChannel.EMAIL,
            externalId,
            from: { address: 'pat@vip.example' },
            subject: ticketNumber ? `Re: [#${ticketNumber}] Order 7` : 'Order 7',
            body,
            automatic,
            thread: { ticketNumber },
          }),
        { ...tenant, status: 'ACTIVE', schema },
      );
    // Not about a refund: no match.
    const first = await receive('<hello-1@vip.example>', 'Where is order 7?', false);
    if (first.kind === 'duplicate') throw new Error('not a duplicate');
    let after = await ticket(first.ticketId);
    expect(after.automationRuns).toEqual([
      expect.objectContaining({ ruleName: 'VIP refund', matched: false, actions: [] }),
    ]);
    await app.gql(UpdateTicketDocument, { id: first.ticketId, input: { tags: ['waiting'] } }, org);
    await app.gql(AssignTicketDocument, { id: first.ticketId, assigneeId: agents[1].userId }, org);

    // Automatic mail (an out-of-office) about the refund: the rule runs, but sends no reply.
    await receive('<ooo-1@vip.example>', 'Out of office; re your REFUND', true, first.ticketNumber);
    after = await ticket(first.ticketId);
    expect(after).toMatchObject({ priority: 'HIGH', tags: [] });
    expect(after.automationRuns!.at(-1)!.actions).toEqual([
      { type: 'SET_PRIORITY', outcome: 'priority HIGH' },
      { type: 'REMOVE_TAGS', outcome: 'tags (none)' },
      { type: 'MAIL_MEMBER', outcome: `mail queued to ${agents[1].email}` },
      { type: 'SEND_REPLY', outcome: 'skipped: the message is automatic mail' },
    ]);
    expect(after.messages.filter((m) => m.author === 'TEAM')).toEqual([]);
    const opened = { id: first.ticketId, number: first.ticketNumber };

    await app.services.mailOutbox.deliverDue();
    const mail = smtp.to(agents[1].email).find((m) => m.subject.startsWith('VIP'))!;
    expect(mail.subject).toBe(`VIP #${opened.number}`);
    expect(mail.text).toContain('Pat VIP wrote again.');
    expect(mail.text).toContain(`/tickets/${opened.id}`);
  });

  it('SLA_AT_RISK and SLA_BREACHED trigger rules; APPLY_SLA_POLICY and LINK_ARTICLE act on a new HIGH ticket', async () => {
    const policy = await app.gql(
      CreateSlaPolicyDocument,
      { input: { name: 'Urgent', priority: 'URGENT', firstResponseMinutes: 10, resolutionMinutes: 60 } },
      org,
    );
    expect(policy.errors).toBeUndefined();
    const article = await app.gql(
      CreateArticleDocument,
      { input: { title: 'Resetting a router', body: 'Unplug it.', status: 'PUBLISHED' } },
      org,
    );
    expect(article.errors).toBeUndefined();
    await createRule({
      name: 'High gets the urgent SLA',
      trigger: { type: 'TICKET_CREATED' },
      match: 'ANY',
      conditions: [
        { field: 'PRIORITY', operator: 'EQUALS', value: 'HIGH' },
        { field: 'TAGS', operator: 'CONTAINS', value: 'sla' },
      ],
      actions: [
        { type: 'APPLY_SLA_POLICY', slaPolicyId: policy.data!.createSlaPolicy.id },
        { type: 'LINK_ARTICLE', articleId: article.data!.createArticle.id },
      ],
    } as AutomationRuleInput);
    for (const [type, tag] of [
      ['SLA_AT_RISK', 'at-risk'],
      ['SLA_BREACHED', 'breached'],
    ] as const) {
      await createRule({
        name: type,
        trigger: { type },
        match: 'ALL',
        conditions: [{ field: 'SLA_STATUS', operator: 'IS_SET' }],
        actions: [{ type: 'ADD_TAGS', tags: [tag] }],
      } as AutomationRuleInput);
    }
    const created = await openTicket({ subject: 'Router down', priority: 'HIGH' });
    expect(created.resolutionDueAt).not.toBeNull();
    expect((await app.gql(TicketArticlesDocument, { ticketId: created.id }, org)).data!.ticketArticles).toEqual([
      { id: article.data!.createArticle.id, title: 'Resetting a router' },
    ]);
    const runSlaCheck = () => slaCheckJob(app.services).run({}, { logger, touch: async () => undefined });
    offset = 8.5 * 60_000;
    await runSlaCheck();
    expect((await ticket(created.id)).tags).toEqual(['at-risk']);
    offset = 11 * 60_000;
    await runSlaCheck();
    expect((await ticket(created.id)).tags).toEqual(['at-risk', 'breached']);
    offset = 0;
  });

  it('preview evaluates each condition on a ticket and changes nothing; MEMBER previews but cannot manage; input is checked', async () => {
    const created = await openTicket({
      subject: 'Invoice 42 is wrong',
      description: 'Charged twice',
      tags: ['billing'],
    });
    const draft = {
      name: 'Draft',
      trigger: { type: 'TICKET_UPDATED' },
      match: 'ANY',
      conditions: [
        { field: 'SUBJECT', operator: 'MATCHES', value: '^invoice \\d+' },
        { field: 'BODY', operator: 'NOT_CONTAINS', value: 'twice' },
        { field: 'TAGS', operator: 'NOT_CONTAINS', value: 'billing' },
        { field: 'STATUS', operator: 'NOT_EQUALS', value: 'new' },
        { field: 'ASSIGNEE', operator: 'IS_SET' },
        { field: 'SLA_STATUS', operator: 'IS_NOT_SET' },
        { field: 'BUSINESS_HOURS', operator: 'IS_TRUE' },
      ],
      actions: [{ type: 'SET_PRIORITY', priority: 'URGENT' }],
    } as AutomationRuleInput;
    const member = { bearer: agents[2].token, org: owner.tenant.slug };
    const preview = await app.gql(PreviewAutomationRuleDocument, { rule: draft, ticketId: created.id }, member);
    expect(preview.errors).toBeUndefined();
    const { matched, conditions, actions } = preview.data!.previewAutomationRule;
    expect(matched).toBe(true);
    expect(actions).toEqual([{ type: 'SET_PRIORITY', priority: 'URGENT' }]);
    expect(conditions.map((c) => [c.field, c.matched])).toEqual([
      ['SUBJECT', true],
      ['BODY', false],
      ['TAGS', false],
      ['STATUS', false],
      ['ASSIGNEE', false],
      ['SLA_STATUS', true],
      ['BUSINESS_HOURS', expect.any(Boolean)],
    ]);
    expect(await ticket(created.id)).toMatchObject({ priority: 'NORMAL', automationRuns: [] });

    const refused = await app.gql(CreateAutomationRuleDocument, { input: draft }, member);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'INSUFFICIENT_ROLE' });
    const bad = await app.gql(
      CreateAutomationRuleDocument,
      { input: { ...draft, conditions: [{ field: 'BUSINESS_HOURS', operator: 'CONTAINS', value: 'x' }] } },
      org,
    );
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'OPERATOR_NOT_ALLOWED' });
    const noStatus = await app.gql(
      CreateAutomationRuleDocument,
      { input: { ...draft, trigger: { type: 'TIME_ELAPSED', after: 2, unit: 'HOURS', since: 'STATUS' } } },
      org,
    );
    expect(noStatus.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status' });
  });

  it('plans, limits and API keys: FREE needs an upgrade, active rules are limited, keys need automation:write; reorder, deactivate, replace', async () => {
    const free = await signUp(app, 'lead@free-desk.test', 'Free Desk');
    await app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, free.tenant.id, PlanCode.FREE, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
    const simple = (name: string) =>
      ({
        name,
        trigger: { type: 'TICKET_CREATED' },
        match: 'ALL',
        conditions: [],
        actions: [{ type: 'ADD_TAGS', tags: [name] }],
      }) as AutomationRuleInput;
    const upgrade = await app.gql(
      CreateAutomationRuleDocument,
      { input: simple('free') },
      { bearer: free.token, org: free.tenant.slug },
    );
    expect(upgrade.errors?.[0].extensions).toMatchObject({
      code: 'PLAN_UPGRADE_REQUIRED',
      feature: 'automation_rules',
      requiredPlan: 'PROFESSIONAL',
      upgradeUrl: expect.stringContaining('automation_rules'),
    });

    const key = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'rules bot', scopes: ['automation:write'] } },
      org,
    );
    expect(key.errors).toBeUndefined();
    const asKey = { admin: false, org: owner.tenant.slug, headers: { 'x-api-key': key.data!.createApiKey.secret } };
    const first = await createRule(simple('first'), asKey as never);
    const second = await createRule(simple('second'));
    const readOnly = await app.gql(CreateApiKeyDocument, { input: { name: 'reader', scopes: ['tickets:read'] } }, org);
    const asReader = {
      admin: false,
      org: owner.tenant.slug,
      headers: { 'x-api-key': readOnly.data!.createApiKey.secret },
    };
    expect((await app.gql(AutomationRulesDocument, {}, asReader)).errors?.[0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'MISSING_SCOPE',
      requiredScope: 'automation:read',
    });

    await app.services.planCatalog.setLimit(PlanCode.PROFESSIONAL, 'automation_rules', 2);
    try {
      const third = await app.gql(CreateAutomationRuleDocument, { input: simple('third') }, org);
      expect(third.errors?.[0].extensions).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        feature: 'automation_rules',
        limit: 2,
      });
      // An inactive rule takes no slot; deactivating one frees its slot for another.
      const parked = await createRule({ ...simple('parked'), active: false });
      const off = await app.gql(SetAutomationRuleActiveDocument, { id: second.id, active: false }, org);
      expect(off.data!.setAutomationRuleActive.active).toBe(false);
      const on = await app.gql(SetAutomationRuleActiveDocument, { id: parked.id, active: true }, org);
      expect(on.errors).toBeUndefined();
      const again = await app.gql(SetAutomationRuleActiveDocument, { id: second.id, active: true }, org);
      expect(again.errors?.[0].extensions.code).toBe('LIMIT_EXCEEDED');

      const reordered = await app.gql(ReorderAutomationRulesDocument, { ids: [parked.id, second.id, first.id] }, org);
      expect(reordered.data!.reorderAutomationRules.map((r) => r.id)).toEqual([parked.id, second.id, first.id]);
      const partial = await app.gql(ReorderAutomationRulesDocument, { ids: [first.id] }, org);
      expect(partial.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'REORDER_MISMATCH' });
      const replaced = await app.gql(
        UpdateAutomationRuleDocument,
        { id: first.id, input: { ...simple('renamed'), match: 'ANY' } },
        org,
      );
      expect(replaced.data!.updateAutomationRule).toMatchObject({ name: 'renamed', match: 'ANY', position: 3 });
      const created = await openTicket({ subject: 'Tag me' });
      // parked (position 1) and renamed (3) ran in order; second is inactive.
      expect(created.tags).toEqual(['parked', 'renamed']);
    } finally {
      await app.services.planCatalog.setLimit(PlanCode.PROFESSIONAL, 'automation_rules', 25);
    }
  });
});
