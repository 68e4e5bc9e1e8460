import type { JobDefinition } from '../core/jobs/job-definition';
import type { TenantSpares } from '../modules/tenants';

export const TENANT_SPARES_JOB = 'tenants.spares';

/**
 * Keeps TENANT_SPARE_SCHEMAS spare tenant schemas ready for createTenant, replacing those of an older schema version
 * after a deploy. Every 30 s, so a burst of sign-ups that empties the spares waits at most that long for new ones.
 */
export function tenantSparesJob(spares: Pick<TenantSpares, 'refill'>): JobDefinition {
  return {
    name: TENANT_SPARES_JOB,
    every: '30 seconds',
    concurrency: 1,
    async run(_data, context) {
      const refill = await spares.refill();
      if (refill.created || refill.dropped) context.logger.info({ ...refill }, 'tenant spares refilled');
    },
  };
}
