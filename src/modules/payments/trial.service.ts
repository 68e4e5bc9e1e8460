import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { setEventActor } from '../../core/events';
import { SubscriptionStatus, Subscription, type PlanCatalog, type PlanService } from '../plans';
import type { BillingNotifier } from './billing-notifier';

/** Owners hear about the end of their trial this long before it. */
export const TRIAL_REMINDER_DAYS = 3;
const DAY_MS = 86_400_000;

export interface TrialServiceDependencies {
  dataSource: DataSource;
  plans: Pick<PlanService, 'tenantsWithTrialEndingBetween' | 'expiredTrials' | 'cancelToFree'>;
  catalog: Pick<PlanCatalog, 'plan'>;
  notifier: Pick<BillingNotifier, 'trialEnding'>;
  now: () => Date;
}

export interface TrialRunSummary {
  /** Organizations whose owners were reminded on this run. */
  reminded: number;
  /** Organizations moved to FREE on this run. */
  expired: number;
  /** Organizations whose step failed (logged; retried on the next run). */
  failed: number;
}

/**
 * The end of trials, run by the daily trials job. Each organization is handled in its
 * own transaction, so one failing does not hold up the others, and every step is safe to
 * repeat: the reminder's outbox key is the trial's end (one mail per owner and trial),
 * and expiry re-checks the subscription under a row lock, so an organization that paid
 * in the meantime is never moved to FREE.
 */
export class TrialService {
  constructor(private readonly deps: TrialServiceDependencies) {}

  async run(logger: Logger): Promise<TrialRunSummary> {
    const now = this.deps.now();
    const summary: TrialRunSummary = { reminded: 0, expired: 0, failed: 0 };
    const ending = await this.deps.plans.tenantsWithTrialEndingBetween(
      new Date(now.getTime() + 1),
      new Date(now.getTime() + TRIAL_REMINDER_DAYS * DAY_MS + 1),
    );
    for (const trial of ending) {
      const reminded = await this.perTenant(logger, summary, trial.tenantId, (em) => this.remind(em, trial));
      if (reminded) summary.reminded++;
    }
    for (const trial of await this.deps.plans.expiredTrials(now)) {
      const expired = await this.perTenant(logger, summary, trial.tenantId, (em) =>
        this.expire(em, trial.tenantId, now),
      );
      if (expired) summary.expired++;
    }
    return summary;
  }

  private async remind(em: EntityManager, trial: Subscription): Promise<boolean> {
    const plan = await this.deps.catalog.plan(trial.plan, em);
    return (
      (await this.deps.notifier.trialEnding(em, trial.tenantId, { endsAt: trial.trialEndsAt!, planName: plan.name })) >
      0
    );
  }

  /** FREE only if, under the row lock, it is still an unpaid trial that has ended. */
  private async expire(em: EntityManager, tenantId: string, now: Date): Promise<boolean> {
    const current = await em.findOne(Subscription, { where: { tenantId }, lock: { mode: 'pessimistic_write' } });
    if (current?.status !== SubscriptionStatus.TRIALING || !current.trialEndsAt || current.trialEndsAt > now)
      return false;
    await this.deps.plans.cancelToFree(em, tenantId);
    return true;
  }

  private async perTenant(
    logger: Logger,
    summary: TrialRunSummary,
    tenantId: string,
    work: (em: EntityManager) => Promise<boolean>,
  ): Promise<boolean> {
    try {
      return await this.deps.dataSource.transaction(async (em) => {
        await setEventActor(em, 'system:billing.trials');
        return work(em);
      });
    } catch (error) {
      summary.failed++;
      logger.error({ err: error, tenantId }, 'trial step failed for one organization; retried on the next run');
      return false;
    }
  }
}
