import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { OutboxQueue, type ClaimedRow, type OutboxOutcome, type OutboxReport } from '../../core/outbox';
import type { MailContent } from './mail-templates';
import type { MailEnvelope, MailTransport } from './mail-transport';

export interface OutboxMessage extends MailContent, MailEnvelope {
  /** One per event (e.g. `verify:<tokenId>`): enqueueing the same event twice stores one message. */
  idempotencyKey: string;
  to: string;
}

interface StoredAttachment {
  filename: string;
  contentType: string;
  contentBase64: string;
}

/** How a message ended: sent, or given up after its last attempt. */
export type SettledOutcome = OutboxOutcome;

/** Told when a message is settled; gets the message's idempotency key. */
export type SettledListener = (idempotencyKey: string, outcome: SettledOutcome) => Promise<void>;

export interface MailOutboxOptions {
  maxAttempts: number;
  /** First retry delay; doubles with each failed attempt up to `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a claimed message is reserved for its sender; longer than the SMTP timeouts together. */
  leaseMs?: number;
}

interface ClaimedMessage extends ClaimedRow {
  idempotency_key: string;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  from_name: string | null;
  reply_to: string | null;
  message_id: string | null;
  headers: Record<string, string>;
  attachments: StoredAttachment[];
}

const COLUMNS = [
  'idempotency_key',
  'to_address',
  'subject',
  'html',
  'text',
  'from_name',
  'reply_to',
  'message_id',
  'headers',
  'attachments',
] as const;

/**
 * Transactional outbox for email. Services `enqueue` inside the transaction of the
 * event, so a message exists exactly when the event committed; `deliverDue` (the
 * `email.outbox.deliver` job) sends due messages.
 *
 * Delivery runs on the shared outbox primitive (src/core/outbox): claims committed before the
 * SMTP conversation, a lease, back-off and FAILED after the last attempt. At-least-once in one
 * edge only: a worker that dies after the SMTP server accepted a message but before it recorded
 * SENT leaves the message to be sent again once the lease expires (same Message-ID, so clients
 * can fold it).
 */
export class MailOutbox {
  private readonly queue: OutboxQueue<ClaimedMessage>;
  private readonly settledListeners: { prefix: string; listener: SettledListener }[] = [];

  constructor(
    dataSource: DataSource,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    options: MailOutboxOptions,
  ) {
    this.queue = new OutboxQueue<ClaimedMessage>(dataSource, logger, {
      name: 'email',
      table: 'public.email_outbox',
      columns: COLUMNS,
      retry: { maxAttempts: options.maxAttempts, baseMs: options.retryBaseMs, maxMs: options.retryMaxMs },
      leaseMs: options.leaseMs ?? 120_000,
      afterSettled: (message, outcome) => this.notifySettled(message, outcome),
    });
  }

  /**
   * Calls `listener` for each message whose idempotency key starts with `prefix`, after it was
   * recorded SENT or FAILED for good (never for an attempt that will be retried). It runs in
   * the delivering worker: an error is logged and the delivery stands. A message sent twice
   * (see above) is reported twice; a worker dying right after the record reports nothing.
   */
  onSettled(prefix: string, listener: SettledListener): void {
    this.settledListeners.push({ prefix, listener });
  }

  /** Stores the message in the caller's transaction. Returns false when its idempotency key was already used. */
  async enqueue(manager: EntityManager, message: OutboxMessage): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO public.email_outbox (idempotency_key, to_address, subject, html, text, from_name, reply_to, message_id, headers, attachments)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING id`,
      [
        message.idempotencyKey,
        message.to,
        message.subject,
        message.html,
        message.text,
        message.fromName ?? null,
        message.replyTo ?? null,
        message.messageId ?? null,
        JSON.stringify(message.headers ?? {}),
        JSON.stringify(
          (message.attachments ?? []).map((a): StoredAttachment => ({
            filename: a.filename,
            contentType: a.contentType,
            contentBase64: a.content.toString('base64'),
          })),
        ),
      ],
    );
    return rows.length > 0;
  }

  /**
   * Sends up to `limit` due messages, one claim at a time, so each is sent well within its lease.
   * `afterEach` lets a job runner renew its own lock while a long batch is delivered.
   */
  deliverDue(limit = 50, afterEach: () => Promise<unknown> = async () => undefined): Promise<OutboxReport> {
    return this.queue.deliverDue(limit, (message) => this.send(message), afterEach);
  }

  private async send(message: ClaimedMessage): Promise<Record<string, unknown>> {
    await this.transport.send({
      id: message.id,
      to: message.to_address,
      subject: message.subject,
      html: message.html,
      text: message.text,
      fromName: message.from_name ?? undefined,
      replyTo: message.reply_to ?? undefined,
      messageId: message.message_id ?? undefined,
      headers: message.headers,
      attachments: message.attachments.map((a) => ({
        filename: a.filename,
        contentType: a.contentType,
        content: Buffer.from(a.contentBase64, 'base64'),
      })),
    });
    return { sent_at: new Date() };
  }

  /** Each listener on its own: a failing one is logged and neither the delivery nor the others are affected. */
  private async notifySettled(message: ClaimedMessage, outcome: SettledOutcome): Promise<void> {
    for (const { prefix, listener } of this.settledListeners) {
      if (!message.idempotency_key.startsWith(prefix)) continue;
      try {
        await listener(message.idempotency_key, outcome);
      } catch (error) {
        this.logger.error(
          { outboxId: message.id, idempotencyKey: message.idempotency_key, err: error },
          'email outbox listener failed; the delivery stands',
        );
      }
    }
  }
}
