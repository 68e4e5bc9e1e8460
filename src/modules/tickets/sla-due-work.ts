import type { EntityManager } from 'typeorm';
import { markTenantDue } from '../../core/jobs/tenant-due-work';
import type { SlaClock } from './sla-status';

/** The job that raises SLA alerts; also its key in public.tenant_due_work. */
export const SLA_CHECK_JOB = 'tickets.sla.check';

/**
 * Marks the organization due for the SLA check at this ticket's earliest AT_RISK instant still ahead of a running
 * clock (a past one means now: the check finds what is recorded and what is not). Called wherever a ticket's targets
 * are set or its clock restarts; a paused or finished clock needs no check.
 */
export async function markSlaCheckDue(em: EntityManager, clock: SlaClock): Promise<void> {
  if (clock.resolvedAt || clock.slaPausedAt) return;
  const instants = [clock.firstRespondedAt ? null : clock.firstResponseAtRiskAt, clock.resolutionAtRiskAt].filter(
    (at): at is Date => at !== null,
  );
  if (!instants.length) return;
  await markTenantDue(em, SLA_CHECK_JOB, new Date(Math.min(...instants.map((at) => at.getTime()))));
}
