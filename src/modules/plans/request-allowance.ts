import { LRUCache } from 'lru-cache';
import type { Queryable } from '../../core/database/public-migrator';
import type { PlanCatalog } from './plan-catalog';
import type { PlanCode } from './plan-code';

/** Tenants whose plan is remembered per process (one small entry each). */
const MAX_TENANTS = 100_000;

/**
 * Each organization's `requests_per_minute` (its plan's), for the request rate limit. The
 * plan of a tenant is read once and kept as long as the plan catalogue is (PLAN_CACHE_SECONDS):
 * a plan change applies within that time, and a busy tenant costs no query per request.
 */
export class RequestAllowance {
  private readonly planOf: LRUCache<string, PlanCode>;

  constructor(
    private readonly db: Queryable,
    private readonly catalog: PlanCatalog,
    ttlMs: number,
  ) {
    this.planOf = new LRUCache({ max: MAX_TENANTS, ttl: ttlMs });
  }

  /** null: not limited; undefined: the plan names no rate (RATE_LIMIT_MAX applies). */
  async perMinute(tenantId: string): Promise<number | null | undefined> {
    let plan = this.planOf.get(tenantId);
    if (!plan) {
      const [row]: { plan: PlanCode }[] = await this.db.query(
        `SELECT coalesce((SELECT s.plan FROM public.subscriptions s WHERE s.tenant_id = $1), 'FREE') AS plan`,
        [tenantId],
      );
      this.planOf.set(tenantId, (plan = row.plan));
    }
    return (await this.catalog.plan(plan)).requestsPerMinute;
  }
}
