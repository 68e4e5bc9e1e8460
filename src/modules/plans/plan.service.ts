import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { NotFoundError } from '../../core/errors/app-error';
import { PlanCode, SubscriptionStatus } from './plan-code';
import { Subscription } from './subscription.entity';
import { withPlanChangeEvent } from './subscription.events';

export interface PlanActivation {
  periodStart: Date;
  periodEnd: Date;
  /** Who collects the payments: STRIPE, KHALTI, ESEWA. Kept when not given. */
  provider?: string;
  /** The provider's ids for this organization; each is kept when not given. */
  providerRefs?: { customerId?: string; subscriptionId?: string };
}

export interface PlanServiceDependencies {
  dataSource: DataSource;
  config: Pick<AppConfig, 'plans'>;
  now?: () => Date;
}

interface SubscriptionRow {
  tenant_id: string;
  plan: PlanCode;
  status: SubscriptionStatus;
  trial_ends_at: Date | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  provider: string | null;
  provider_customer_id: string | null;
  provider_subscription_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toSubscription = (row: SubscriptionRow): Subscription =>
  Object.assign(new Subscription(), {
    tenantId: row.tenant_id,
    plan: row.plan,
    status: row.status,
    trialEndsAt: row.trial_ends_at,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    provider: row.provider,
    providerCustomerId: row.provider_customer_id,
    providerSubscriptionId: row.provider_subscription_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });

/**
 * Runs a statement on `public.subscriptions` (written without RETURNING) and copies its plan to `public.tenants.plan`,
 * in one round trip.
 */
const withTenantPlanSync = (statement: string) => `
  WITH changed AS (${statement} RETURNING *),
       synced AS (UPDATE public.tenants t SET plan = changed.plan, updated_at = now() FROM changed WHERE t.id = changed.tenant_id AND t.plan <> changed.plan)
  SELECT * FROM changed`;

const UPSERT = `
  INSERT INTO public.subscriptions AS s
    (tenant_id, plan, status, trial_ends_at, current_period_start, current_period_end, provider, provider_customer_id, provider_subscription_id)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (tenant_id) DO UPDATE SET
    plan = EXCLUDED.plan, status = EXCLUDED.status, trial_ends_at = EXCLUDED.trial_ends_at,
    current_period_start = EXCLUDED.current_period_start, current_period_end = EXCLUDED.current_period_end,
    provider = coalesce(EXCLUDED.provider, s.provider),
    provider_customer_id = coalesce(EXCLUDED.provider_customer_id, s.provider_customer_id),
    provider_subscription_id = coalesce(EXCLUDED.provider_subscription_id, s.provider_subscription_id),
    updated_at = now()`;

const DAY_MS = 86_400_000;

/**
 * Each organization's plan and its lifecycle: trial at provisioning, activation after a
 * verified payment, past due, cancellation back to FREE (data kept). Methods taking a
 * manager run in the caller's transaction, so the change commits with whatever caused it
 * (a webhook's event record, a payment transaction).
 */
export class PlanService {
  private readonly now: () => Date;

  constructor(private readonly deps: PlanServiceDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * ACTIVE on `plan` for the paid period. Idempotent: the same activation again changes
   * nothing that matters. An activation for a period that ends before the one already
   * paid for is a late duplicate and is ignored (the current subscription is returned).
   */
  async activatePlan(
    em: EntityManager,
    tenantId: string,
    plan: PlanCode,
    activation: PlanActivation,
  ): Promise<Subscription> {
    return withPlanChangeEvent(em, tenantId, () => this.upsertActivation(em, tenantId, plan, activation));
  }

  private async upsertActivation(
    em: EntityManager,
    tenantId: string,
    plan: PlanCode,
    activation: PlanActivation,
  ): Promise<Subscription> {
    const rows: SubscriptionRow[] = await em.query(
      withTenantPlanSync(`${UPSERT}
        WHERE NOT (s.status IN ('ACTIVE', 'PAST_DUE') AND s.current_period_end > EXCLUDED.current_period_end)`),
      [
        tenantId,
        plan,
        SubscriptionStatus.ACTIVE,
        null,
        activation.periodStart,
        activation.periodEnd,
        activation.provider ?? null,
        activation.providerRefs?.customerId ?? null,
        activation.providerRefs?.subscriptionId ?? null,
      ],
    );
    return rows[0] ? toSubscription(rows[0]) : this.getSubscription(em, tenantId);
  }

  /** A payment failed: the plan stays while the provider retries. A canceled subscription stays canceled. */
  markPastDue(em: EntityManager, tenantId: string): Promise<Subscription> {
    return this.update(em, tenantId, `status = 'PAST_DUE'`, `status IN ('ACTIVE', 'TRIALING', 'PAST_DUE')`);
  }

  /**
   * Back to FREE, CANCELED (paid subscription ended, or a trial ran out). Nothing is deleted: what exceeds FREE stays
   * readable.
   */
  cancelToFree(em: EntityManager, tenantId: string): Promise<Subscription> {
    return this.update(
      em,
      tenantId,
      `plan = 'FREE', status = 'CANCELED', current_period_start = $2, current_period_end = NULL`,
      'true',
      [this.now()],
    );
  }

  /** TRIALING on `plan` for `days` from now (new organizations, in their provisioning transaction). */
  async startTrial(
    em: EntityManager,
    tenantId: string,
    plan: PlanCode = this.deps.config.plans.trialPlan as PlanCode,
    days = this.deps.config.plans.trialDays,
  ): Promise<Subscription> {
    const start = this.now();
    const end = new Date(start.getTime() + days * DAY_MS);
    const [row]: SubscriptionRow[] = await em.query(withTenantPlanSync(UPSERT), [
      tenantId,
      plan,
      SubscriptionStatus.TRIALING,
      end,
      start,
      end,
      null,
      null,
      null,
    ]);
    return toSubscription(row);
  }

  async getSubscription(em: EntityManager, tenantId: string): Promise<Subscription> {
    const subscription = await em.findOneBy(Subscription, { tenantId });
    if (!subscription) throw new NotFoundError('Subscription', tenantId);
    return subscription;
  }

  /** Trials ending in [from, to): whom the trials job reminds. */
  tenantsWithTrialEndingBetween(from: Date, to: Date): Promise<Subscription[]> {
    return this.trials('s.trialEndsAt >= :from AND s.trialEndsAt < :to', { from, to });
  }

  /** Trials that ended at or before `now` and were not converted: the trials job moves them to FREE. */
  expiredTrials(now: Date): Promise<Subscription[]> {
    return this.trials('s.trialEndsAt <= :now', { now });
  }

  private trials(condition: string, parameters: Record<string, Date>): Promise<Subscription[]> {
    return this.deps.dataSource
      .createQueryBuilder(Subscription, 's')
      .where(`s.status = :status AND ${condition}`, { status: SubscriptionStatus.TRIALING, ...parameters })
      .orderBy('s.trialEndsAt', 'ASC')
      .getMany();
  }

  /** `assignments` and `condition` are constants of this class; `parameters` are $2 onwards. */
  private update(
    em: EntityManager,
    tenantId: string,
    assignments: string,
    condition = 'true',
    parameters: unknown[] = [],
  ): Promise<Subscription> {
    return withPlanChangeEvent(em, tenantId, async () => {
      const rows: SubscriptionRow[] = await em.query(
        withTenantPlanSync(
          `UPDATE public.subscriptions SET ${assignments}, updated_at = now() WHERE tenant_id = $1 AND ${condition}`,
        ),
        [tenantId, ...parameters],
      );
      return rows[0] ? toSubscription(rows[0]) : this.getSubscription(em, tenantId);
    });
  }
}
