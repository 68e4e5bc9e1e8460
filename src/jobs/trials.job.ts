import type { JobDefinition } from '../core/jobs/job-definition';
import type { TrialService } from '../modules/payments';

export const TRIALS_JOB = 'billing.trials';

/**
 * Daily: reminds owners of trials ending within three days (once per trial) and moves
 * organizations whose trial ended unpaid to FREE (data kept). Safe to run again at any time.
 */
export function trialsJob(trials: Pick<TrialService, 'run'>): JobDefinition {
  return {
    name: TRIALS_JOB,
    every: '15 0 * * *',
    concurrency: 1,
    async run(_data, context) {
      const summary = await trials.run(context.logger);
      context.logger.info({ ...summary }, 'trials job finished');
    },
  };
}
