import type { Queryable } from '../../core/database/public-migrator';
import { PlanCode } from './plan-code';
import { PLAN_FEATURES, REQUESTS_PER_MINUTE, USAGE_METRICS, type PlanFeature, type UsageMetric } from './usage-metric';

export interface CatalogPlan {
  code: PlanCode;
  name: string;
  /** In the currency's minor unit (cents). */
  monthlyPriceMinor: number;
  currency: string;
  rank: number;
  /** Every metric: null = unlimited; a metric without a row in `plan_limits` allows nothing. */
  limits: Record<UsageMetric, number | null>;
  /** Every feature: a feature without a row in `plan_features` is off. */
  features: Record<PlanFeature, boolean>;
  /** Its organizations' API-key requests per minute: null = not limited, undefined (no row) = RATE_LIMIT_MAX. */
  requestsPerMinute: number | null | undefined;
}

interface PlanRow {
  code: PlanCode;
  name: string;
  monthly_price_minor: number;
  currency: string;
  rank: number;
  limits: Record<string, number | null>;
  features: Record<string, boolean>;
}

const toCatalogPlan = (row: PlanRow): CatalogPlan => ({
  code: row.code,
  name: row.name,
  monthlyPriceMinor: row.monthly_price_minor,
  currency: row.currency.trim(),
  rank: row.rank,
  limits: Object.fromEntries(
    Object.keys(USAGE_METRICS).map((m) => [m, m in row.limits ? row.limits[m] : 0]),
  ) as CatalogPlan['limits'],
  features: Object.fromEntries(PLAN_FEATURES.map((f) => [f, row.features[f] === true])) as CatalogPlan['features'],
  requestsPerMinute: row.limits[REQUESTS_PER_MINUTE],
});

/**
 * Plans with their limits and features, read in one statement and cached in the
 * process: changes made through this class apply at once here, and other processes
 * see any change within `ttlMs`. Reads take the caller's connection (`db`): a request
 * holding a pooled connection must never wait for a second one.
 */
export class PlanCatalog {
  private cached?: { plans: CatalogPlan[]; expiresAt: number };
  private loading?: Promise<CatalogPlan[]>;
  private generation = 0;

  constructor(
    private readonly defaultDb: Queryable,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Cheapest first. */
  async plans(db: Queryable = this.defaultDb): Promise<CatalogPlan[]> {
    if (this.cached && this.cached.expiresAt > this.clock()) return this.cached.plans;
    if (!this.loading) {
      const loading = this.load(db).finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  async plan(code: PlanCode, db?: Queryable): Promise<CatalogPlan> {
    const plan = (await this.plans(db)).find((p) => p.code === code);
    if (!plan) throw new Error(`Plan ${code} is not in public.plans: run npm run plans:init`);
    return plan;
  }

  /** The cheapest plan that has the feature, if any does. */
  async cheapestWith(feature: PlanFeature, db?: Queryable): Promise<CatalogPlan | undefined> {
    return (await this.plans(db)).find((p) => p.features[feature]);
  }

  async setLimit(plan: PlanCode, metric: UsageMetric, limit: number | null): Promise<void> {
    await this.defaultDb.query(
      `INSERT INTO public.plan_limits (plan, metric, limit_value) VALUES ($1, $2, $3)
       ON CONFLICT (plan, metric) DO UPDATE SET limit_value = EXCLUDED.limit_value`,
      [plan, metric, limit],
    );
    this.invalidate();
  }

  async setFeature(plan: PlanCode, feature: PlanFeature, enabled: boolean): Promise<void> {
    await this.defaultDb.query(
      `INSERT INTO public.plan_features (plan, feature, enabled) VALUES ($1, $2, $3)
       ON CONFLICT (plan, feature) DO UPDATE SET enabled = EXCLUDED.enabled`,
      [plan, feature, enabled],
    );
    this.invalidate();
  }

  /** The next read loads again; a load already under way is neither cached nor shared any more. */
  invalidate(): void {
    this.generation++;
    this.cached = undefined;
    this.loading = undefined;
  }

  private async load(db: Queryable): Promise<CatalogPlan[]> {
    const generation = this.generation;
    const rows: PlanRow[] = await db.query(
      `SELECT p.code, p.name, p.monthly_price_minor, p.currency, p.rank,
              coalesce((SELECT json_object_agg(l.metric, l.limit_value) FROM public.plan_limits l WHERE l.plan = p.code), '{}') AS limits,
              coalesce((SELECT json_object_agg(f.feature, f.enabled) FROM public.plan_features f WHERE f.plan = p.code), '{}') AS features
         FROM public.plans p ORDER BY p.rank`,
    );
    const plans = rows.map(toCatalogPlan);
    if (generation === this.generation) this.cached = { plans, expiresAt: this.clock() + this.ttlMs };
    return plans;
  }
}
