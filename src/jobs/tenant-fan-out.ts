import type { DataSource, EntityManager } from 'typeorm';
import { mapWithConcurrency } from '../core/concurrency';
import { setEventActor } from '../core/events';
import type { JobDefinition, JobRunContext } from '../core/jobs/job-definition';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import type { TenantService } from '../modules/tenants';

export interface TenantFanOutDependencies {
  dataSource: DataSource;
  tenants: Pick<TenantService, 'list'>;
}

export interface TenantFailure {
  tenant: ScopedTenant;
  error: string;
}

export interface TenantFanOutSummary {
  tenants: number;
  failed: TenantFailure[];
}

/** Tenants worked on at once: each holds a pooled connection for its transaction. */
const DEFAULT_CONCURRENCY = 4;
/** A long fan-out renews the job's lock this often, so no other worker takes the job over. */
const TOUCH_EVERY_MS = 30_000;

/**
 * Runs `work` for every ACTIVE tenant, each in its own transaction scoped to its schema
 * (and in its tenant scope), a few tenants at a time. One tenant failing rolls back only
 * its own work: it is logged with the tenant and reported (`reportTenantFailures`: the
 * `tenantql_job_tenant_failures_total` metric), and the others carry on.
 */
export async function forEachActiveTenant(
  deps: TenantFanOutDependencies,
  context: JobRunContext,
  work: (manager: EntityManager, tenant: ScopedTenant) => Promise<void>,
  options: { concurrency?: number } = {},
): Promise<TenantFanOutSummary> {
  const tenants: ScopedTenant[] = (await deps.tenants.list('ACTIVE')).map((t) => ({
    id: t.id,
    slug: t.slug,
    status: t.status,
    schema: t.schemaName,
  }));
  const failed: TenantFailure[] = [];
  let touchedAt = Date.now();
  await mapWithConcurrency(tenants, options.concurrency ?? DEFAULT_CONCURRENCY, async (tenant) => {
    try {
      await runInSchema(deps.dataSource, tenant.schema, (manager) => work(manager, tenant), tenant);
    } catch (error) {
      context.logger.error({ err: error, tenantId: tenant.id, tenantSlug: tenant.slug }, 'job failed for one tenant');
      failed.push({ tenant, error: error instanceof Error ? error.message : String(error) });
    }
    if (Date.now() - touchedAt >= TOUCH_EVERY_MS) {
      touchedAt = Date.now();
      await context.touch();
    }
  });
  const summary = { tenants: tenants.length, failed };
  const log = { tenants: summary.tenants, failed: failed.length, failedTenants: failed.map((f) => f.tenant.id) };
  if (failed.length) {
    context.reportTenantFailures?.(failed.length);
    context.logger.warn(log, 'tenant fan-out finished with failures');
  } else context.logger.debug(log, 'tenant fan-out finished');
  return summary;
}

/**
 * A scheduled job that visits every ACTIVE tenant (`forEachActiveTenant`) and adds up the
 * counts each visit returns, logged under `message` when any is not zero. The job is the actor of the
 * domain events its visits record (`system:<name>`).
 */
export function tenantSweepJob<Counts extends Record<string, number>>(spec: {
  name: string;
  every: string;
  deps: TenantFanOutDependencies;
  visit: (manager: EntityManager, tenant: ScopedTenant) => Promise<Counts>;
  message: string;
}): JobDefinition {
  return {
    name: spec.name,
    every: spec.every,
    concurrency: 1,
    async run(_data, context) {
      const total: Record<string, number> = {};
      await forEachActiveTenant(spec.deps, context, async (manager, tenant) => {
        await setEventActor(manager, `system:${spec.name}`);
        for (const [key, n] of Object.entries(await spec.visit(manager, tenant))) total[key] = (total[key] ?? 0) + n;
      });
      if (Object.values(total).some((n) => n !== 0)) context.logger.info(total, spec.message);
    },
  };
}
