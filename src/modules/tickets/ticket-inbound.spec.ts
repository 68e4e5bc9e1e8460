import pino from 'pino';
import type { EntityManager } from 'typeorm';
import { TEST_PASSWORD } from '../../../test/support/accounts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { openDatabase, type Database } from '../../app/database';
import { createServices, type Services } from '../../app/services';
import { loadConfig } from '../../core/config/config';
import { ConflictError } from '../../core/errors/app-error';
import { runInSchema, type ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { InboundMessage, TicketReply } from './ticket-channel';
import { Ticket, TicketMessage } from './ticket.entity';
import { DeliveryStatus, MessageAuthor, TicketChannel, TicketStatus } from './ticket-enums';

const logger = pino({ level: 'silent' });

/** The tickets side of channels: what mailbox polling and the WhatsApp webhook rely on. */
describe('tickets from channels: receiving customer messages and queueing replies (real PostgreSQL)', () => {
  let database: TestDatabase;
  let db: Database;
  let services: Services;
  let tenant: ScopedTenant;
  let actor: { tenantId: string; userId: string };
  const queued: TicketReply[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url });
    db = await openDatabase(config, logger);
    services = createServices(config, db.dataSource, db.url);
    const signedUp = await services.auth.register(
      {
        email: 'inbound@tickets.test',
        password: TEST_PASSWORD,
        firstName: 'Ina',
        lastName: 'Tester',
        businessName: 'Inbound Desk',
      },
      { ip: '127.0.0.1' },
    );
    const org = signedUp.signUpTenant!;
    tenant = { id: org.id, slug: org.slug, status: 'ACTIVE', schema: org.schemaName };
    actor = { tenantId: org.id, userId: signedUp.user.id };
    // A stand-in for the WhatsApp module (email stays unregistered): records what it was asked to queue.
    services.tickets.registerReplyChannel({
      channel: TicketChannel.WHATSAPP,
      queueReply: async (_em, reply) => {
        queued.push(reply);
        return {};
      },
    });
  });
  afterAll(async () => {
    await services.auth.whenIdle();
    await db.close();
    await database.drop();
  });

  const inTenant = <T>(work: (em: EntityManager) => Promise<T>) =>
    runInSchema(db.dataSource, tenant.schema, work, tenant);
  const receive = (message: InboundMessage) =>
    inTenant((em) => services.tickets.receiveFromCustomer(em, tenant.id, message));
  const email = (externalId: string, patch: Partial<InboundMessage> = {}): InboundMessage => ({
    channel: TicketChannel.EMAIL,
    externalId,
    from: { address: 'Pat@Customer.example', name: 'Pat Customer' },
    subject: 'Printer on fire',
    body: 'It is on fire.',
    ...patch,
  });
  const whatsapp = (externalId: string, body: string): InboundMessage => ({
    channel: TicketChannel.WHATSAPP,
    externalId,
    from: { address: '9779812345678', name: 'Ram' },
    subject: body,
    body,
  });
  const messagesOf = (ticketId: string) =>
    inTenant((em) => em.find(TicketMessage, { where: { ticketId }, order: { createdAt: 'ASC' } }));

  it('a first email opens a ticket on the EMAIL channel, from a new customer, and a second delivery is a duplicate', async () => {
    const first = await receive(email('<m1@customer.example>'));
    expect(first).toMatchObject({ kind: 'created', ticketNumber: expect.any(Number), customerId: expect.any(String) });
    if (first.kind === 'duplicate') throw new Error('unreachable');
    const ticket = await inTenant((em) => em.findOneByOrFail(Ticket, { id: first.ticketId }));
    expect(ticket).toMatchObject({
      channel: TicketChannel.EMAIL,
      status: TicketStatus.NEW,
      contactAddress: 'Pat@Customer.example',
      subject: 'Printer on fire',
    });
    const [customer] = await inTenant((em) =>
      em.query('SELECT name, email FROM customers WHERE id = $1', [first.customerId]),
    );
    expect(customer).toEqual({ name: 'Pat Customer', email: 'Pat@Customer.example' });
    expect(await messagesOf(first.ticketId)).toEqual([
      expect.objectContaining({ author: MessageAuthor.CUSTOMER, externalId: '<m1@customer.example>' }),
    ]);

    expect(await receive(email('<m1@customer.example>'))).toEqual({ kind: 'duplicate' });
    expect(await messagesOf(first.ticketId)).toHaveLength(1);
  });

  it('threads email by ticket number in the subject (from its contact only), then by In-Reply-To/References; the known sender is reused', async () => {
    const opened = await receive(email('<m2@customer.example>', { subject: 'Scanner jammed' }));
    if (opened.kind === 'duplicate') throw new Error('unreachable');
    const byNumber = await receive(
      email('<m3@customer.example>', {
        subject: `Re: [#${opened.ticketNumber}] Scanner jammed`,
        thread: { ticketNumber: opened.ticketNumber },
      }),
    );
    expect(byNumber).toMatchObject({ kind: 'appended', ticketId: opened.ticketId });
    // The number alone does not let a stranger write into someone else's ticket.
    const stranger = await receive(
      email('<s1@elsewhere.example>', {
        from: { address: 'mallory@elsewhere.example' },
        subject: `[#${opened.ticketNumber}] me too`,
        thread: { ticketNumber: opened.ticketNumber },
      }),
    );
    expect(stranger).toMatchObject({ kind: 'created' });
    const byReference = await receive(
      email('<m4@customer.example>', {
        subject: 'Re: Scanner jammed',
        thread: { messageIds: ['<unknown@x>', '<m2@customer.example>'] },
      }),
    );
    expect(byReference).toMatchObject({ kind: 'appended', ticketId: opened.ticketId, customerId: opened.customerId });
    const unrelated = await receive(
      email('<m5@customer.example>', { from: { address: 'pat@customer.example' }, subject: 'Another thing' }),
    );
    expect(unrelated).toMatchObject({ kind: 'created', customerId: opened.customerId }); // same address, any case
  });

  it('a customer answer reopens a PENDING or RESOLVED ticket; a CLOSED ticket is never continued', async () => {
    const opened = await receive(email('<p1@customer.example>', { subject: 'Pending one' }));
    if (opened.kind === 'duplicate') throw new Error('unreachable');
    await inTenant((em) => services.tickets.update(em, actor, opened.ticketId, { status: TicketStatus.PENDING }));
    await receive(email('<p2@customer.example>', { thread: { messageIds: ['<p1@customer.example>'] } }));
    expect((await inTenant((em) => services.tickets.get(em, opened.ticketId))).status).toBe(TicketStatus.OPEN);

    await inTenant((em) => services.tickets.update(em, actor, opened.ticketId, { status: TicketStatus.CLOSED }));
    const after = await receive(
      email('<p3@customer.example>', {
        thread: { ticketNumber: opened.ticketNumber, messageIds: ['<p1@customer.example>'] },
      }),
    );
    expect(after.kind).toBe('created');
  });

  it('WhatsApp messages continue the sender’s open WhatsApp ticket; replies are queued on the channel in the same transaction', async () => {
    const first = await receive(whatsapp('wamid.A1', 'Hello, my order is late'));
    const second = await receive(whatsapp('wamid.A2', 'Order 1234'));
    if (first.kind === 'duplicate') throw new Error('unreachable');
    expect(second).toMatchObject({ kind: 'appended', ticketId: first.ticketId });
    const [customer] = await inTenant((em) =>
      em.query('SELECT phone FROM customers WHERE id = $1', [first.customerId]),
    );
    expect(customer.phone).toBe('+9779812345678');

    const reply = await inTenant((em) => services.tickets.addMessage(em, actor, first.ticketId, 'On its way', false));
    expect(reply).toMatchObject({ author: MessageAuthor.TEAM, deliveryStatus: DeliveryStatus.QUEUED });
    expect(queued.at(-1)).toMatchObject({
      tenantId: tenant.id,
      threadExternalIds: ['wamid.A1', 'wamid.A2'],
      message: expect.objectContaining({ id: reply.id }),
    });

    const note = await inTenant((em) => services.tickets.addMessage(em, actor, first.ticketId, 'internal only', true));
    expect(note.deliveryStatus).toBeNull();
    expect(queued).toHaveLength(1);

    expect(
      await inTenant((em) =>
        services.tickets.recordDelivery(em, { messageId: reply.id }, DeliveryStatus.SENT, { externalId: 'wamid.OUT1' }),
      ),
    ).toBe(true);
    expect(
      await inTenant((em) => services.tickets.recordDelivery(em, { externalId: 'wamid.OUT1' }, DeliveryStatus.READ)),
    ).toBe(true);
    // A customer's message is never given a delivery status.
    expect(
      await inTenant((em) => services.tickets.recordDelivery(em, { externalId: 'wamid.A1' }, DeliveryStatus.READ)),
    ).toBe(false);
    const [stored] = (await messagesOf(first.ticketId)).filter((m) => m.id === reply.id);
    expect(stored).toMatchObject({ externalId: 'wamid.OUT1', deliveryStatus: DeliveryStatus.READ });
  });

  it('a public reply on a ticket whose channel is not available is refused and nothing is stored', async () => {
    const opened = await receive(email('<c1@customer.example>', { subject: 'No mailbox' }));
    if (opened.kind === 'duplicate') throw new Error('unreachable');
    const attempt = inTenant((em) => services.tickets.addMessage(em, actor, opened.ticketId, 'Hello?', false));
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ details: { reason: 'CHANNEL_NOT_CONFIGURED' } });
    expect(await messagesOf(opened.ticketId)).toHaveLength(1);
    // Internal notes need no channel.
    await inTenant((em) => services.tickets.addMessage(em, actor, opened.ticketId, 'note', true));
    expect(await messagesOf(opened.ticketId)).toHaveLength(2);
  });
});
