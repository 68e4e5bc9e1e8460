import type { JobDefinition } from '../core/jobs/job-definition';
import type { OnboardingService } from '../modules/onboarding';
import { forEachActiveTenant, type TenantFanOutDependencies } from './tenant-fan-out';

export const ONBOARDING_REMINDERS_JOB = 'onboarding.reminders';

export interface OnboardingRemindersDependencies extends TenantFanOutDependencies {
  onboarding: Pick<OnboardingService, 'sendDueReminder' | 'reminderWindow'>;
}

/**
 * Onboarding reminder emails (day 3 and day 7, from ONBOARDING_REMINDER_HOUR in each
 * tenant's timezone). It runs every hour because each tenant's 10:00 falls in a
 * different UTC hour; a tenant gets at most one mail per reminder whatever the runs.
 * Only tenants of an age a reminder may be due at are visited (none younger than two days).
 */
export function onboardingRemindersJob(deps: OnboardingRemindersDependencies): JobDefinition {
  return {
    name: ONBOARDING_REMINDERS_JOB,
    every: '0 * * * *',
    concurrency: 1,
    async run(_data, context) {
      const youngTenants = {
        list: () => {
          const { createdAfter, createdBefore } = deps.onboarding.reminderWindow();
          return deps.tenants.list('ACTIVE', { after: createdAfter, before: createdBefore });
        },
      };
      let reminders = 0;
      await forEachActiveTenant(
        { ...deps, tenants: youngTenants },
        context,
        async (manager, tenant) => {
          const outcome = await deps.onboarding.sendDueReminder(manager, tenant);
          if (outcome.kind === 'sent') reminders += 1;
        },
        { job: ONBOARDING_REMINDERS_JOB },
      );
      if (reminders) context.logger.info({ reminders }, 'onboarding reminders sent');
    },
  };
}
