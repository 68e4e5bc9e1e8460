import type { JobDefinition } from '../core/jobs/job-definition';
import type { AutomationSweep } from '../modules/automation';

export const AUTOMATION_SWEEP_JOB = 'automation.time-rules.sweep';

/**
 * Every 5 minutes: TIME_ELAPSED automation rules ("5 days PENDING → close") in the organizations that have them and
 * are due, in batches of tickets (one transaction each); each rule fires once per ticket and anchor whatever the runs.
 */
export function automationSweepJob(sweep: Pick<AutomationSweep, 'sweep'>): JobDefinition {
  return {
    name: AUTOMATION_SWEEP_JOB,
    every: '*/5 * * * *',
    concurrency: 1,
    // 10,000 tickets take about a minute; the lock outlives a much larger sweep.
    lockLifetimeMs: 30 * 60_000,
    async run(_data, context) {
      const outcome = await sweep.sweep();
      if (outcome.failed.length) {
        context.reportTenantFailures?.(outcome.failed.length);
        context.logger.warn(outcome, 'time-based automation rules failed for some organizations');
      } else if (outcome.runs) context.logger.info(outcome, 'time-based automation rules ran');
    },
  };
}
