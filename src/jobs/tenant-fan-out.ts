import type { DataSource, EntityManager } from 'typeorm';
import { mapWithConcurrency } from '../core/concurrency';
import { setEventActor } from '../core/events';
import type { JobDefinition, JobRunContext } from '../core/jobs/job-definition';
import { metrics } from '../core/observability/metrics';
import { runInSchema, type ScopedTenant } from '../core/tenancy/tenant-scope';
import type { TenantMigrator, TenantService } from '../modules/tenants';

export interface TenantVisitDependencies {
  dataSource: DataSource;
  /** The code's tenant schema version: a tenant at another one is never visited. */
  tenantMigrator: Pick<TenantMigrator, 'latestVersion'>;
}

export interface TenantFanOutDependencies extends TenantVisitDependencies {
  tenants: Pick<TenantService, 'list'>;
}

export interface TenantFailure {
  tenant: ScopedTenant;
  error: string;
}

export interface TenantFanOutSummary {
  /** Tenants visited (their work committed or failed). */
  tenants: number;
  failed: TenantFailure[];
  /** Tenants left alone because their schema is behind or ahead of the code; a later run takes them once migrated. */
  skipped: number;
}

interface VersionedTenant extends ScopedTenant {
  schemaVersion: string | null;
}

/** Tenants worked on at once: each holds a pooled connection for its transaction. */
const DEFAULT_CONCURRENCY = 4;
/** A long fan-out renews the job's lock this often, so no other worker takes the job over. */
const TOUCH_EVERY_MS = 30_000;

/** The tenant's schema was migrated while its visit ran: rolled back, and counted as skipped. */
class SchemaMovedError extends Error {}

const storedSchemaVersion = async (db: Pick<EntityManager, 'query'>, tenantId: string): Promise<string | null> =>
  ((await db.query('SELECT schema_version FROM public.tenants WHERE id = $1', [tenantId]))[0]?.schema_version ??
    null) as string | null;

/**
 * Runs `work` for each tenant in its own transaction scoped to its schema (and tenant scope), a few at a time,
 * only where the schema is at the code's version. The version is read again at the end of the transaction: a
 * migration that committed meanwhile (its DDL waits for the locks this work holds, and this work for its) means
 * some of the work met the new schema, so it is rolled back and the tenant counted as skipped. One tenant failing
 * rolls back only its own work: it is logged and reported (`tenantql_job_tenant_failures_total`).
 */
async function visitTenants(
  job: string,
  deps: TenantVisitDependencies,
  context: JobRunContext,
  tenants: VersionedTenant[],
  work: (manager: EntityManager, tenant: ScopedTenant) => Promise<void>,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<TenantFanOutSummary & { committed: Set<string> }> {
  const version = deps.tenantMigrator.latestVersion;
  const current = tenants.filter((t) => t.schemaVersion === version);
  let skipped = tenants.length - current.length;
  const failed: TenantFailure[] = [];
  const committed = new Set<string>();
  let touchedAt = Date.now();
  await mapWithConcurrency(current, concurrency, async ({ schemaVersion: _, ...tenant }) => {
    try {
      await runInSchema(
        deps.dataSource,
        tenant.schema,
        async (manager) => {
          await work(manager, tenant);
          if ((await storedSchemaVersion(manager, tenant.id)) !== version) throw new SchemaMovedError();
        },
        tenant,
      );
      committed.add(tenant.id);
    } catch (error) {
      // A migration committing mid-visit may also surface as the work's own error ("column … does not exist").
      if (error instanceof SchemaMovedError || (await storedSchemaVersion(deps.dataSource, tenant.id)) !== version)
        skipped++;
      else {
        context.logger.error({ err: error, tenantId: tenant.id, tenantSlug: tenant.slug }, 'job failed for one tenant');
        failed.push({ tenant, error: error instanceof Error ? error.message : String(error) });
      }
    }
    if (Date.now() - touchedAt >= TOUCH_EVERY_MS) {
      touchedAt = Date.now();
      await context.touch();
    }
  });
  reportSkipped(job, context, skipped);
  return { tenants: current.length, failed, skipped, committed };
}

function reportSkipped(job: string, context: JobRunContext, skipped: number): void {
  if (!skipped) return;
  metrics.jobTenantsSkipped.inc({ name: job }, skipped);
  // Expected while `migrate up` runs: the tenants are taken by a later run once at the code's version.
  context.logger.info({ skipped }, "tenants skipped: their schema is not at the code's version");
}

function reportSummary(context: JobRunContext, summary: TenantFanOutSummary): TenantFanOutSummary {
  const { failed } = summary;
  const log = { ...summary, failed: failed.length, failedTenants: failed.map((f) => f.tenant.id) };
  if (failed.length) {
    context.reportTenantFailures?.(failed.length);
    context.logger.warn(log, 'tenant fan-out finished with failures');
  } else context.logger.debug(log, 'tenant fan-out finished');
  return summary;
}

/** Runs `work` for every ACTIVE tenant at the code's schema version (see `visitTenants`). */
export async function forEachActiveTenant(
  deps: TenantFanOutDependencies,
  context: JobRunContext,
  work: (manager: EntityManager, tenant: ScopedTenant) => Promise<void>,
  options: { job: string; concurrency?: number },
): Promise<TenantFanOutSummary> {
  const tenants = (await deps.tenants.list('ACTIVE')).map((t) => ({
    id: t.id,
    slug: t.slug,
    status: t.status,
    schema: t.schemaName,
    schemaVersion: t.schemaVersion,
  }));
  const { committed: _, ...summary } = await visitTenants(
    options.job,
    deps,
    context,
    tenants,
    work,
    options.concurrency,
  );
  return reportSummary(context, summary);
}

export interface SweepDependencies extends TenantVisitDependencies {
  /** The clock due times are compared with (tests control it). */
  now: () => Date;
}

/** What one sweep visit did, and when the tenant next has work for the sweep (null: none known). */
export interface SweepVisit<Counts extends Record<string, number>> {
  counts: Counts;
  nextDueAt: Date | null;
}

/** Due tenants read per query; a run takes batch after batch until none is due. */
const BATCH_SIZE = 200;
/**
 * A tenant with no known work is visited again after 3 to 6 hours (spread, so they do not all come due at once):
 * a due-work write that was missed, or work created by a path that writes none, is caught then.
 */
const IDLE_RECHECK_MS = 6 * 3_600_000;
const idleRecheck = (now: Date) => new Date(now.getTime() + IDLE_RECHECK_MS * (0.5 + Math.random() / 2));

/**
 * Writes a tenant's next due time unless a service marked it due since the sweep read it (`seen`: the row's xmin,
 * null when there was no row): that mark stays, so work created during the visit is not lost. `dueAt` is after the
 * run's clock, so a run takes a tenant once.
 */
async function writeNextDue(
  db: Pick<EntityManager, 'query'>,
  job: string,
  tenantId: string,
  seen: string | null,
  dueAt: Date,
): Promise<void> {
  if (seen === null) {
    await db.query(
      `INSERT INTO public.tenant_due_work (tenant_id, job, due_at) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, job) DO NOTHING`,
      [tenantId, job, dueAt],
    );
  } else {
    await db.query(
      'UPDATE public.tenant_due_work SET due_at = $3 WHERE tenant_id = $1 AND job = $2 AND xmin::text = $4',
      [tenantId, job, dueAt, seen],
    );
  }
}

interface DueRow {
  id: string;
  slug: string;
  schema_name: string;
  schema_version: string | null;
  seen: string | null;
}

/**
 * Visits only the ACTIVE tenants whose work for `job` is due in `public.tenant_due_work` (a tenant with no row
 * counts as due: new tenants and those from before the index), at the code's schema version, most overdue first;
 * each visit answers when the tenant is next due, written back in its transaction. A tenant that fails or whose
 * schema moved is tried again at the next run. Due tenants at another schema version are only counted (skipped).
 */
export async function sweepDueTenants<Counts extends Record<string, number>>(
  job: string,
  deps: SweepDependencies,
  context: JobRunContext,
  visit: (manager: EntityManager, tenant: ScopedTenant) => Promise<SweepVisit<Counts>>,
): Promise<TenantFanOutSummary & { counts: Record<string, number> }> {
  const now = deps.now();
  const version = deps.tenantMigrator.latestVersion;
  const summary: TenantFanOutSummary = { tenants: 0, failed: [], skipped: 0 };
  const counts: Record<string, number> = {};
  const due = `FROM public.tenants t LEFT JOIN public.tenant_due_work d ON d.tenant_id = t.id AND d.job = $1
    WHERE t.status = 'ACTIVE' AND (d.due_at IS NULL OR d.due_at <= $2)`;
  const [{ behind }]: { behind: number }[] = await deps.dataSource.query(
    `SELECT count(*)::int AS behind ${due} AND t.schema_version IS DISTINCT FROM $3`,
    [job, now, version],
  );
  reportSkipped(job, context, behind);
  summary.skipped = behind;
  const retry = new Date(now.getTime() + 1);
  const visited = new Set<string>();
  for (;;) {
    const rows: DueRow[] = await deps.dataSource.query(
      `SELECT t.id, t.slug, t.schema_name, t.schema_version, d.xmin::text AS seen ${due}
         AND t.schema_version IS NOT DISTINCT FROM $3 ORDER BY d.due_at NULLS FIRST, t.id LIMIT $4`,
      [job, now, version, BATCH_SIZE],
    );
    // A tenant marked due again while its visit ran is taken by the next run.
    const fresh = rows.filter((row) => !visited.has(row.id));
    if (!fresh.length) break;
    const seen = new Map(fresh.map((row) => [row.id, row.seen]));
    const tenants = fresh.map((row) => ({
      id: row.id,
      slug: row.slug,
      status: 'ACTIVE' as const,
      schema: row.schema_name,
      schemaVersion: row.schema_version,
    }));
    const outcomes = new Map<string, Counts>();
    const batch = await visitTenants(job, deps, context, tenants, async (manager, tenant) => {
      const outcome = await visit(manager, tenant);
      outcomes.set(tenant.id, outcome.counts);
      const next = outcome.nextDueAt && outcome.nextDueAt > now ? outcome.nextDueAt : retry;
      await writeNextDue(manager, job, tenant.id, seen.get(tenant.id)!, outcome.nextDueAt ? next : idleRecheck(now));
    });
    // Failed (or moved) tenants are due at the next run, behind the others, not again in this one.
    for (const tenant of tenants) {
      visited.add(tenant.id);
      if (!batch.committed.has(tenant.id))
        await writeNextDue(deps.dataSource, job, tenant.id, seen.get(tenant.id)!, retry);
      else for (const [key, n] of Object.entries(outcomes.get(tenant.id)!)) counts[key] = (counts[key] ?? 0) + n;
    }
    summary.tenants += batch.tenants;
    summary.failed.push(...batch.failed);
    summary.skipped += batch.skipped;
    if (rows.length < BATCH_SIZE) break;
  }
  return { ...reportSummary(context, summary), counts };
}

/**
 * A scheduled job that visits the tenants with due work for it (`sweepDueTenants`) and adds up the counts each
 * visit returns, logged under `message` when any is not zero. The job is the actor of the domain events its visits
 * record (`system:<name>`).
 */
export function tenantSweepJob<Counts extends Record<string, number>>(spec: {
  name: string;
  every: string;
  deps: SweepDependencies;
  visit: (manager: EntityManager, tenant: ScopedTenant) => Promise<SweepVisit<Counts>>;
  message: string;
}): JobDefinition {
  return {
    name: spec.name,
    every: spec.every,
    concurrency: 1,
    async run(_data, context) {
      const { counts } = await sweepDueTenants(spec.name, spec.deps, context, async (manager, tenant) => {
        await setEventActor(manager, `system:${spec.name}`);
        return spec.visit(manager, tenant);
      });
      if (Object.values(counts).some((n) => n !== 0)) context.logger.info(counts, spec.message);
    },
  };
}
