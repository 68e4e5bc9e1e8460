import type { JobDefinition } from '../core/jobs/job-definition';
import type { WebhookServices } from '../modules/webhooks';

export const WEBHOOK_DELIVERY_JOB = 'webhooks.deliver';

/**
 * Catches up on committed events the listener missed (turning them into deliveries), then sends due deliveries
 * (retries, and what the listener could not attempt). Safe in several workers: the cursor is locked, claims skip
 * locked rows; the lock is shorter than a delivery's lease and renewed after every delivery.
 */
export const webhookDeliveryJob = (
  webhooks: Pick<WebhookServices, 'dispatcher' | 'sender'>,
  every: string,
  batchSize = 50,
): JobDefinition => ({
  name: WEBHOOK_DELIVERY_JOB,
  every,
  concurrency: 1,
  lockLifetimeMs: 60_000,
  async run(_data, { logger, touch }) {
    const dispatched = await webhooks.dispatcher.catchUp();
    const report = await webhooks.sender.deliverDue(batchSize, touch);
    if (dispatched || report.sent || report.retried || report.failed)
      logger.info({ dispatched, ...report }, 'webhooks delivered');
  },
});
