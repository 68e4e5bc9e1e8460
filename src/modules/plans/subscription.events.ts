import type { EntityManager } from 'typeorm';
import { fieldChanges, recordEvent } from '../../core/events';
import type { Subscription } from './subscription.entity';

const FIELDS = ['plan', 'status'] as const;

type PlanState = Pick<Subscription, (typeof FIELDS)[number]>;

/**
 * Runs a change of an organization's subscription and records `subscription.plan_changed` (payload v1) when its plan
 * or status moved; a first subscription (provisioning) or a repeated activation records nothing.
 */
export async function withPlanChangeEvent(
  em: EntityManager,
  tenantId: string,
  change: () => Promise<Subscription>,
): Promise<Subscription> {
  const [before]: PlanState[] = await em.query(
    'SELECT plan, status FROM public.subscriptions WHERE tenant_id = $1 FOR UPDATE',
    [tenantId],
  );
  const after = await change();
  const changes = before ? fieldChanges(before, { plan: after.plan, status: after.status }, FIELDS) : [];
  if (changes.length) {
    await recordEvent(em, {
      type: 'subscription.plan_changed',
      entityId: tenantId,
      tenantId,
      payload: {
        plan: after.plan,
        status: after.status,
        previousPlan: before.plan,
        previousStatus: before.status,
        currentPeriodEnd: after.currentPeriodEnd,
        provider: after.provider,
      },
      changes,
    });
  }
  return after;
}
