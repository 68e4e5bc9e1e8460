import type { DataSource, EntityManager } from 'typeorm';
import { NotFoundError } from '../../core/errors/app-error';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import type { SettledListener } from '../../integrations/mail';
import { DeliveryStatus, type TicketService } from '../tickets';
import type { EmailChannelService } from './email-channel.service';

/** Outbox idempotency keys of team replies: `ticket-reply:<tenant id>:<message id>`. */
export const EMAIL_REPLY_KEY_PREFIX = 'ticket-reply:';

export const emailReplyKey = (tenantId: string, messageId: string) =>
  `${EMAIL_REPLY_KEY_PREFIX}${tenantId}:${messageId}`;

export interface EmailReplyDeliveryDependencies {
  dataSource: DataSource;
  tickets: Pick<TicketService, 'recordDelivery'>;
  channels: Pick<EmailChannelService, 'recordReply'>;
}

/**
 * The outbox listener that moves an email reply from QUEUED to SENT, or FAILED with the
 * error, in its tenant's schema (the outbox knows nothing of tenants: the key names both),
 * and shows a failure as the email channel's lastError in the same transaction. Both are
 * idempotent, so a reply reported twice is harmless. A suspended organization's mail did
 * leave, so it is recorded too; a deleted one is skipped.
 */
export const recordEmailReplyDelivery =
  (deps: EmailReplyDeliveryDependencies): SettledListener =>
  async (key, outcome) => {
    const [tenantId, messageId] = key.slice(EMAIL_REPLY_KEY_PREFIX.length).split(':');
    const status = DeliveryStatus[outcome.status];
    const error = outcome.status === 'FAILED' ? outcome.error : null;
    const record = async (em: EntityManager) => {
      await deps.tickets.recordDelivery(em, { messageId }, status, error ? { error } : {});
      await deps.channels.recordReply(em, error);
    };
    await runInTenantScope(deps.dataSource, { id: tenantId }, record, { allowInactive: true }).catch(
      (failure: unknown) => {
        if (!(failure instanceof NotFoundError)) throw failure;
      },
    );
  };
