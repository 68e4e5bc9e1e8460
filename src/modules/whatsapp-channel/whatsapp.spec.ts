import {
  AddTicketMessageDocument,
  ConfigureWhatsAppChannelDocument,
  OnboardingStatusDocument,
  RemoveWhatsAppChannelDocument,
  TicketByIdDocument,
  TicketsDocument,
  WhatsAppChannelDocument,
} from '../../../test/generated/graphql';
import { signWhatsApp, WHATSAPP_WEBHOOK, whatsAppWebhookBody } from '../../../test/support/whatsapp-webhook';
import { startFakeWhatsAppApi, type FakeWhatsAppApi } from '../../../test/support/fake-whatsapp-api';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCode } from '../plans';

const DAY_MS = 86_400_000;
const WEBHOOK = WHATSAPP_WEBHOOK;
const CUSTOMER = '9779812345678';

const channelA = {
  phoneNumberId: '1111111111',
  accessToken: 'EAAG-token-of-tenant-a',
  verifyToken: 'verify-token-of-tenant-a',
  appSecret: 'app-secret-of-tenant-a-0123',
};
const channelB = {
  phoneNumberId: '2222222222',
  accessToken: 'EAAG-token-of-tenant-b',
  verifyToken: 'verify-token-of-tenant-b',
  appSecret: 'app-secret-of-tenant-b-0123',
};

const sign = signWhatsApp;
const webhookBody = (phoneNumberId: string, value: { messages?: unknown[]; statuses?: unknown[] }) =>
  whatsAppWebhookBody(phoneNumberId, CUSTOMER, value);
const textMessage = (id: string, body: string) => ({
  from: CUSTOMER,
  id,
  timestamp: '1760000000',
  type: 'text',
  text: { body },
});

describe('WhatsApp channel: webhook into tickets, replies through the Cloud API (real PostgreSQL, fake Graph API)', () => {
  let app: TestApp;
  let api: FakeWhatsAppApi;
  let tenantA: { id: string; schemaName: string };
  let tenantB: { id: string; schemaName: string };

  const onPlan = (tenantId: string, plan: PlanCode) =>
    app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, tenantId, plan, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
  const post = async (raw: string, signature?: string) => {
    const response = await fetch(`${app.url}${WEBHOOK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
      body: raw,
    });
    await app.services.whatsApp.inbound.whenIdle();
    return response.status;
  };
  const handshake = (query: Record<string, string>) => fetch(`${app.url}${WEBHOOK}?${new URLSearchParams(query)}`);
  const inboundCount = async () =>
    Number((await app.dataSource.query('SELECT count(*) AS n FROM public.whatsapp_inbound'))[0].n);
  const whatsAppTickets = async (org: string) =>
    (await app.gql(TicketsDocument, { filter: { channel: 'WHATSAPP' as never } }, { org })).data!.tickets.edges.map(
      (e) => e.node,
    );
  const ticket = async (org: string, id: string) => (await app.gql(TicketByIdDocument, { id }, { org })).data!.ticket;

  beforeAll(async () => {
    api = await startFakeWhatsAppApi();
    app = await startTestApp({ WHATSAPP_API_BASE_URL: api.url });
    tenantA = await app.createTenant('tenant-a');
    tenantB = await app.createTenant('tenant-b');
    const free = await app.createTenant('tenant-free');
    await onPlan(tenantA.id, PlanCode.STARTER);
    await onPlan(tenantB.id, PlanCode.STARTER);
    await onPlan(free.id, PlanCode.FREE);
  });
  afterAll(async () => {
    await app?.close();
    await api?.close();
  });

  it('refuses the FREE plan with PLAN_UPGRADE_REQUIRED and stores nothing', async () => {
    const result = await app.gql(
      ConfigureWhatsAppChannelDocument,
      { input: { ...channelA, phoneNumberId: '9999999999', verifyToken: 'verify-token-of-free-tenant' } },
      { org: 'tenant-free' },
    );
    expect(result.errors?.[0].extensions).toMatchObject({
      code: 'PLAN_UPGRADE_REQUIRED',
      feature: 'whatsapp_channel',
      requiredPlan: 'STARTER',
    });
    expect(await app.dataSource.query('SELECT * FROM public.whatsapp_channels')).toEqual([]);
  });

  it('configures a channel on STARTER: secrets are sealed at rest and never returned; B cannot see A’s channel nor take its number', async () => {
    const configured = await app.gql(ConfigureWhatsAppChannelDocument, { input: channelA }, { org: 'tenant-a' });
    expect(configured.data!.configureWhatsAppChannel).toEqual({
      phoneNumberId: channelA.phoneNumberId,
      webhookPath: WEBHOOK,
      lastError: null,
      lastReceivedAt: null,
    });
    expect(JSON.stringify(configured)).not.toMatch(/token-of-tenant-a|app-secret/);

    const [row] = await app.dataSource.query(
      'SELECT access_token, app_secret, verify_token_hash FROM public.whatsapp_channels WHERE tenant_id = $1',
      [tenantA.id],
    );
    expect(row.access_token).toMatch(/^v1:/);
    expect(row.app_secret).toMatch(/^v1:/);
    expect(JSON.stringify(row)).not.toMatch(/token-of-tenant-a|app-secret-of/);
    expect(row.verify_token_hash).toMatch(/^[0-9a-f]{64}$/);

    expect((await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-b' })).data!.whatsAppChannel).toBeNull();
    const taken = await app.gql(
      ConfigureWhatsAppChannelDocument,
      { input: { ...channelB, phoneNumberId: channelA.phoneNumberId } },
      { org: 'tenant-b' },
    );
    expect(taken.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'PHONE_NUMBER_ID_TAKEN' });
    expect((await app.gql(RemoveWhatsAppChannelDocument, {}, { org: 'tenant-b' })).data!.removeWhatsAppChannel).toBe(
      false,
    );
    expect((await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-a' })).data!.whatsAppChannel).toMatchObject({
      phoneNumberId: channelA.phoneNumberId,
    });

    expect(
      (await app.gql(ConfigureWhatsAppChannelDocument, { input: channelB }, { org: 'tenant-b' })).errors,
    ).toBeUndefined();
  });

  it('answers Meta’s verification handshake only for a known verify token and mode subscribe', async () => {
    const ok = await handshake({
      'hub.mode': 'subscribe',
      'hub.verify_token': channelA.verifyToken,
      'hub.challenge': '1158201444',
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    expect(
      (
        await handshake({
          'hub.mode': 'subscribe',
          'hub.verify_token': 'not-a-token-anyone-chose',
          'hub.challenge': '1',
        })
      ).status,
    ).toBe(403);
    expect(
      (await handshake({ 'hub.mode': 'unsubscribe', 'hub.verify_token': channelA.verifyToken, 'hub.challenge': '1' }))
        .status,
    ).toBe(403);
    expect((await handshake({ 'hub.mode': 'subscribe', 'hub.challenge': '1' })).status).toBe(403);
  });

  it('turns a correctly signed message into one ticket of the right tenant only, from a customer found or created by phone', async () => {
    const raw = webhookBody(channelA.phoneNumberId, {
      messages: [textMessage('wamid.IN1', 'My router is blinking red\nSince this morning')],
    });
    expect(await post(raw, sign(raw, channelA.appSecret))).toBe(200);

    const [created] = await whatsAppTickets('tenant-a');
    expect(created).toMatchObject({
      channel: 'WHATSAPP',
      subject: 'My router is blinking red',
      contactAddress: CUSTOMER,
      status: 'NEW',
      customerId: expect.any(String),
    });
    const [customer] = await app.dataSource.query(
      `SELECT name, phone FROM "${tenantA.schemaName}".customers WHERE id = $1`,
      [created.customerId],
    );
    expect(customer).toEqual({ name: 'Ram Bahadur', phone: `+${CUSTOMER}` });
    expect(await whatsAppTickets('tenant-b')).toEqual([]);
    expect(
      (await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-a' })).data!.whatsAppChannel!.lastReceivedAt,
    ).not.toBeNull();
    expect(
      (await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-b' })).data!.whatsAppChannel!.lastReceivedAt,
    ).toBeNull();
  });

  it('stores one message when Meta delivers the same body twice', async () => {
    const raw = webhookBody(channelA.phoneNumberId, {
      messages: [textMessage('wamid.IN1', 'My router is blinking red\nSince this morning')],
    });
    const before = await inboundCount();
    expect(await post(raw, sign(raw, channelA.appSecret))).toBe(200);
    expect(await inboundCount()).toBe(before);
    const [only] = await whatsAppTickets('tenant-a');
    expect((await ticket('tenant-a', only.id)).messages).toHaveLength(1);
  });

  it('rejects a re-serialised body under the original signature, a forged signature and a missing one with 401, storing nothing', async () => {
    const raw = webhookBody(channelA.phoneNumberId, { messages: [textMessage('wamid.FORGED', 'Please refund me')] });
    const signature = sign(raw, channelA.appSecret);
    const reserialised = JSON.stringify(JSON.parse(raw), null, 2);
    const before = await inboundCount();

    expect(await post(reserialised, signature)).toBe(401);
    expect(await post(raw, sign(raw, 'a-secret-that-is-not-the-app-secret'))).toBe(401);
    expect(await post(raw, sign(raw, channelB.appSecret))).toBe(401);
    expect(await post(raw)).toBe(401);
    expect(await post('not json', signature)).toBe(400);
    expect(await inboundCount()).toBe(before);
    expect(await whatsAppTickets('tenant-a')).toHaveLength(1);
  });

  it('acknowledges a number no organization has with 200 and stores nothing', async () => {
    const raw = webhookBody('5555555555', { messages: [textMessage('wamid.STRAY', 'hello?')] });
    const before = await inboundCount();
    expect(await post(raw, sign(raw, 'whatever'))).toBe(200);
    expect(await inboundCount()).toBe(before);
  });

  it('appends a second message from the same number to the open ticket; a photo becomes a placeholder with its caption', async () => {
    const raw = webhookBody(channelA.phoneNumberId, {
      messages: [
        {
          from: CUSTOMER,
          id: 'wamid.IN2',
          timestamp: '1760000100',
          type: 'image',
          image: { id: 'MEDIA1', mime_type: 'image/jpeg', caption: 'the lights' },
        },
      ],
    });
    expect(await post(raw, sign(raw, channelA.appSecret))).toBe(200);
    const tickets = await whatsAppTickets('tenant-a');
    expect(tickets).toHaveLength(1);
    expect((await ticket('tenant-a', tickets[0].id)).messages.map((m) => [m.author, m.body])).toEqual([
      ['CUSTOMER', 'My router is blinking red\nSince this morning'],
      ['CUSTOMER', '[image] the lights'],
    ]);
  });

  it('sends an agent’s reply from the job with the right path, token, number and text; the message becomes SENT with the wamid', async () => {
    const [open] = await whatsAppTickets('tenant-a');
    const reply = await app.gql(
      AddTicketMessageDocument,
      { ticketId: open.id, body: 'Please restart it' },
      { org: 'tenant-a' },
    );
    const messageId = reply.data!.addTicketMessage.id;
    expect((await ticket('tenant-a', open.id)).messages.at(-1)).toMatchObject({
      id: messageId,
      deliveryStatus: 'QUEUED',
    });
    expect(api.sent).toHaveLength(0);

    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(api.sent).toEqual([
      {
        path: `/${channelA.phoneNumberId}/messages`,
        bearer: channelA.accessToken,
        body: expect.objectContaining({
          messaging_product: 'whatsapp',
          to: CUSTOMER,
          type: 'text',
          text: expect.objectContaining({ body: 'Please restart it' }),
        }),
      },
    ]);
    expect((await ticket('tenant-a', open.id)).messages.at(-1)).toMatchObject({
      id: messageId,
      deliveryStatus: 'SENT',
      deliveryError: null,
    });
    const [row] = await app.dataSource.query(
      'SELECT status, wamid FROM public.whatsapp_outbox WHERE ticket_message_id = $1',
      [messageId],
    );
    expect(row).toEqual({ status: 'SENT', wamid: 'wamid.FAKE1' });
    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
  });

  it('records delivery statuses from the webhook, never moving a message back when they arrive out of order', async () => {
    const [open] = await whatsAppTickets('tenant-a');
    const status = (value: string) => ({
      id: 'wamid.FAKE1',
      status: value,
      timestamp: '1760000200',
      recipient_id: CUSTOMER,
    });
    const lastReply = async () => (await ticket('tenant-a', open.id)).messages.at(-1)!.deliveryStatus;

    const delivered = webhookBody(channelA.phoneNumberId, { statuses: [status('delivered')] });
    expect(await post(delivered, sign(delivered, channelA.appSecret))).toBe(200);
    expect(await lastReply()).toBe('DELIVERED');
    const read = webhookBody(channelA.phoneNumberId, { statuses: [status('read')] });
    expect(await post(read, sign(read, channelA.appSecret))).toBe(200);
    expect(await lastReply()).toBe('READ');
    const lateSent = webhookBody(channelA.phoneNumberId, { statuses: [status('sent')] });
    expect(await post(lateSent, sign(lateSent, channelA.appSecret))).toBe(200);
    expect(await lastReply()).toBe('READ');
  });

  it('retries a reply the API failed with 500 after its back-off, then marks it SENT', async () => {
    const [open] = await whatsAppTickets('tenant-a');
    const messageId = (
      await app.gql(AddTicketMessageDocument, { ticketId: open.id, body: 'Any better?' }, { org: 'tenant-a' })
    ).data!.addTicketMessage.id;
    const sentBefore = api.sent.length;
    api.failNext(1);

    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    const [waiting] = await app.dataSource.query(
      'SELECT status, attempts, next_attempt_at > now() AS later, last_error FROM public.whatsapp_outbox WHERE ticket_message_id = $1',
      [messageId],
    );
    expect(waiting).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      later: true,
      last_error: expect.stringContaining('500'),
    });
    expect((await ticket('tenant-a', open.id)).messages.at(-1)!.deliveryStatus).toBe('QUEUED');
    // Not due yet: nothing is sent.
    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });

    await app.dataSource.query(
      'UPDATE public.whatsapp_outbox SET next_attempt_at = now() WHERE ticket_message_id = $1',
      [messageId],
    ); // the back-off passed
    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(api.sent.length - sentBefore).toBe(2);
    expect((await ticket('tenant-a', open.id)).messages.at(-1)).toMatchObject({
      id: messageId,
      deliveryStatus: 'SENT',
    });
  });

  it('fails a reply at once on a permanent API error and shows it as the channel’s lastError', async () => {
    const [open] = await whatsAppTickets('tenant-a');
    const messageId = (
      await app.gql(AddTicketMessageDocument, { ticketId: open.id, body: 'Hello again' }, { org: 'tenant-a' })
    ).data!.addTicketMessage.id;
    api.rejectNext();
    expect(await app.services.whatsApp.outbox.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect((await ticket('tenant-a', open.id)).messages.at(-1)).toMatchObject({
      id: messageId,
      deliveryStatus: 'FAILED',
      deliveryError: expect.stringContaining('131047'),
    });
    expect(
      (await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-a' })).data!.whatsAppChannel!.lastError,
    ).toContain('24 hours');
  });

  it('keeps a verified event that could not be applied and applies it on retry', async () => {
    await app.dataSource.query(`UPDATE public.tenants SET status = 'SUSPENDED' WHERE id = $1`, [tenantB.id]);
    const raw = webhookBody(channelB.phoneNumberId, { messages: [textMessage('wamid.B1', 'Anyone there?')] });
    expect(await post(raw, sign(raw, channelB.appSecret))).toBe(200);
    const [stored] = await app.dataSource.query(
      'SELECT processed_at, attempts, last_error FROM public.whatsapp_inbound WHERE tenant_id = $1',
      [tenantB.id],
    );
    expect(stored).toMatchObject({ processed_at: null, attempts: 1, last_error: expect.stringContaining('suspended') });

    await app.dataSource.query(`UPDATE public.tenants SET status = 'ACTIVE' WHERE id = $1`, [tenantB.id]);
    expect(await app.services.whatsApp.inbound.applyDue()).toEqual({ applied: 0, failed: 0 }); // still backing off
    await app.dataSource.query('UPDATE public.whatsapp_inbound SET next_attempt_at = now() WHERE tenant_id = $1', [
      tenantB.id,
    ]);
    expect(await app.services.whatsApp.inbound.applyDue()).toEqual({ applied: 1, failed: 0 });
    expect((await whatsAppTickets('tenant-b')).map((t) => t.subject)).toEqual(['Anyone there?']);
    expect(await whatsAppTickets('tenant-a')).toHaveLength(1);
  });

  it('ticks the whatsapp-configured onboarding step from the channel, and a removed channel refuses replies', async () => {
    const step = async (org: string) =>
      (await app.gql(OnboardingStatusDocument, {}, { org })).data!.onboardingStatus.steps.find(
        (s) => s.key === 'whatsapp-configured',
      );
    expect(await step('tenant-b')).toMatchObject({ title: 'Connect WhatsApp', completed: true, manual: false });
    expect(await step('tenant-free')).toMatchObject({ completed: false, manual: false });

    expect((await app.gql(RemoveWhatsAppChannelDocument, {}, { org: 'tenant-b' })).data!.removeWhatsAppChannel).toBe(
      true,
    );
    expect(await step('tenant-b')).toMatchObject({ completed: false });
    const [open] = await whatsAppTickets('tenant-b');
    const refused = await app.gql(
      AddTicketMessageDocument,
      { ticketId: open.id, body: 'Yes, here' },
      { org: 'tenant-b' },
    );
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CHANNEL_NOT_CONFIGURED' });
    expect((await ticket('tenant-b', open.id)).messages).toHaveLength(1);
    // A's channel is untouched.
    expect((await app.gql(WhatsAppChannelDocument, {}, { org: 'tenant-a' })).data!.whatsAppChannel).toMatchObject({
      phoneNumberId: channelA.phoneNumberId,
    });
  });
});
