/**
 * What is counted, and how. CURRENT metrics count things that exist now: deleting one
 * frees its slot, and their counter has one fixed period. MONTHLY metrics count what
 * was done in a calendar month (UTC): a new counter row starts each month (no reset
 * job), and nothing is given back.
 */
export enum LimitPeriod {
  CURRENT = 'CURRENT',
  MONTHLY = 'MONTHLY',
}

export const USAGE_METRICS = {
  customers: LimitPeriod.CURRENT,
  team_members: LimitPeriod.CURRENT,
  invoices: LimitPeriod.MONTHLY,
  api_calls: LimitPeriod.MONTHLY,
  tickets: LimitPeriod.MONTHLY,
  quotes: LimitPeriod.MONTHLY,
  automation_rules: LimitPeriod.CURRENT,
} as const satisfies Record<string, LimitPeriod>;

export type UsageMetric = keyof typeof USAGE_METRICS;

/** A plan limit that is a rate, not a usage count (`public.plan_limits` row; no counter). */
export const REQUESTS_PER_MINUTE = 'requests_per_minute';

/** Features a plan switches on or off (`public.plan_features`). */
export const PLAN_FEATURES = [
  'api_access',
  'whatsapp_channel',
  'ai_quote_generation',
  'sla_policies',
  'mcp_access',
  'webhooks',
  'automation_rules',
] as const;
export type PlanFeature = (typeof PLAN_FEATURES)[number];

export const isUsageMetric = (name: string): name is UsageMetric => Object.hasOwn(USAGE_METRICS, name);
export const isPlanFeature = (name: string): name is PlanFeature => (PLAN_FEATURES as readonly string[]).includes(name);

/** How people read a metric in mail and messages. */
export const METRIC_LABELS: Record<UsageMetric, string> = {
  customers: 'customers',
  team_members: 'team members',
  invoices: 'invoices this month',
  api_calls: 'API calls this month',
  tickets: 'tickets this month',
  quotes: 'quotes this month',
  automation_rules: 'active automation rules',
};

/** The one period of CURRENT metrics. */
const FIXED_PERIOD_START = '1970-01-01';

export interface UsagePeriod {
  /** `public.usage_counters.period_start` (a date, UTC). */
  key: string;
  start: Date;
  /** When the count starts again from zero; null for CURRENT metrics. */
  resetsAt: Date | null;
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);

/** The calendar month (UTC) containing `now`. */
export function monthOf(now: Date): UsagePeriod {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { key: isoDate(start), start, resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)) };
}

export function periodOf(metric: UsageMetric, now: Date): UsagePeriod {
  if (USAGE_METRICS[metric] === LimitPeriod.MONTHLY) return monthOf(now);
  return { key: FIXED_PERIOD_START, start: new Date(`${FIXED_PERIOD_START}T00:00:00Z`), resetsAt: null };
}
