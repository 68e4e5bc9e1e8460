import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { OutboxQueue, type ClaimedRow, type OutboxReport, type RetryPolicy } from '../../core/outbox';
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

export interface WhatsAppOutboxDependencies {
  dataSource: DataSource;
  channels: Pick<WhatsAppChannelService, 'senderOf' | 'recordError'>;
  client: Pick<WhatsAppClient, 'sendText'>;
  tickets: Pick<TicketService, 'recordDelivery'>;
  logger: Logger;
  retry: RetryPolicy;
}

export type WhatsAppDeliveryReport = OutboxReport;

interface ClaimedReply extends ClaimedRow {
  tenant_id: string;
  ticket_message_id: string;
  to_address: string;
  body: string;
}

/** A claimed reply is reserved this long for its sender: longer than the API call's timeout. */
const LEASE_MS = 120_000;

/**
 * Team replies on WhatsApp tickets. `queueReply` (the tickets module calls it in the reply's
 * transaction) stores an outbox row; `deliverDue` (a job) works them off through the shared
 * outbox primitive, calls the Cloud API outside any transaction, and records the
 * outcome on the tenant's message: SENT with the wamid, or FAILED with the error once the
 * error is permanent or the last attempt failed. Retryable failures wait with back-off.
 * As with email, a worker dying between Meta's answer and the record sends the reply again.
 */
export class WhatsAppOutbox implements TicketReplyChannel {
  readonly channel = TicketChannel.WHATSAPP;

  private readonly queue: OutboxQueue<ClaimedReply>;

  constructor(private readonly deps: WhatsAppOutboxDependencies) {
    this.queue = new OutboxQueue<ClaimedReply>(deps.dataSource, deps.logger, {
      name: 'whatsapp_outbound',
      table: 'public.whatsapp_outbox',
      columns: ['tenant_id', 'ticket_message_id', 'to_address', 'body'],
      retry: deps.retry,
      leaseMs: LEASE_MS,
      isPermanent: (error) => !(error instanceof WhatsAppSendError && error.retryable),
      // The outbox row and the tenant's message change together.
      // A suspended organization's reply that left must still be recorded, or it would be sent again.
      settleScope: (reply, work) =>
        runInTenantScope(deps.dataSource, { id: reply.tenant_id }, work, { allowInactive: true }),
      recordOutcome: (em, reply, outcome, written) =>
        deps.tickets.recordDelivery(
          em,
          { messageId: reply.ticket_message_id },
          DeliveryStatus[outcome.status],
          outcome.status === 'FAILED' ? { error: outcome.error } : { externalId: written.wamid as string },
        ),
      afterSettled: async (reply, outcome) => {
        if (outcome.status === 'FAILED')
          await deps.channels.recordError(reply.tenant_id, `A reply could not be sent: ${outcome.error}`);
      },
    });
  }

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
  deliverDue(limit = 50, afterEach: () => Promise<unknown> = async () => undefined): Promise<WhatsAppDeliveryReport> {
    return this.queue.deliverDue(
      limit,
      async (reply) => {
        const sender = await this.deps.channels.senderOf(reply.tenant_id);
        if (!sender) throw new WhatsAppSendError('CHANNEL_REMOVED: the WhatsApp channel was removed', false);
        const wamid = await this.deps.client.sendText({ ...sender, to: reply.to_address, body: reply.body });
        return { wamid };
      },
      afterEach,
    );
  }
}
