import type { EntityManager } from 'typeorm';

/**
 * `public.tenant_due_work` holds, per (tenant, sweep job), when the sweep next has work in that tenant: sweeps visit
 * only the tenants that are due (src/jobs/tenant-fan-out.ts). Services that create due work (an SLA target, a quote's
 * expiry, a mailbox to poll) call this in the tenant transaction that creates it (the transaction's tenant is
 * marked). The time only moves earlier (LEAST): the sweep's visit is what moves it on. Every call rewrites the row,
 * so a sweep that read it before knows it changed and keeps it (see `writeNextDue`).
 */
export async function markTenantDue(em: EntityManager, job: string, dueAt: Date): Promise<void> {
  // Its own statement on a public table: on Citus it is a coordinator-local table, never joined to a tenant table.
  await em.query(
    `INSERT INTO public.tenant_due_work (tenant_id, job, due_at)
     VALUES (current_setting('tenantql.tenant_id')::uuid, $1, $2)
     ON CONFLICT (tenant_id, job) DO UPDATE SET due_at = LEAST(tenant_due_work.due_at, EXCLUDED.due_at)`,
    [job, dueAt],
  );
}
