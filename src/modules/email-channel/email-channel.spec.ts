import { randomUUID } from 'node:crypto';
import pino from 'pino';
import {
  AddTicketMessageDocument,
  ConfigureEmailChannelDocument,
  EmailChannelDocument,
  OnboardingStatusDocument,
  RemoveEmailChannelDocument,
  TestEmailChannelDocument,
  TicketByIdDocument,
  TicketsDocument,
  UpdateTicketDocument,
  type ConfigureEmailChannelInput,
} from '../../../test/generated/graphql';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { startImapTestServer, type ImapTestServer } from '../../../test/support/imap-test-server';
import { startSmtpTestServer, type SmtpTestServer } from '../../../test/support/smtp-test-server';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { mailboxPollJob } from '../../jobs/mailbox-poll.job';
import { recordEmailReplyDelivery } from './email-reply-delivery';

const logger = pino({ level: 'silent' });
const MAX_BYTES = 20_000;

/** A raw RFC 822 message as a mail server would store it. */
function rawMail(p: {
  from: string;
  to: string;
  subject: string;
  id?: string;
  body?: string;
  headers?: Record<string, string>;
}): string {
  const lines = [`From: ${p.from}`, `To: ${p.to}`, `Subject: ${p.subject}`, `Date: ${new Date().toUTCString()}`];
  if (p.id) lines.push(`Message-ID: ${p.id}`);
  for (const [name, value] of Object.entries(p.headers ?? {})) lines.push(`${name}: ${value}`);
  return [...lines, 'Content-Type: text/plain; charset=utf-8', '', p.body ?? 'Hello, please help.', ''].join('\r\n');
}

describe('email channel: IMAP mailbox polled into tickets, replies by SMTP (real Dovecot, real SMTP, real PostgreSQL)', () => {
  let imap: ImapTestServer;
  let smtp: SmtpTestServer;
  let app: TestApp;
  let acme: TestAccount;
  let bravo: TestAccount;

  beforeAll(async () => {
    imap = await startImapTestServer(['support-a', 'support-b', 'support-c', 'support-d']);
    smtp = await startSmtpTestServer();
    app = await startTestApp({
      AUTH_RATE_LIMIT_PER_HOUR: '1000',
      DEFAULT_FROM_EMAIL: 'Helpdesk <no-reply@tenantql.test>',
      EMAIL_MAX_MESSAGE_BYTES: String(MAX_BYTES),
      EMAIL_OUTBOX_MAX_ATTEMPTS: '2',
      ...smtp.env,
    });
    acme = await signUp(app, 'owner@acme.test', 'Acme Repairs');
    bravo = await signUp(app, 'owner@bravo.test', 'Bravo Services');
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
    await imap?.stop();
  });

  const as = (account: TestAccount) => ({ bearer: account.token, org: account.tenant.slug });
  const mailbox = (user: string, patch: Partial<ConfigureEmailChannelInput> = {}): ConfigureEmailChannelInput => ({
    imapHost: imap.host,
    imapPort: imap.port,
    secure: false,
    username: user,
    password: imap.password,
    emailAddress: `${user}@desk.test`,
    ...patch,
  });
  const configure = async (account: TestAccount, input: ConfigureEmailChannelInput) => {
    const res = await app.gql(ConfigureEmailChannelDocument, { input }, as(account));
    expect(res.errors).toBeUndefined();
    return res.data!.configureEmailChannel;
  };
  const channelOf = async (account: TestAccount) =>
    (await app.gql(EmailChannelDocument, {}, as(account))).data!.emailChannel;
  const poll = () => mailboxPollJob(app.services).run({}, { logger, touch: async () => undefined });
  const ticketsOf = async (account: TestAccount) =>
    (await app.gql(TicketsDocument, { first: 100 }, as(account))).data!.tickets.edges.map((e) => e.node);
  const ticket = async (account: TestAccount, id: string) =>
    (await app.gql(TicketByIdDocument, { id }, as(account))).data!.ticket;
  const send = async () => {
    await app.services.mailOutbox.deliverDue();
  };
  const acksTo = (address: string) => smtp.to(address).filter((m) => m.subject.startsWith('We received your request'));
  const customerMail = (user: string, p: Omit<Parameters<typeof rawMail>[0], 'to'>) =>
    imap.append(user, rawMail({ ...p, to: `${user}@desk.test` }));

  it('configures the mailbox: the password is never returned and is stored sealed; bad input is refused', async () => {
    const fresh = await signUp(app, 'owner@fresh.test', 'Fresh Desk');
    const noPassword = await app.gql(
      ConfigureEmailChannelDocument,
      { input: mailbox('support-a', { password: null }) },
      as(fresh),
    );
    expect(noPassword.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PASSWORD_REQUIRED' });
    const noAddress = await app.gql(
      ConfigureEmailChannelDocument,
      { input: mailbox('support-a', { emailAddress: null }) },
      as(fresh),
    );
    expect(noAddress.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'EMAIL_ADDRESS_REQUIRED' });
    const badHost = await app.gql(
      ConfigureEmailChannelDocument,
      { input: mailbox('support-a', { imapHost: 'imap://x:993' }) },
      as(fresh),
    );
    expect(badHost.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    expect(await channelOf(fresh)).toBeNull();

    const configured = await configure(acme, mailbox('support-a', { emailAddress: 'support@acme.test' }));
    expect(configured).toMatchObject({
      username: 'support-a',
      folder: 'INBOX',
      emailAddress: 'support@acme.test',
      hasPassword: true,
      pollEnabled: true,
      lastError: null,
    });
    // Reconfigured without a password: the stored one is kept.
    await configure(acme, mailbox('support-a', { emailAddress: 'support@acme.test', password: null }));
    const read = await app.gql(EmailChannelDocument, {}, as(acme));
    expect(JSON.stringify(read)).not.toContain(imap.password);
    const [{ schema_name: schema }] = await app.dataSource.query(
      'SELECT schema_name FROM public.tenants WHERE id = $1',
      [acme.tenant.id],
    );
    const [{ password_sealed: sealed }] = await app.dataSource.query(
      `SELECT password_sealed FROM "${schema}".email_channels`,
    );
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain(imap.password);
    expect(Buffer.from(sealed.slice(3), 'base64').toString('latin1')).not.toContain(imap.password);

    const onboarding = (await app.gql(OnboardingStatusDocument, {}, as(acme))).data!.onboardingStatus.steps;
    expect(onboarding.find((s) => s.key === 'email-channel-configured')).toMatchObject({
      completed: true,
      manual: false,
    });
  });

  let pat: { id: string; number: number };

  it('a mail appended to the mailbox becomes one ticket on the next poll; polled twice or delivered twice it stays one', async () => {
    await customerMail('support-a', {
      from: '"Pat Customer" <pat@customer.test>',
      subject: 'Printer on fire',
      id: '<m1@customer.test>',
      body: 'It is on fire.',
    });
    await poll();
    const [created] = await ticketsOf(acme);
    expect(await ticketsOf(acme)).toHaveLength(1);
    expect(created).toMatchObject({
      subject: 'Printer on fire',
      channel: 'EMAIL',
      contactAddress: 'pat@customer.test',
      status: 'NEW',
      customerId: expect.any(String),
    });
    pat = { id: created.id, number: created.number };
    expect((await ticket(acme, pat.id)).messages).toEqual([
      expect.objectContaining({ body: 'It is on fire.', author: 'CUSTOMER' }),
    ]);
    expect(await channelOf(acme)).toMatchObject({ lastPolledAt: expect.any(String), lastError: null });

    await poll();
    await customerMail('support-a', {
      from: 'pat@customer.test',
      subject: 'Printer on fire',
      id: '<m1@customer.test>',
      body: 'It is on fire.',
    });
    await poll();
    expect(await ticketsOf(acme)).toHaveLength(1);
    expect((await ticket(acme, pat.id)).messages).toHaveLength(1);

    // One acknowledgement, marked as automatic and carrying the ticket number.
    await send();
    const [ack] = acksTo('pat@customer.test');
    expect(acksTo('pat@customer.test')).toHaveLength(1);
    expect(ack.subject).toBe(`We received your request [#${pat.number}] Printer on fire`);
    expect(ack.headers).toMatchObject({
      'auto-submitted': 'auto-replied',
      'x-loop': 'support@acme.test',
      'in-reply-to': '<m1@customer.test>',
    });
    expect(ack.replyTo).toBe('support@acme.test');
  });

  it("an agent's reply goes by SMTP with threading headers; the customer's answer threads back and reopens the ticket", async () => {
    const reply = await app.gql(
      AddTicketMessageDocument,
      { ticketId: pat.id, body: 'Unplug it.\n\nThen call us.' },
      as(acme),
    );
    expect(reply.errors).toBeUndefined();
    await app.gql(
      AddTicketMessageDocument,
      { ticketId: pat.id, body: 'internal: customer seems upset', internal: true },
      as(acme),
    );
    await send();
    const replies = smtp.to('pat@customer.test').filter((m) => m.subject.startsWith('Re:'));
    expect(replies).toHaveLength(1); // the internal note is not mailed
    const [sent] = replies;
    expect(sent).toMatchObject({
      subject: `Re: [#${pat.number}] Printer on fire`,
      replyTo: 'support@acme.test',
      text: expect.stringContaining('Unplug it.'),
    });
    expect(sent.from).toMatch(/^"?Acme Repairs"? <no-reply@tenantql\.test>$/);
    expect(sent.messageId).toMatch(/^<ticket-message-[0-9a-f-]+@acme\.test>$/);
    expect(sent.headers).toMatchObject({ 'in-reply-to': '<m1@customer.test>', references: '<m1@customer.test>' });
    // Delivered by the outbox: the reply is SENT.
    expect((await ticket(acme, pat.id)).messages.find((m) => m.id === reply.data!.addTicketMessage.id)).toMatchObject({
      deliveryStatus: 'SENT',
      deliveryError: null,
    });

    await app.gql(UpdateTicketDocument, { id: pat.id, input: { status: 'PENDING' } }, as(acme));
    // The customer's client answers our reply: no ticket number, only In-Reply-To.
    await customerMail('support-a', {
      from: 'pat@customer.test',
      subject: 'Re: Printer',
      id: '<m2@customer.test>',
      body: 'Unplugged.',
      headers: { 'In-Reply-To': sent.messageId },
    });
    // Another writes the number in the subject.
    await customerMail('support-a', {
      from: 'pat@customer.test',
      subject: `Fwd: [#${pat.number}] photos`,
      id: '<m3@customer.test>',
      body: 'Photos attached.',
    });
    await poll();
    const thread = await ticket(acme, pat.id);
    expect(thread.status).toBe('OPEN');
    expect(thread.messages.map((m) => [m.author, m.body])).toEqual([
      ['CUSTOMER', 'It is on fire.'],
      ['TEAM', 'Unplug it.\n\nThen call us.'],
      ['TEAM', 'internal: customer seems upset'],
      ['CUSTOMER', 'Unplugged.'],
      ['CUSTOMER', 'Photos attached.'],
    ]);
    expect(await ticketsOf(acme)).toHaveLength(1);
    await send();
    expect(acksTo('pat@customer.test')).toHaveLength(1); // answers are not acknowledged
  });

  it('a reply the SMTP server keeps refusing stays QUEUED while it is retried, then becomes FAILED with the error', async () => {
    const { id } = (await app.gql(AddTicketMessageDocument, { ticketId: pat.id, body: 'Did it work?' }, as(acme))).data!
      .addTicketMessage;
    const delivery = async () => (await ticket(acme, pat.id)).messages.find((m) => m.id === id);
    expect(await delivery()).toMatchObject({ deliveryStatus: 'QUEUED', deliveryError: null });
    smtp.failNext(2); // EMAIL_OUTBOX_MAX_ATTEMPTS
    expect(await app.services.mailOutbox.deliverDue()).toMatchObject({ sent: 0, retried: 1 });
    expect(await delivery()).toMatchObject({ deliveryStatus: 'QUEUED', deliveryError: null });
    await app.dataSource.query('UPDATE public.email_outbox SET next_attempt_at = now() WHERE idempotency_key = $1', [
      `ticket-reply:${acme.tenant.id}:${id}`,
    ]);
    expect(await app.services.mailOutbox.deliverDue()).toMatchObject({ sent: 0, failed: 1 });
    expect(await delivery()).toMatchObject({ deliveryStatus: 'FAILED', deliveryError: expect.stringContaining('451') });
    // The channel shows it too, with a time.
    expect(await channelOf(acme)).toMatchObject({
      lastError: expect.stringMatching(/^A reply could not be sent: .*451/),
      lastErrorAt: expect.any(String),
    });

    // The reply of an organization deleted meanwhile is skipped, not an error.
    const record = recordEmailReplyDelivery({
      dataSource: app.dataSource,
      tickets: app.services.tickets,
      channels: app.services.emailChannels,
    });
    await expect(record(`ticket-reply:${randomUUID()}:${id}`, { status: 'SENT' })).resolves.toBeUndefined();
    expect(await delivery()).toMatchObject({ deliveryStatus: 'FAILED' });
  });

  it("a failed reply's lastError is cleared by a later reply or poll that succeeds; a sent reply leaves a mailbox error alone", async () => {
    const reply = async (body: string) =>
      (await app.gql(AddTicketMessageDocument, { ticketId: pat.id, body }, as(acme))).data!.addTicketMessage;
    const failReply = async () => {
      await reply('This one bounces');
      smtp.failNext(2);
      await send();
      await app.dataSource.query(
        `UPDATE public.email_outbox SET next_attempt_at = now() WHERE idempotency_key LIKE 'ticket-reply:%' AND status = 'PENDING'`,
      );
      expect(await app.services.mailOutbox.deliverDue()).toMatchObject({ failed: 1 });
      expect((await channelOf(acme))!.lastError).toMatch(/^A reply could not be sent/);
    };
    await failReply(); // (the previous test's failure is still shown too)
    await reply('This one leaves');
    await send();
    expect(await channelOf(acme)).toMatchObject({ lastError: null, lastErrorAt: null });

    await failReply();
    await poll();
    expect(await channelOf(acme)).toMatchObject({ lastError: null, lastErrorAt: null });

    // The mailbox cannot be read: a reply sent by SMTP says nothing about that.
    const acmeMailbox = (password: string) => mailbox('support-a', { emailAddress: 'support@acme.test', password });
    await configure(acme, acmeMailbox('not the password'));
    await poll();
    const unreadable = (await channelOf(acme))!;
    expect(unreadable.lastError).toContain('Authentication failed');
    await reply('Sent while the mailbox is broken');
    await send();
    expect(await channelOf(acme)).toMatchObject({
      lastError: unreadable.lastError,
      lastErrorAt: unreadable.lastErrorAt,
    });
    await configure(acme, acmeMailbox(imap.password));
    await poll();
    expect((await channelOf(acme))!.lastError).toBeNull();
  });

  it('automatic mail is never acknowledged, so an out-of-office answer to the acknowledgement does not loop; our own looped mail is dropped', async () => {
    await customerMail('support-a', { from: 'sam@client.test', subject: 'Invoice question', id: '<s1@client.test>' });
    await poll();
    await send();
    const [ack] = acksTo('sam@client.test');
    expect(acksTo('sam@client.test')).toHaveLength(1);
    // Sam's out-of-office answers the acknowledgement, and the bounce of some other mail arrives.
    await customerMail('support-a', {
      from: 'sam@client.test',
      subject: `Automatic reply: ${ack.subject}`,
      id: '<s2@client.test>',
      body: 'I am away until Monday.',
      headers: { 'Auto-Submitted': 'auto-replied', 'In-Reply-To': ack.messageId },
    });
    await customerMail('support-a', {
      from: 'MAILER-DAEMON@mx.client.test',
      subject: 'Undelivered Mail Returned to Sender',
      id: '<b1@mx.client.test>',
    });
    await customerMail('support-a', {
      from: 'news@shop.test',
      subject: 'Our weekly deals',
      id: '<n1@shop.test>',
      headers: { Precedence: 'bulk' },
    });
    await customerMail('support-a', {
      from: 'sam@client.test',
      subject: 'Looped',
      id: '<l1@client.test>',
      headers: { 'X-Loop': 'support@acme.test' },
    });
    await poll();
    await send();
    for (const sender of ['sam@client.test', 'MAILER-DAEMON@mx.client.test', 'news@shop.test'])
      expect(acksTo(sender)).toHaveLength(sender === 'sam@client.test' ? 1 : 0);

    const tickets = await ticketsOf(acme);
    const sams = tickets.find((t) => t.subject === 'Invoice question')!;
    expect((await ticket(acme, sams.id)).messages.map((m) => m.body)).toEqual([
      'Hello, please help.',
      'I am away until Monday.',
    ]);
    expect(tickets.map((t) => t.subject).sort()).toEqual([
      'Invoice question',
      'Our weekly deals',
      'Printer on fire',
      'Undelivered Mail Returned to Sender',
    ]);
  });

  it('an oversized mail is left on the server and the watermark moves past it', async () => {
    await customerMail('support-a', {
      from: 'big@client.test',
      subject: 'Huge scan',
      id: '<big@client.test>',
      body: 'x'.repeat(MAX_BYTES + 1000),
    });
    await customerMail('support-a', { from: 'small@client.test', subject: 'Small one', id: '<small@client.test>' });
    await poll();
    await poll();
    const subjects = (await ticketsOf(acme)).map((t) => t.subject);
    expect(subjects).toContain('Small one');
    expect(subjects).not.toContain('Huge scan');
  });

  it('a mailbox with a wrong password gets lastError while the other mailboxes are still polled; testEmailChannel says why', async () => {
    const broken = await signUp(app, 'owner@broken.test', 'Broken Desk');
    await configure(broken, mailbox('support-c', { password: 'not the password' }));
    await configure(bravo, mailbox('support-b'));
    await customerMail('support-b', {
      from: 'kim@bravo-client.test',
      subject: 'Bravo needs help',
      id: '<k1@bravo-client.test>',
    });
    await poll();
    expect((await ticketsOf(bravo)).map((t) => t.subject)).toEqual(['Bravo needs help']);
    expect(await channelOf(bravo)).toMatchObject({ lastError: null, lastPolledAt: expect.any(String) });
    expect(await channelOf(broken)).toMatchObject({
      lastError: expect.stringContaining('Authentication failed'),
      lastErrorAt: expect.any(String),
      lastPolledAt: expect.any(String),
    });
    expect((await channelOf(broken))!.lastError).not.toContain('not the password');

    const test = await app.gql(TestEmailChannelDocument, {}, as(broken));
    expect(test.data!.testEmailChannel).toEqual({ ok: false, error: expect.stringContaining('Authentication failed') });
    await configure(broken, mailbox('support-c', { password: imap.password }));
    expect((await app.gql(TestEmailChannelDocument, {}, as(broken))).data!.testEmailChannel).toEqual({
      ok: true,
      error: null,
    });
    expect((await channelOf(broken))!.lastError).toBeNull();
    const missing = await configure(broken, mailbox('support-c', { folder: 'Support' }));
    expect(missing.folder).toBe('Support');
    expect((await app.gql(TestEmailChannelDocument, {}, as(broken))).data!.testEmailChannel.error).toContain(
      '"Support" does not exist',
    );
  });

  it('at the tickets limit new mail waits in the mailbox (nothing lost) and comes in once there is room', async () => {
    const small = await signUp(app, 'owner@small.test', 'Small Desk');
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, small.tenant.id));
    const now = new Date();
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
    await app.dataSource.query(
      `INSERT INTO public.usage_counters (tenant_id, metric, period_start, used) VALUES ($1, 'tickets', $2, 50)`,
      [small.tenant.id, month],
    );
    await configure(small, mailbox('support-d'));
    await customerMail('support-d', { from: 'lou@client.test', subject: 'Waiting mail', id: '<w1@client.test>' });
    await poll();
    expect(await ticketsOf(small)).toEqual([]);
    expect((await channelOf(small))!.lastError).toContain('50 tickets');

    await app.dataSource.query(
      `UPDATE public.usage_counters SET used = 49 WHERE tenant_id = $1 AND metric = 'tickets'`,
      [small.tenant.id],
    );
    await poll();
    expect((await ticketsOf(small)).map((t) => t.subject)).toEqual(['Waiting mail']);
    expect((await channelOf(small))!.lastError).toBeNull();
  });

  it('isolation: another organization sees neither the mailbox nor its tickets; removing the channel refuses further replies', async () => {
    expect((await channelOf(bravo))!.username).toBe('support-b');
    expect((await ticketsOf(bravo)).map((t) => t.subject)).toEqual(['Bravo needs help']);
    const foreign = await app.gql(EmailChannelDocument, {}, { bearer: bravo.token, org: acme.tenant.slug });
    expect(foreign.errors![0].extensions.code).toBe('FORBIDDEN');
    expect((await app.gql(TicketByIdDocument, { id: pat.id }, as(bravo))).errors![0].extensions.code).toBe('NOT_FOUND');
    expect((await app.gql(RemoveEmailChannelDocument, {}, as(bravo))).data!.removeEmailChannel).toBe(true);
    expect((await channelOf(acme))!.username).toBe('support-a');

    expect((await app.gql(RemoveEmailChannelDocument, {}, as(acme))).data!.removeEmailChannel).toBe(true);
    const refused = await app.gql(AddTicketMessageDocument, { ticketId: pat.id, body: 'Anyone?' }, as(acme));
    expect(refused.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'CHANNEL_NOT_CONFIGURED' });
    const steps = (await app.gql(OnboardingStatusDocument, {}, as(acme))).data!.onboardingStatus.steps;
    expect(steps.find((s) => s.key === 'email-channel-configured')!.completed).toBe(false);
  });

  it('polls only organizations with a mailbox: configuring one makes it due at once, one without waits hours', async () => {
    const quiet = await signUp(app, 'owner@quiet.test', 'Quiet Desk');
    const dueOf = async (account: TestAccount): Promise<number> =>
      (
        await app.dataSource.query(
          `SELECT due_at FROM public.tenant_due_work WHERE tenant_id = $1 AND job = 'email.mailbox.poll'`,
          [account.tenant.id],
        )
      )[0].due_at.getTime();
    await poll();
    expect(await dueOf(quiet)).toBeGreaterThan(Date.now() + 2 * 3_600_000); // visited once (new), no mailbox
    await configure(quiet, mailbox('support-a'));
    expect(await dueOf(quiet)).toBeLessThanOrEqual(Date.now());
    await poll();
    expect((await channelOf(quiet))!.lastPolledAt).not.toBeNull();
    expect(await dueOf(quiet)).toBeLessThanOrEqual(Date.now() + 1_000); // due at every run while it has a mailbox
  });
});
