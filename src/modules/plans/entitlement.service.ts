import type { EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import {
  BadUserInputError,
  InternalError,
  LimitExceededError,
  PlanUpgradeRequiredError,
} from '../../core/errors/app-error';
import { PlanCode } from './plan-code';
import type { PlanCatalog } from './plan-catalog';
import type { Entitlement, Usage, UsageMeter } from './plan.types';
import { upgradeUrl, type UsageWarnings } from './usage-warnings';
import {
  isPlanFeature,
  isUsageMetric,
  LimitPeriod,
  METRIC_LABELS,
  PLAN_FEATURES,
  periodOf,
  USAGE_METRICS,
  type PlanFeature,
  type UsageMetric,
} from './usage-metric';

/** Counts this process has taken but not yet written (API calls are written in batches). */
export interface UnwrittenUsage {
  unwritten(tenantId: string): number;
}

export interface EntitlementServiceDependencies {
  catalog: PlanCatalog;
  warnings: UsageWarnings;
  config: Pick<AppConfig, 'frontendUrl'>;
  apiCalls?: UnwrittenUsage;
  now?: () => Date;
}

/** The write `consumeWith` runs in its limit check's statement. */
export interface CountedWrite {
  /** `name AS (INSERT … SELECT … FROM counted …)`, …; their parameters start at $`COUNTED_WRITE_FIRST_PARAM`. */
  ctes: string;
  params: unknown[];
  /** The CTE whose row (one) is answered. */
  from: string;
}

/** The first parameter number of a `CountedWrite` (the limit check's own are $1–$5). */
export const COUNTED_WRITE_FIRST_PARAM = 6;

/** The tenant's plan, read in the caller's transaction; FREE if it has no subscription row. */
const PLAN_OF_TENANT = `coalesce((SELECT s.plan FROM public.subscriptions s WHERE s.tenant_id = $1), 'FREE')`;

/**
 * The one place that decides what an organization may do under its plan. Modules call
 * `consume` before creating a counted thing and `release` after deleting one, with the
 * manager of their own transaction: a create that rolls back gives its count back.
 */
export class EntitlementService {
  private readonly now: () => Date;

  constructor(private readonly deps: EntitlementServiceDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Takes `n` of the metric for the tenant, or throws LIMIT_EXCEEDED. Check and increment
   * are ONE statement on the counter row (`… DO UPDATE … WHERE used + n <= limit`):
   * concurrent callers queue on that row, so together they never pass the limit. The
   * limit is the plan's (cached); the plan is read by the same statement.
   */
  async consume(
    em: EntityManager,
    tenantId: string,
    metric: UsageMetric,
    n = 1,
  ): Promise<{ used: number; limit: number | null }> {
    const { used, limit } = await this.consumeWith(em, tenantId, metric, undefined, n);
    return { used, limit };
  }

  /**
   * `consume` and the write it pays for in the same statement (one round trip, the limit as exact): `write`'s
   * CTEs follow `counted`, the counter row, which is empty when the limit is reached; they insert only FROM it
   * (or FROM a CTE built on it), so nothing is written past the limit. Answers the row `write.from` returns.
   */
  async consumeWith<R extends object = object>(
    em: EntityManager,
    tenantId: string,
    metric: UsageMetric,
    write: CountedWrite | undefined,
    n = 1,
  ): Promise<{ used: number; limit: number | null; row: R }> {
    assertCount(n);
    const limits = await this.limitsByPlan(em, metric);
    const period = periodOf(metric, this.now());
    const [row]: (R & { used: string; limit_value: string | null })[] = await em.query(
      `WITH plan_limit AS (SELECT ($4::jsonb ->> ${PLAN_OF_TENANT})::bigint AS value),
       counted AS (
         INSERT INTO public.usage_counters AS c (tenant_id, metric, period_start, used)
         SELECT $1, $2, $3, $5 FROM plan_limit WHERE plan_limit.value IS NULL OR $5 <= plan_limit.value
         ON CONFLICT (tenant_id, metric, period_start) DO UPDATE SET used = c.used + EXCLUDED.used
           WHERE (SELECT value FROM plan_limit) IS NULL OR c.used + EXCLUDED.used <= (SELECT value FROM plan_limit)
         RETURNING c.used AS used, (SELECT value FROM plan_limit) AS limit_value
       )${write ? `, ${write.ctes}` : ''}
       SELECT ${write ? `${write.from}.*, ` : ''}counted.used, counted.limit_value
         FROM counted${write ? `, ${write.from}` : ''}`,
      [tenantId, metric, period.key, JSON.stringify(limits), n, ...(write?.params ?? [])],
    );
    if (!row) throw await this.limitExceeded(em, tenantId, metric, period.key);
    const used = Number(row.used);
    const limit = row.limit_value === null ? null : Number(row.limit_value);
    await this.deps.warnings.afterIncrease(em, tenantId, metric, used - n, used, limit);
    return { used, limit, row };
  }

  /**
   * Gives back `n` of a CURRENT metric (the thing was deleted). MONTHLY metrics keep
   * what was used: deleting this month's invoice does not allow another one.
   */
  async release(em: EntityManager, tenantId: string, metric: UsageMetric, n = 1): Promise<void> {
    assertCount(n);
    if (USAGE_METRICS[metric] !== LimitPeriod.CURRENT) return;
    await em.query(
      `UPDATE public.usage_counters SET used = GREATEST(used - $4, 0) WHERE tenant_id = $1 AND metric = $2 AND period_start = $3`,
      [tenantId, metric, periodOf(metric, this.now()).key, n],
    );
  }

  /** PLAN_UPGRADE_REQUIRED (with the cheapest plan that has it) unless the tenant's plan includes the feature. */
  async requireFeature(em: EntityManager, tenantId: string, feature: PlanFeature): Promise<void> {
    const plan = await this.planOf(em, tenantId);
    if ((await this.deps.catalog.plan(plan, em)).features[feature]) return;
    const required = await this.deps.catalog.cheapestWith(feature, em);
    throw new PlanUpgradeRequiredError(
      required
        ? `${feature} needs the ${required.name} plan or a higher one`
        : `${feature} is not available on any plan`,
      { feature, requiredPlan: required?.code ?? null, upgradeUrl: upgradeUrl(this.deps.config.frontendUrl, feature) },
    );
  }

  /** For the `entitlement` query: a feature (on or off) or a metric (allowed while below its limit). */
  async entitlement(em: EntityManager, tenantId: string, name: string): Promise<Entitlement> {
    const base = { feature: name, upgradeUrl: upgradeUrl(this.deps.config.frontendUrl, name) };
    if (isPlanFeature(name)) {
      const plan = await this.deps.catalog.plan(await this.planOf(em, tenantId), em);
      return { ...base, allowed: plan.features[name], limit: null, used: null, remaining: null, resetsAt: null };
    }
    if (!isUsageMetric(name)) {
      throw new BadUserInputError(`Unknown feature "${name}"`, {
        reason: 'UNKNOWN_FEATURE',
        known: [...PLAN_FEATURES, ...Object.keys(USAGE_METRICS)],
      });
    }
    const [meter] = await this.meters(em, tenantId, [name]);
    return {
      ...base,
      allowed: meter.remaining === null || meter.remaining > 0,
      limit: meter.limit,
      used: meter.used,
      remaining: meter.remaining,
      resetsAt: meter.resetsAt,
    };
  }

  async usage(em: EntityManager, tenantId: string): Promise<Usage> {
    const [invoices, customers, teamMembers, apiCalls, tickets, quotes] = await this.meters(em, tenantId, [
      'invoices',
      'customers',
      'team_members',
      'api_calls',
      'tickets',
      'quotes',
    ]);
    return {
      invoicesCreated: invoices,
      customersCreated: customers,
      teamMembersAdded: teamMembers,
      apiCallsUsed: apiCalls,
      ticketsCreated: tickets,
      quotesCreated: quotes,
    };
  }

  /** The metrics' counters in their current periods and the plan, in one statement. */
  private async meters(em: EntityManager, tenantId: string, metrics: UsageMetric[]): Promise<UsageMeter[]> {
    const now = this.now();
    const periods = metrics.map((m) => periodOf(m, now));
    const [row]: { plan: PlanCode; used: Record<string, string> }[] = await em.query(
      `SELECT ${PLAN_OF_TENANT} AS plan,
              coalesce((SELECT json_object_agg(c.metric, c.used) FROM public.usage_counters c
                         JOIN unnest($2::text[], $3::date[]) AS p(metric, period_start) USING (metric, period_start)
                        WHERE c.tenant_id = $1), '{}') AS used`,
      [tenantId, metrics, periods.map((p) => p.key)],
    );
    const plan = await this.deps.catalog.plan(row.plan, em);
    return metrics.map((metric, i) => {
      const used =
        Number(row.used[metric] ?? 0) + (metric === 'api_calls' ? (this.deps.apiCalls?.unwritten(tenantId) ?? 0) : 0);
      const limit = plan.limits[metric];
      const period = USAGE_METRICS[metric];
      return {
        metric,
        used,
        limit,
        remaining: limit === null ? null : Math.max(limit - used, 0),
        period,
        periodStart: period === LimitPeriod.MONTHLY ? periods[i].start : null,
        resetsAt: periods[i].resetsAt,
      };
    });
  }

  private async planOf(em: EntityManager, tenantId: string): Promise<PlanCode> {
    const [{ plan }]: { plan: PlanCode }[] = await em.query(`SELECT ${PLAN_OF_TENANT} AS plan`, [tenantId]);
    return plan;
  }

  /** Each plan's limit for the metric (JSON null: unlimited), as the consume statement looks it up. */
  private async limitsByPlan(em: EntityManager, metric: UsageMetric): Promise<Record<string, number | null>> {
    if (!isUsageMetric(metric)) throw new InternalError(`Unknown usage metric ${String(metric)}`);
    return Object.fromEntries((await this.deps.catalog.plans(em)).map((p) => [p.code, p.limits[metric]]));
  }

  private async limitExceeded(
    em: EntityManager,
    tenantId: string,
    metric: UsageMetric,
    periodKey: string,
  ): Promise<LimitExceededError> {
    const [row]: { plan: PlanCode; used: string }[] = await em.query(
      `SELECT ${PLAN_OF_TENANT} AS plan,
              coalesce((SELECT used FROM public.usage_counters WHERE tenant_id = $1 AND metric = $2 AND period_start = $3), 0) AS used`,
      [tenantId, metric, periodKey],
    );
    const limit = (await this.deps.catalog.plan(row.plan, em)).limits[metric];
    return new LimitExceededError(`Your plan allows ${limit} ${METRIC_LABELS[metric]}; upgrade for more`, {
      feature: metric,
      limit,
      used: Number(row.used),
      upgradeUrl: upgradeUrl(this.deps.config.frontendUrl, metric),
    });
  }
}

function assertCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InternalError(`Usage counts must be positive integers, got ${n}`);
}
