import type { JobDefinition } from '../core/jobs/job-definition';
import type { WhatsAppInbound, WhatsAppOutbox } from '../modules/whatsapp-channel';

export const WHATSAPP_OUTBOX_JOB = 'whatsapp.outbox.deliver';
export const WHATSAPP_INBOUND_JOB = 'whatsapp.inbound.retry';

const BATCH_SIZE = 50;

/**
 * A repeating job that works through due rows in batches; safe in several workers at once
 * (claims skip locked rows). Its lock is shorter than a row's lease (2 min) and renewed after every row.
 */
function drainingJob(
  name: string,
  every: string,
  drain: (touch: () => Promise<void>) => Promise<object>,
  done: string,
): JobDefinition {
  return {
    name,
    every,
    concurrency: 1,
    lockLifetimeMs: 60_000,
    async run(_data, { logger, touch }) {
      const report = await drain(touch);
      if (Object.values(report).some(Boolean)) logger.info(report, done);
    },
  };
}

/** Sends due WhatsApp replies (new ones, and failed ones whose back-off passed). */
export const whatsAppOutboxJob = (outbox: Pick<WhatsAppOutbox, 'deliverDue'>, every: string): JobDefinition =>
  drainingJob(WHATSAPP_OUTBOX_JOB, every, (touch) => outbox.deliverDue(BATCH_SIZE, touch), 'whatsapp outbox delivered');

/** Applies webhook events that were stored but not applied (the tickets limit, a crash), with back-off. */
export const whatsAppInboundRetryJob = (inbound: Pick<WhatsAppInbound, 'applyDue'>, every: string): JobDefinition =>
  drainingJob(
    WHATSAPP_INBOUND_JOB,
    every,
    (touch) => inbound.applyDue(BATCH_SIZE, touch),
    'whatsapp webhook events retried',
  );
