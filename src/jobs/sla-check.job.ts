import type { DataSource } from 'typeorm';
import type { JobDefinition } from '../core/jobs/job-definition';
import type { TenantService } from '../modules/tenants';
import type { SlaMonitor } from '../modules/tickets';
import { tenantSweepJob } from './tenant-fan-out';

export const SLA_CHECK_JOB = 'tickets.sla.check';

export interface SlaCheckDependencies {
  dataSource: DataSource;
  tenants: Pick<TenantService, 'list'>;
  slaMonitor: Pick<SlaMonitor, 'check'>;
}

/**
 * Every minute: in each active organization, tickets whose SLA target became AT_RISK or
 * BREACHED are recorded and their assignee (or the admins) mailed, once per event whatever
 * the runs. One organization failing rolls back only its own events.
 */
export function slaCheckJob(deps: SlaCheckDependencies): JobDefinition {
  return tenantSweepJob({
    name: SLA_CHECK_JOB,
    every: '* * * * *',
    deps,
    visit: async (manager, tenant) => {
      const { events, mails } = await deps.slaMonitor.check(manager, tenant);
      return { events, mails };
    },
    message: 'SLA alerts raised',
  });
}
