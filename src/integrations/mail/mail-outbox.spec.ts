import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../../core/config/config';
import { createLogger } from '../../core/logging/logger';
import { startSmtpTestServer, type SmtpTestServer } from '../../../test/support/smtp-test-server';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../../test/support/test-database';
import { MailOutbox, type OutboxMessage } from './mail-outbox';
import { MailTemplates } from './mail-templates';
import { createMailTransport } from './mail-transport';

const logger = createLogger('silent');

const message = (key: string, to = 'someone@example.com'): OutboxMessage => ({
  idempotencyKey: key,
  to,
  ...new MailTemplates('tenantql').verifyEmail({
    firstName: 'Sam',
    link: `https://app.example.test/verify-email?token=${key}`,
    expiresInHours: 48,
  }),
});

describe('email outbox (real PostgreSQL, real SMTP)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let smtp: SmtpTestServer;

  const outbox = (maxAttempts = 5) =>
    new MailOutbox(dataSource, createMailTransport(loadConfig({ NODE_ENV: 'test', ...smtp.env }), logger), logger, {
      maxAttempts,
    });
  const enqueue = (box: MailOutbox, msg: OutboxMessage) => dataSource.transaction((em) => box.enqueue(em, msg));
  const row = async (key: string) =>
    (
      await dataSource.query(
        `SELECT id, status, attempts, last_error, next_attempt_at > now() AS waiting FROM public.email_outbox WHERE idempotency_key = $1`,
        [key],
      )
    )[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 5);
    smtp = await startSmtpTestServer();
  });
  afterAll(async () => {
    await smtp.close();
    await dataSource.destroy();
    await database.drop();
  });
  beforeEach(async () => {
    await dataSource.query('DELETE FROM public.email_outbox');
    smtp.messages.length = 0;
  });

  it('retries with back-off after the SMTP server refuses, then sends exactly once', async () => {
    const box = outbox();
    await enqueue(box, message('verify:retry'));
    smtp.failNext(1);

    expect(await box.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(await row('verify:retry')).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      waiting: true,
      last_error: expect.stringContaining('451'),
    });
    // Not due yet: nothing is sent early.
    expect(await box.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(smtp.messages).toHaveLength(0);

    await dataSource.query(
      `UPDATE public.email_outbox SET next_attempt_at = now() WHERE idempotency_key = 'verify:retry'`,
    ); // the back-off has passed
    expect(await box.deliverDue()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(await box.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });

    const sent = await row('verify:retry');
    expect(sent).toMatchObject({ status: 'SENT', attempts: 2, last_error: null });
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toMatchObject({ to: ['someone@example.com'], messageId: `<${sent.id}@localhost>` });
    expect(smtp.messages[0].text).toContain('https://app.example.test/verify-email?token=verify:retry');
  });

  it('stores one message per idempotency key, and none when the event rolls back', async () => {
    const box = outbox();
    expect(await enqueue(box, message('reset:once'))).toBe(true);
    expect(await enqueue(box, message('reset:once'))).toBe(false);
    await expect(
      dataSource.transaction(async (em) => {
        await box.enqueue(em, message('reset:rolled-back'));
        throw new Error('the event failed');
      }),
    ).rejects.toThrow('the event failed');
    const keys = await dataSource.query('SELECT idempotency_key FROM public.email_outbox ORDER BY idempotency_key');
    expect(keys).toEqual([{ idempotency_key: 'reset:once' }]);
    await box.deliverDue();
    expect(smtp.messages).toHaveLength(1);
  });

  it('two workers draining at once send every message exactly once', async () => {
    const count = 30;
    const setup = outbox();
    for (let i = 0; i < count; i++) await enqueue(setup, message(`bulk:${i}`, `user${i}@example.com`));
    const reports = await Promise.all([
      outbox().deliverDue(count),
      outbox().deliverDue(count),
      outbox().deliverDue(count),
    ]);
    expect(reports.reduce((sum, r) => sum + r.sent, 0)).toBe(count);
    const recipients = smtp.messages.flatMap((m) => m.to).sort();
    expect(recipients).toEqual(Array.from({ length: count }, (_, i) => `user${i}@example.com`).sort());
  });

  it('gives up after the last attempt and keeps the message as FAILED with the error', async () => {
    const box = outbox(2);
    await enqueue(box, message('verify:doomed'));
    smtp.failNext(2);
    expect(await box.deliverDue()).toMatchObject({ retried: 1 });
    await dataSource.query(`UPDATE public.email_outbox SET next_attempt_at = now()`);
    expect(await box.deliverDue()).toMatchObject({ failed: 1 });
    await dataSource.query(`UPDATE public.email_outbox SET next_attempt_at = now()`);
    expect(await box.deliverDue()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await row('verify:doomed')).toMatchObject({
      status: 'FAILED',
      attempts: 2,
      last_error: expect.stringContaining('451'),
    });
  });

  it('tells settled listeners of their prefix once a message is SENT or FAILED for good, never for a retried attempt', async () => {
    const box = outbox(2);
    const settled: [string, unknown][] = [];
    box.onSettled('reply:', async (key, outcome) => void settled.push([key, outcome]));
    box.onSettled('reply:', async () => {
      throw new Error('a broken listener');
    });
    await enqueue(box, message('reply:retried-then-sent'));
    smtp.failNext(1);
    expect(await box.deliverDue()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(settled).toEqual([]);

    await enqueue(box, message('verify:other-prefix'));
    await enqueue(box, message('reply:first-try'));
    await dataSource.query(`UPDATE public.email_outbox SET next_attempt_at = now()`);
    expect(await box.deliverDue()).toEqual({ sent: 3, retried: 0, failed: 0 });
    expect(settled.sort()).toEqual([
      ['reply:first-try', { status: 'SENT' }],
      ['reply:retried-then-sent', { status: 'SENT' }],
    ]);
    // The throwing listener undid nothing.
    expect(await row('reply:retried-then-sent')).toMatchObject({ status: 'SENT', attempts: 2 });

    settled.length = 0;
    await enqueue(box, message('reply:refused'));
    smtp.failNext(2);
    expect(await box.deliverDue()).toMatchObject({ retried: 1 });
    await dataSource.query(`UPDATE public.email_outbox SET next_attempt_at = now()`);
    expect(await box.deliverDue()).toMatchObject({ failed: 1 });
    expect(settled).toEqual([['reply:refused', { status: 'FAILED', error: expect.stringContaining('451') }]]);
  });

  it('picks up a message whose worker died mid-send once its lease expires', async () => {
    const box = outbox();
    await enqueue(box, message('verify:orphan'));
    // A worker claimed it and vanished: SENDING, lease (next_attempt_at) in the future.
    await dataSource.query(
      `UPDATE public.email_outbox SET status = 'SENDING', attempts = 1, next_attempt_at = now() + interval '2 minutes'`,
    );
    expect(await box.deliverDue()).toMatchObject({ sent: 0 });
    await dataSource.query(`UPDATE public.email_outbox SET next_attempt_at = now() - interval '1 second'`);
    expect(await box.deliverDue()).toMatchObject({ sent: 1 });
    expect(await row('verify:orphan')).toMatchObject({ status: 'SENT', attempts: 2 });
  });

  it('delivers the envelope: sender name, Reply-To, own Message-ID, threading headers and attachments', async () => {
    const box = outbox();
    const pdf = Buffer.from('%PDF-1.7 pretend document');
    await enqueue(box, {
      ...message('reply:1', 'customer@example.com'),
      fromName: 'Acme Support',
      replyTo: 'support@acme.example',
      messageId: '<reply-1@acme.example>',
      headers: { 'In-Reply-To': '<first@customer.example>', References: '<first@customer.example>' },
      attachments: [{ filename: 'quote.pdf', contentType: 'application/pdf', content: pdf }],
    });
    expect(await box.deliverDue()).toMatchObject({ sent: 1 });
    const [mail] = smtp.to('customer@example.com');
    expect(mail).toMatchObject({ messageId: '<reply-1@acme.example>', replyTo: 'support@acme.example' });
    expect(mail.from).toMatch(/^"?Acme Support"? </);
    expect(mail.headers).toMatchObject({
      'in-reply-to': '<first@customer.example>',
      references: '<first@customer.example>',
    });
    expect(mail.attachments).toEqual([
      expect.objectContaining({ filename: 'quote.pdf', contentType: 'application/pdf', content: pdf }),
    ]);
  });

  it('without EMAIL_HOST writes each message to <EMAIL_DEV_DIR>/<id>.eml', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenantql-outbox-'));
    try {
      const transport = createMailTransport(loadConfig({ NODE_ENV: 'test', EMAIL_DEV_DIR: dir }), logger);
      const box = new MailOutbox(dataSource, transport, logger, { maxAttempts: 3 });
      await enqueue(box, message('verify:dev'));
      expect(await box.deliverDue()).toMatchObject({ sent: 1 });
      const { id } = await row('verify:dev');
      expect(await readdir(dir)).toEqual([`${id}.eml`]);
      const eml = await readFile(path.join(dir, `${id}.eml`), 'utf8');
      expect(eml).toContain('Subject: Confirm your email address for tenantql');
      expect(eml).toMatch(/verify-email\?token=(3D)?verify:dev/); // the '=' may be quoted-printable
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
