import type { Services } from '../app/services';
import type { JobDefinition } from '../core/jobs/job-definition';
import { emailOutboxDeliveryJob } from './email-outbox.job';
import { onboardingRemindersJob } from './onboarding-reminders.job';
import { trialsJob } from './trials.job';

/**
 * Every job this codebase runs, as one plain list: the same in the API and in workers, so
 * every process declares the same schedules. Add a module's jobs here (they call its services).
 */
export function createJobDefinitions(services: Services): JobDefinition[] {
  return [
    emailOutboxDeliveryJob(services.mailOutbox, services.config.email.outboxInterval),
    onboardingRemindersJob(services),
    trialsJob(services.payments.trials),
  ];
}
