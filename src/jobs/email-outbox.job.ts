import type { JobDefinition } from '../core/jobs/job-definition';
import { metrics } from '../core/observability/metrics';
import type { MailOutbox } from '../integrations/mail';

export const EMAIL_OUTBOX_JOB = 'email.outbox.deliver';

/** Repeating job that drains the email outbox; safe to run in several workers at once (claims skip locked rows). */
export function emailOutboxDeliveryJob(outbox: MailOutbox, every: string, batchSize = 50): JobDefinition {
  return {
    name: EMAIL_OUTBOX_JOB,
    every,
    concurrency: 1,
    // A worker killed mid-batch must not hold the job for Agenda's 10-minute default: keep the lock
    // shorter than a message's lease (2 min) and renew it after every message.
    lockLifetimeMs: 60_000,
    async run(_data, { logger, touch }) {
      const report = await outbox.deliverDue(batchSize, touch);
      metrics.emails.inc({ outcome: 'sent' }, report.sent);
      metrics.emails.inc({ outcome: 'retry' }, report.retried);
      metrics.emails.inc({ outcome: 'failed' }, report.failed);
      if (report.sent || report.retried || report.failed) logger.info(report, 'email outbox delivered');
    },
  };
}
