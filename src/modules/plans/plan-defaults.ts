import type { Queryable } from '../../core/database/public-migrator';
import { PlanCode } from './plan-code';
import { REQUESTS_PER_MINUTE, type PlanFeature, type UsageMetric } from './usage-metric';

/**
 * The catalogue a new installation starts with (the plans migration seeds it) and that
 * `npm run plans:init` adds where missing. Rows that exist are kept as they are: once
 * created, the database is what counts (an operator may have tuned a limit).
 */
export const DEFAULT_PLANS: {
  code: PlanCode;
  name: string;
  monthlyPriceMinor: number;
  currency: string;
  rank: number;
}[] = [
  { code: PlanCode.FREE, name: 'Free', monthlyPriceMinor: 0, currency: 'USD', rank: 0 },
  { code: PlanCode.STARTER, name: 'Starter', monthlyPriceMinor: 2_900, currency: 'USD', rank: 1 },
  { code: PlanCode.PROFESSIONAL, name: 'Professional', monthlyPriceMinor: 9_900, currency: 'USD', rank: 2 },
  { code: PlanCode.ENTERPRISE, name: 'Enterprise', monthlyPriceMinor: 29_900, currency: 'USD', rank: 3 },
];

/**
 * null = unlimited. team_members counts people who joined by invitation (the organization's creator is not counted).
 */
export const DEFAULT_LIMITS: Record<PlanCode, Record<UsageMetric, number | null>> = {
  FREE: {
    invoices: 10,
    customers: 5,
    team_members: 2,
    api_calls: 10_000,
    tickets: 50,
    quotes: 10,
    automation_rules: 0,
  },
  STARTER: {
    invoices: 1_000,
    customers: 500,
    team_members: 5,
    api_calls: 100_000,
    tickets: 1_000,
    quotes: 500,
    automation_rules: 0,
  },
  PROFESSIONAL: {
    invoices: 10_000,
    customers: 10_000,
    team_members: 25,
    api_calls: 1_000_000,
    tickets: 10_000,
    quotes: 5_000,
    automation_rules: 25,
  },
  ENTERPRISE: {
    invoices: null,
    customers: null,
    team_members: null,
    api_calls: null,
    tickets: null,
    quotes: null,
    automation_rules: null,
  },
};

/**
 * Requests per minute an organization's API keys may make together (the request rate limit, shared by every API
 * process; docs/operations.md). null = not limited. Members signed in have RATE_LIMIT_MAX each instead.
 */
export const DEFAULT_REQUESTS_PER_MINUTE: Record<PlanCode, number | null> = {
  FREE: 300,
  STARTER: 3_000,
  PROFESSIONAL: 12_000,
  ENTERPRISE: 60_000,
};

/** The cheapest plan with each feature; every plan ranked at or above it has it. */
export const DEFAULT_FEATURE_FROM: Record<PlanFeature, PlanCode> = {
  api_access: PlanCode.STARTER,
  whatsapp_channel: PlanCode.STARTER,
  ai_quote_generation: PlanCode.PROFESSIONAL,
  sla_policies: PlanCode.PROFESSIONAL,
  // AI agents over MCP (src/modules/mcp): API keys alone come with STARTER.
  mcp_access: PlanCode.PROFESSIONAL,
  webhooks: PlanCode.STARTER,
  automation_rules: PlanCode.PROFESSIONAL,
};

export interface SeedOutcome {
  created: boolean;
  plan: PlanCode;
  item: string;
  /** The value in the database afterwards (the existing one when kept). */
  value: string;
}

const rankOf = (code: PlanCode) => DEFAULT_PLANS.find((p) => p.code === code)!.rank;
const formatLimit = (limit: number | null) => (limit === null ? 'unlimited' : String(limit));
const formatPrice = (minor: number, currency: string) => `${currency} ${(minor / 100).toFixed(2)}/month`;

/**
 * Inserts one row unless its key exists; returns the row as it is in the database
 * afterwards and whether it was created. Table and column names are constants of this file.
 */
async function insertOrKeep<T>(
  db: Queryable,
  table: string,
  key: Record<string, unknown>,
  values: Record<string, unknown>,
): Promise<{ row: T; created: boolean }> {
  const keyColumns = Object.keys(key);
  const columns = [...keyColumns, ...Object.keys(values)];
  const returned = Object.keys(values).join(', ');
  const [row] = await db.query(
    `WITH inserted AS (
       INSERT INTO public.${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
       ON CONFLICT (${keyColumns.join(', ')}) DO NOTHING RETURNING ${returned})
     SELECT ${returned}, true AS created FROM inserted
     UNION ALL
     SELECT ${returned}, false FROM public.${table}
      WHERE ${keyColumns.map((c, i) => `${c} = $${i + 1}`).join(' AND ')} AND NOT EXISTS (SELECT 1 FROM inserted)`,
    [...Object.values(key), ...Object.values(values)],
  );
  return { row, created: row.created };
}

/**
 * Inserts every default row that is missing and reports each row as created or kept. Safe to run any number of times.
 */
export async function seedPlanCatalog(db: Queryable): Promise<SeedOutcome[]> {
  const outcomes: SeedOutcome[] = [];
  for (const plan of DEFAULT_PLANS) {
    const { row, created } = await insertOrKeep<{ name: string; monthly_price_minor: number; currency: string }>(
      db,
      'plans',
      { code: plan.code },
      { name: plan.name, monthly_price_minor: plan.monthlyPriceMinor, currency: plan.currency, rank: plan.rank },
    );
    outcomes.push({
      created,
      plan: plan.code,
      item: 'plan',
      value: `${row.name}, ${formatPrice(row.monthly_price_minor, row.currency)}`,
    });
  }
  for (const plan of DEFAULT_PLANS) {
    const limits = { ...DEFAULT_LIMITS[plan.code], [REQUESTS_PER_MINUTE]: DEFAULT_REQUESTS_PER_MINUTE[plan.code] };
    for (const [metric, limit] of Object.entries(limits)) {
      const { row, created } = await insertOrKeep<{ limit_value: number | null }>(
        db,
        'plan_limits',
        { plan: plan.code, metric },
        { limit_value: limit },
      );
      outcomes.push({ created, plan: plan.code, item: metric, value: formatLimit(row.limit_value) });
    }
  }
  for (const plan of DEFAULT_PLANS) {
    for (const [feature, from] of Object.entries(DEFAULT_FEATURE_FROM)) {
      const enabled = plan.rank >= rankOf(from);
      const { row, created } = await insertOrKeep<{ enabled: boolean }>(
        db,
        'plan_features',
        { plan: plan.code, feature },
        { enabled },
      );
      outcomes.push({ created, plan: plan.code, item: feature, value: row.enabled ? 'enabled' : 'disabled' });
    }
  }
  return outcomes;
}
