import type { DataSource } from 'typeorm';
import { NotFoundError } from '../../core/errors/app-error';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import type { SettledListener } from '../../integrations/mail';
import { DeliveryStatus, type TicketService } from '../tickets';

/** Outbox idempotency keys of team replies: `ticket-reply:<tenant id>:<message id>`. */
export const EMAIL_REPLY_KEY_PREFIX = 'ticket-reply:';

export const emailReplyKey = (tenantId: string, messageId: string) => `${EMAIL_REPLY_KEY_PREFIX}${tenantId}:${messageId}`;

export interface EmailReplyDeliveryDependencies {
  dataSource: DataSource;
  tickets: Pick<TicketService, 'recordDelivery'>;
}

/**
 * The outbox listener that moves an email reply from QUEUED to SENT, or FAILED with the
 * error, in its tenant's schema (the outbox knows nothing of tenants: the key names both).
 * recordDelivery is idempotent, so a reply reported twice is harmless. A suspended
 * organization's mail did leave, so it is recorded too; a deleted one is skipped.
 */
export const recordEmailReplyDelivery =
  (deps: EmailReplyDeliveryDependencies): SettledListener =>
  async (key, outcome) => {
    const [tenantId, messageId] = key.slice(EMAIL_REPLY_KEY_PREFIX.length).split(':');
    const status = DeliveryStatus[outcome.status];
    const details = outcome.status === 'FAILED' ? { error: outcome.error } : {};
    await runInTenantScope(deps.dataSource, { id: tenantId }, (em) => deps.tickets.recordDelivery(em, { messageId }, status, details), { allowInactive: true }).catch(
      (error: unknown) => {
        if (!(error instanceof NotFoundError)) throw error;
      },
    );
  };
