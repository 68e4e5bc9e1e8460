import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { LimitExceededError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
import type { PlanCode } from './plan-code';
import type { PlanCatalog } from './plan-catalog';
import { METRIC_LABELS, monthOf } from './usage-metric';
import { upgradeUrl, type UsageWarnings } from './usage-warnings';

export interface ApiCallMeterDependencies {
  dataSource: DataSource;
  catalog: PlanCatalog;
  warnings: UsageWarnings;
  config: Pick<AppConfig, 'frontendUrl' | 'plans'>;
  logger: Logger;
  now?: () => Date;
}

interface OverLimit {
  month: string;
  limit: number;
  used: number;
}

/**
 * `api_calls` without a database write per request: requests are counted in memory per
 * tenant and month, and added to `public.usage_counters` in one statement a few seconds
 * after the first unwritten one, and at shutdown (`flush`). A failed write keeps the
 * counts for the next attempt.
 *
 * The limit is soft, as a batch is written after the requests it counts: each write
 * returns the tenant's total, and from then on this process refuses the tenant's API keys
 * (LIMIT_EXCEEDED) until the month ends or the plan allows more (re-checked at every
 * write). Members signed in are counted but never refused: they must still be able to
 * upgrade. Across N processes the overshoot is bounded by N flush intervals of traffic.
 */
export class ApiCallMeter {
  private pending = new Map<string, Map<string, number>>();
  private overLimit = new Map<string, OverLimit>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly deps: ApiCallMeterDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * For one request: a function the tenant scope calls once the caller is authorized for
   * the tenant. It counts the request once, and refuses API keys of a tenant over its
   * limit. Platform administrators (support work) and anonymous callers are not metered.
   */
  forRequest(principal: Principal): ((tenantId: string) => void) | undefined {
    if (principal.kind !== 'user' && principal.kind !== 'api-key') return undefined;
    const enforce = principal.kind === 'api-key';
    const counted = new Set<string>();
    return (tenantId) => {
      if (enforce) this.assertWithinLimit(tenantId);
      if (counted.has(tenantId)) return;
      counted.add(tenantId);
      this.record(tenantId);
    };
  }

  record(tenantId: string, count = 1): void {
    this.add(monthOf(this.now()).key, tenantId, count);
  }

  /** Calls this process counted this month and has not written yet. */
  unwritten(tenantId: string): number {
    return this.pending.get(monthOf(this.now()).key)?.get(tenantId) ?? 0;
  }

  /** Writes what is pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private assertWithinLimit(tenantId: string): void {
    const over = this.overLimit.get(tenantId);
    if (!over || over.month !== monthOf(this.now()).key) return;
    throw new LimitExceededError(`Your plan allows ${over.limit} ${METRIC_LABELS.api_calls}; upgrade for more`, {
      feature: 'api_calls',
      limit: over.limit,
      used: over.used,
      upgradeUrl: upgradeUrl(this.deps.config.frontendUrl, 'api_calls'),
    });
  }

  private add(month: string, tenantId: string, count: number): void {
    let counts = this.pending.get(month);
    if (!counts) this.pending.set(month, (counts = new Map()));
    counts.set(tenantId, (counts.get(tenantId) ?? 0) + count);
    this.schedule();
  }

  /** No timer while nothing is pending and nobody is refused: an idle process keeps no timer alive. */
  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), this.deps.config.plans.usageFlushMs).unref();
  }

  private async write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const month = monthOf(this.now()).key;
    // Tenants refused this month are written with +0: their total and plan are read again, so an upgrade lifts the
    // refusal.
    for (const [tenantId, over] of this.overLimit) {
      if (over.month !== month) this.overLimit.delete(tenantId);
      else if (!this.pending.get(month)?.has(tenantId)) this.record(tenantId, 0);
    }
    if (!this.pending.size) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.deps.dataSource.transaction(async (em) => {
        const limits = new Map((await this.deps.catalog.plans(em)).map((p) => [p.code, p.limits.api_calls]));
        for (const [period, counts] of batch) {
          // Sorted: two processes writing the same tenants lock their rows in the same order (no deadlock).
          const tenantIds = [...counts.keys()].sort();
          const rows: { tenant_id: string; used: string; plan: PlanCode }[] = await em.query(
            `INSERT INTO public.usage_counters AS c (tenant_id, metric, period_start, used)
             SELECT b.tenant_id, 'api_calls', $3, b.n
               FROM unnest($1::uuid[], $2::bigint[]) WITH ORDINALITY AS b(tenant_id, n, position)
               JOIN public.tenants t ON t.id = b.tenant_id
              ORDER BY b.position
             ON CONFLICT (tenant_id, metric, period_start) DO UPDATE SET used = c.used + EXCLUDED.used
             RETURNING c.tenant_id, c.used, coalesce((SELECT s.plan FROM public.subscriptions s WHERE s.tenant_id = c.tenant_id), 'FREE') AS plan`,
            [tenantIds, tenantIds.map((id) => counts.get(id)), period],
          );
          for (const row of rows) {
            const used = Number(row.used);
            const limit = limits.get(row.plan) ?? null;
            await this.deps.warnings.afterIncrease(
              em,
              row.tenant_id,
              'api_calls',
              used - counts.get(row.tenant_id)!,
              used,
              limit,
            );
            if (period !== month) continue;
            if (limit !== null && used >= limit) this.overLimit.set(row.tenant_id, { month, limit, used });
            else this.overLimit.delete(row.tenant_id);
          }
        }
      });
    } catch (error) {
      this.deps.logger.warn(
        { err: error, tenants: [...batch.values()].reduce((sum, c) => sum + c.size, 0) },
        'could not write API call counts; will retry',
      );
      for (const [period, counts] of batch) for (const [tenantId, count] of counts) this.add(period, tenantId, count);
    }
    if (this.overLimit.size) this.schedule();
  }
}
