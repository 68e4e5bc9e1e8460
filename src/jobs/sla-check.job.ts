import type { JobDefinition } from '../core/jobs/job-definition';
import { SLA_CHECK_JOB, type SlaMonitor } from '../modules/tickets';
import { tenantSweepJob, type SweepDependencies } from './tenant-fan-out';

export { SLA_CHECK_JOB };

export interface SlaCheckDependencies extends SweepDependencies {
  slaMonitor: Pick<SlaMonitor, 'check' | 'nextCheckAt'>;
}

/**
 * Every minute: in each active organization whose next SLA instant has come (the tickets module marks it when
 * targets are set or move), tickets whose SLA target became AT_RISK or BREACHED are recorded and their assignee (or
 * the admins) mailed, once per event whatever the runs. One organization failing rolls back only its own events.
 */
export function slaCheckJob(deps: SlaCheckDependencies): JobDefinition {
  return tenantSweepJob({
    name: SLA_CHECK_JOB,
    every: '* * * * *',
    deps,
    visit: async (manager, tenant) => {
      const { events, mails } = await deps.slaMonitor.check(manager, tenant);
      return { counts: { events, mails }, nextDueAt: await deps.slaMonitor.nextCheckAt(manager) };
    },
    message: 'SLA alerts raised',
  });
}
