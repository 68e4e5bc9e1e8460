import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { rawWrite } from '../../core/database/raw-write';
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

export interface DeliveryReport {
  sent: number;
  /** Attempts that failed and were rescheduled. */
  retried: number;
  /** Messages that used their last attempt and were given up (kept as FAILED with the error). */
  failed: number;
}

/** How a message ended: sent, or given up after its last attempt. */
export type SettledOutcome = { status: 'SENT' } | { status: 'FAILED'; error: string };

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

interface ClaimedMessage {
  id: string;
  idempotency_key: string;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  attempts: number;
  from_name: string | null;
  reply_to: string | null;
  message_id: string | null;
  headers: Record<string, string>;
  attachments: StoredAttachment[];
}

/**
 * Transactional outbox for email. Services `enqueue` inside the transaction of the
 * event, so a message exists exactly when the event committed; `deliverDue` (the
 * `email.outbox.deliver` job) sends due messages.
 *
 * Claiming is one statement (`FOR UPDATE SKIP LOCKED` + status SENDING + a lease in
 * `next_attempt_at`), committed before the SMTP conversation, so concurrent workers
 * never pick the same message and no transaction stays open during network I/O.
 * Delivery is at-least-once in one edge only: a worker that dies after the SMTP
 * server accepted a message but before it recorded SENT leaves the message to be
 * sent again once the lease expires (same Message-ID, so clients can fold it).
 */
export class MailOutbox {
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly leaseMs: number;
  private readonly settledListeners: { prefix: string; listener: SettledListener }[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly transport: MailTransport,
    private readonly logger: Logger,
    private readonly options: MailOutboxOptions,
  ) {
    this.retryBaseMs = options.retryBaseMs ?? 30_000;
    this.retryMaxMs = options.retryMaxMs ?? 3_600_000;
    this.leaseMs = options.leaseMs ?? 120_000;
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
  async deliverDue(limit = 50, afterEach: () => Promise<unknown> = async () => undefined): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, retried: 0, failed: 0 };
    for (let i = 0; i < limit; i++, await afterEach()) {
      const message = await this.claimNext();
      if (!message) break;
      try {
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
      } catch (error) {
        report[await this.recordFailure(message, error)]++;
        continue;
      }
      await this.dataSource.query(
        `UPDATE public.email_outbox SET status = 'SENT', sent_at = now(), last_error = NULL, updated_at = now() WHERE id = $1`,
        [message.id],
      );
      report.sent++;
      await this.notifySettled(message, { status: 'SENT' });
    }
    return report;
  }

  private async claimNext(): Promise<ClaimedMessage | undefined> {
    // Due = PENDING whose retry time has come, or SENDING whose lease ran out (its worker died).
    const rows: ClaimedMessage[] = await this.dataSource.query(
      `WITH next AS (
         SELECT id FROM public.email_outbox
          WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= now() AND attempts < $2
          ORDER BY next_attempt_at
          LIMIT 1
          FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE public.email_outbox o
            SET status = 'SENDING', attempts = o.attempts + 1,
                next_attempt_at = now() + $1 * interval '1 millisecond', updated_at = now()
           FROM next WHERE o.id = next.id
         RETURNING o.id, o.idempotency_key, o.to_address, o.subject, o.html, o.text, o.attempts, o.from_name, o.reply_to, o.message_id, o.headers, o.attachments
       )
       SELECT * FROM claimed`,
      [this.leaseMs, this.options.maxAttempts],
    );
    return rows[0];
  }

  private async recordFailure(message: ClaimedMessage, error: unknown): Promise<'retried' | 'failed'> {
    const final = message.attempts >= this.options.maxAttempts;
    const delayMs = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (message.attempts - 1));
    const reason = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
    // Only while this attempt still owns the message (the lease may have been taken over).
    const { affected: owned } = await rawWrite(
      this.dataSource,
      `UPDATE public.email_outbox
          SET status = $2, next_attempt_at = now() + $3 * interval '1 millisecond', last_error = $4, updated_at = now()
        WHERE id = $1 AND status = 'SENDING' AND attempts = $5`,
      [message.id, final ? 'FAILED' : 'PENDING', delayMs, reason, message.attempts],
    );
    const log = { outboxId: message.id, attempts: message.attempts, error: reason };
    if (!final) {
      this.logger.warn({ ...log, retryInMs: delayMs }, 'email delivery failed; will retry');
      return 'retried';
    }
    this.logger.error(log, 'email delivery failed for good; kept as FAILED in the outbox');
    if (owned) await this.notifySettled(message, { status: 'FAILED', error: reason });
    return 'failed';
  }

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
