import type { Services } from '../app/services';
import type { JobDefinition } from '../core/jobs/job-definition';
import { auditRetentionJob } from './audit-retention.job';
import { automationSweepJob } from './automation-sweep.job';
import { emailOutboxDeliveryJob } from './email-outbox.job';
import { mailboxPollJob } from './mailbox-poll.job';
import { onboardingRemindersJob } from './onboarding-reminders.job';
import { quoteExpiryJob } from './quote-expiry.job';
import { slaCheckJob } from './sla-check.job';
import { tenantSparesJob } from './tenant-spares.job';
import { trialsJob } from './trials.job';
import { webhookDeliveryJob } from './webhooks.job';
import { whatsAppInboundRetryJob, whatsAppOutboxJob } from './whatsapp.job';

/**
 * Every job this codebase runs, as one plain list: the same in the API and in workers, so
 * every process declares the same schedules. Add a module's jobs here (they call its services).
 */
export function createJobDefinitions(services: Services): JobDefinition[] {
  return [
    emailOutboxDeliveryJob(services.mailOutbox, services.config.email.outboxInterval),
    onboardingRemindersJob(services),
    quoteExpiryJob(services),
    trialsJob(services.payments.trials),
    slaCheckJob(services),
    auditRetentionJob(services),
    mailboxPollJob(services),
    whatsAppOutboxJob(services.whatsApp.outbox, services.config.whatsapp.outboxInterval),
    whatsAppInboundRetryJob(services.whatsApp.inbound, services.config.whatsapp.outboxInterval),
    webhookDeliveryJob(services.webhooks, services.config.webhooks.interval),
    automationSweepJob(services.automationSweep),
    tenantSparesJob(services.tenantSpares),
  ];
}
