import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { rawWrite } from '../../core/database/raw-write';
import { ConflictError } from '../../core/errors/app-error';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import { WhatsAppSendError, type WhatsAppClient } from '../../integrations/whatsapp';
import {
  DeliveryStatus,
  TicketChannel,
  type TicketReply,
  type TicketReplyChannel,
  type TicketService,
} from '../tickets';
import type { WhatsAppChannelService } from './whatsapp-channel.service';
import { errorText, retryDelayMs, type RetryPolicy } from './whatsapp-retry';

export interface WhatsAppOutboxDependencies {
  dataSource: DataSource;
  channels: Pick<WhatsAppChannelService, 'senderOf' | 'recordError'>;
  client: Pick<WhatsAppClient, 'sendText'>;
  tickets: Pick<TicketService, 'recordDelivery'>;
  logger: Logger;
  retry: RetryPolicy;
}

export interface WhatsAppDeliveryReport {
  sent: number;
  retried: number;
  failed: number;
}

interface ClaimedReply {
  id: string;
  tenant_id: string;
  ticket_message_id: string;
  to_address: string;
  body: string;
  attempts: number;
}

/** A claimed reply is reserved this long for its sender: longer than the API call's timeout. */
const LEASE_MS = 120_000;

/**
 * Team replies on WhatsApp tickets. `queueReply` (the tickets module calls it in the reply's
 * transaction) stores an outbox row; `deliverDue` (a job) claims due rows one at a time with
 * `FOR UPDATE SKIP LOCKED`, calls the Cloud API outside any transaction, and records the
 * outcome on the tenant's message: SENT with the wamid, or FAILED with the error once the
 * error is permanent or the last attempt failed. Retryable failures wait with back-off.
 * As with email, a worker dying between Meta's answer and the record sends the reply again.
 */
export class WhatsAppOutbox implements TicketReplyChannel {
  readonly channel = TicketChannel.WHATSAPP;

  constructor(private readonly deps: WhatsAppOutboxDependencies) {}

  async queueReply(em: EntityManager, reply: TicketReply): Promise<{ externalId?: string }> {
    const configured: unknown[] = await em.query('SELECT 1 FROM public.whatsapp_channels WHERE tenant_id = $1', [
      reply.tenantId,
    ]);
    if (!configured.length) {
      throw new ConflictError('This organization has no WhatsApp channel to send the reply through', {
        reason: 'CHANNEL_NOT_CONFIGURED',
      });
    }
    if (!reply.ticket.contactAddress)
      throw new ConflictError('The ticket has no WhatsApp number to reply to', { reason: 'NO_CONTACT_ADDRESS' });
    await em.query(
      'INSERT INTO public.whatsapp_outbox (tenant_id, ticket_message_id, to_address, body) VALUES ($1, $2, $3, $4)',
      [reply.tenantId, reply.message.id, reply.ticket.contactAddress, reply.message.body],
    );
    return {};
  }

  /** Sends up to `limit` due replies; `afterEach` lets the job renew its lock. */
  async deliverDue(
    limit = 50,
    afterEach: () => Promise<unknown> = async () => undefined,
  ): Promise<WhatsAppDeliveryReport> {
    const report: WhatsAppDeliveryReport = { sent: 0, retried: 0, failed: 0 };
    for (let i = 0; i < limit; i++, await afterEach()) {
      const reply = await this.claimNext();
      if (!reply) break;
      let wamid: string;
      try {
        const sender = await this.deps.channels.senderOf(reply.tenant_id);
        if (!sender) throw new WhatsAppSendError('CHANNEL_REMOVED: the WhatsApp channel was removed', false);
        wamid = await this.deps.client.sendText({ ...sender, to: reply.to_address, body: reply.body });
      } catch (error) {
        report[await this.recordFailure(reply, error)]++;
        continue;
      }
      await this.record(reply, { status: 'SENT', wamid, error: null });
      report.sent++;
    }
    return report;
  }

  private async claimNext(): Promise<ClaimedReply | undefined> {
    // Due = PENDING whose retry time has come, or SENDING whose lease ran out (its worker died).
    const rows: ClaimedReply[] = await this.deps.dataSource.query(
      `WITH next AS (
         SELECT id FROM public.whatsapp_outbox
          WHERE status IN ('PENDING', 'SENDING') AND next_attempt_at <= now() AND attempts < $2
          ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED
       ), claimed AS (
         UPDATE public.whatsapp_outbox o
            SET status = 'SENDING', attempts = o.attempts + 1, next_attempt_at = now() + $1 * interval '1 millisecond', updated_at = now()
           FROM next WHERE o.id = next.id
         RETURNING o.id, o.tenant_id, o.ticket_message_id, o.to_address, o.body, o.attempts
       )
       SELECT * FROM claimed`,
      [LEASE_MS, this.deps.retry.maxAttempts],
    );
    return rows[0];
  }

  private async recordFailure(reply: ClaimedReply, error: unknown): Promise<'retried' | 'failed'> {
    const reason = errorText(error);
    const final =
      !(error instanceof WhatsAppSendError && error.retryable) || reply.attempts >= this.deps.retry.maxAttempts;
    const log = { outboxId: reply.id, tenantId: reply.tenant_id, attempts: reply.attempts, error: reason };
    if (!final) {
      const delayMs = retryDelayMs(this.deps.retry, reply.attempts);
      await this.deps.dataSource.query(
        `UPDATE public.whatsapp_outbox SET status = 'PENDING', next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3, updated_at = now()
          WHERE id = $1 AND status = 'SENDING' AND attempts = $4`,
        [reply.id, delayMs, reason, reply.attempts],
      );
      this.deps.logger.warn({ ...log, retryInMs: delayMs }, 'whatsapp reply not sent; will retry');
      return 'retried';
    }
    await this.record(reply, { status: 'FAILED', wamid: null, error: reason });
    await this.deps.channels.recordError(reply.tenant_id, `A reply could not be sent: ${reason}`);
    this.deps.logger.error(log, 'whatsapp reply failed for good');
    return 'failed';
  }

  /** The outbox row and the tenant's message change together, only while this attempt still owns the row. */
  private async record(
    reply: ClaimedReply,
    outcome: { status: 'SENT' | 'FAILED'; wamid: string | null; error: string | null },
  ): Promise<void> {
    await runInTenantScope(
      this.deps.dataSource,
      { id: reply.tenant_id },
      async (em) => {
        const { affected: owned } = await rawWrite(
          em,
          `UPDATE public.whatsapp_outbox SET status = $2, wamid = $3, last_error = $4, updated_at = now()
            WHERE id = $1 AND status = 'SENDING' AND attempts = $5`,
          [reply.id, outcome.status, outcome.wamid, outcome.error, reply.attempts],
        );
        if (!owned) return;
        const details = outcome.wamid ? { externalId: outcome.wamid } : { error: outcome.error ?? undefined };
        await this.deps.tickets.recordDelivery(
          em,
          { messageId: reply.ticket_message_id },
          DeliveryStatus[outcome.status],
          details,
        );
      },
      // A suspended organization's reply that left must still be recorded, or it would be sent again.
      { allowInactive: true },
    );
  }
}
