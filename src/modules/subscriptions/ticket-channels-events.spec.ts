import {
  ConfigureWhatsAppChannelDocument,
  CreateTicketDocument,
  TicketEventsDocument,
  type TicketEventsSubscription,
} from '../../../test/generated/graphql';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { signWhatsApp, WHATSAPP_WEBHOOK, whatsAppWebhookBody } from '../../../test/support/whatsapp-webhook';
import { startFakeWhatsAppApi, type FakeWhatsAppApi } from '../../../test/support/fake-whatsapp-api';
import {
  connectSubscriber,
  until,
  type TestSubscriber,
  type TestSubscription,
} from '../../../test/support/subscription-client';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { TicketChannel } from '../tickets';

const CUSTOMER = '9779812345678';

/**
 * Tickets from every way they arrive (the API, a polled mailbox, the WhatsApp webhook) reach a subscriber
 * of their organization within 1 s of their commit, and never one of another organization.
 */
describe('ticket events of every channel reach subscribers', () => {
  let app: TestApp;
  let whatsAppApi: FakeWhatsAppApi;
  let acme: TestAccount;
  let bravo: TestAccount;
  let subscribers: TestSubscriber[];
  let mine: TestSubscription<TicketEventsSubscription>;
  let theirs: TestSubscription<TicketEventsSubscription>;

  beforeAll(async () => {
    whatsAppApi = await startFakeWhatsAppApi();
    app = await startTestApp({ WHATSAPP_API_BASE_URL: whatsAppApi.url });
    acme = await signUp(app, 'owner@acme-live.test', 'Acme Live');
    bravo = await signUp(app, 'owner@bravo-live.test', 'Bravo Live');
  });
  beforeEach(async () => {
    subscribers = [acme, bravo].map((account) =>
      connectSubscriber(app, { authorization: `Bearer ${account.token}`, 'x-organization-id': account.tenant.slug }),
    );
    [mine, theirs] = subscribers.map((subscriber) => subscriber.subscribe(TicketEventsDocument));
    await until(() => app.services.eventFeed.subscriberCount >= 2);
  });
  afterEach(async () => {
    await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    await until(() => app.services.eventFeed.subscriberCount === 0); // the next test counts only its own
    expect(theirs.received).toEqual([]);
  });
  afterAll(async () => {
    await app?.close();
    await whatsAppApi?.close();
  });

  const asAcme = () => ({ bearer: acme.token, org: acme.tenant.slug });
  const eventsOf = (type: string) => mine.received.map((r) => r.ticketEvents).filter((e) => e.type === type);

  it('a ticket created through the API', async () => {
    const created = await app.gql(CreateTicketDocument, { input: { subject: 'Screen is blank' } }, asAcme());
    const committedAt = Date.now();
    const ticketId = created.data!.createTicket.id;
    const [{ ticketEvents }] = await mine.next(1, 1000);
    expect(Date.now() - committedAt).toBeLessThan(1000);
    expect(ticketEvents).toMatchObject({
      type: 'TICKET_CREATED',
      ticketId,
      subject: 'Screen is blank',
      channel: 'API',
      actor: { kind: 'USER', id: acme.userId },
    });
  });

  it('a ticket opened by an email (what the mailbox poll hands to the tickets)', async () => {
    // No IMAP server here (email-channel.spec polls a real one): the poll's own call into the tickets.
    const [row] = await app.dataSource.query('SELECT schema_name FROM public.tenants WHERE id = $1', [acme.tenant.id]);
    const tenant = { ...acme.tenant, status: 'ACTIVE' as const, schema: row.schema_name as string };
    await runInSchema(
      app.dataSource,
      tenant.schema,
      (em) =>
        app.services.tickets.receiveFromCustomer(em, tenant.id, {
          channel: TicketChannel.EMAIL,
          externalId: '<live-1@customer.test>',
          from: { address: 'pat@customer.test', name: 'Pat' },
          subject: 'Invoice is wrong',
          body: 'The total is off.',
        }),
      tenant,
    );
    const committedAt = Date.now();
    await until(() => eventsOf('TICKET_MESSAGE_ADDED').length > 0, 1000);
    expect(Date.now() - committedAt).toBeLessThan(1000);
    expect(eventsOf('TICKET_CREATED')[0]).toMatchObject({
      subject: 'Invoice is wrong',
      channel: 'EMAIL',
      actor: { kind: 'CHANNEL', id: 'email' },
    });
    expect(eventsOf('TICKET_MESSAGE_ADDED')[0]).toMatchObject({ message: { author: 'CUSTOMER', internal: false } });
  });

  it('a ticket opened by a WhatsApp message', async () => {
    const channel = {
      phoneNumberId: '3333333333',
      accessToken: 'EAAG-token-of-acme',
      verifyToken: 'verify-token-of-acme',
      appSecret: 'app-secret-of-acme-0123',
    };
    expect((await app.gql(ConfigureWhatsAppChannelDocument, { input: channel }, asAcme())).errors).toBeUndefined();
    const message = { from: CUSTOMER, id: 'wamid.LIVE1', timestamp: '1760000000', type: 'text', text: { body: 'Hi' } };
    const raw = whatsAppWebhookBody(channel.phoneNumberId, CUSTOMER, { messages: [message] });
    const posted = await fetch(`${app.url}${WHATSAPP_WEBHOOK}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWhatsApp(raw, channel.appSecret) },
      body: raw,
    });
    expect(posted.status).toBe(200);
    const answeredAt = Date.now();
    await until(() => eventsOf('TICKET_CREATED').length > 0, 1000);
    expect(Date.now() - answeredAt).toBeLessThan(1000);
    expect(eventsOf('TICKET_CREATED')[0]).toMatchObject({ channel: 'WHATSAPP', actor: { kind: 'CHANNEL' } });
  });
});
