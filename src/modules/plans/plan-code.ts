import { registerEnumType } from 'type-graphql';

/** The plans, cheapest first (`public.plans.rank` orders them the same way). */
export enum PlanCode {
  FREE = 'FREE',
  STARTER = 'STARTER',
  PROFESSIONAL = 'PROFESSIONAL',
  ENTERPRISE = 'ENTERPRISE',
}
registerEnumType(PlanCode, { name: 'PlanCode', description: 'A plan an organization can be on' });

export enum SubscriptionStatus {
  TRIALING = 'TRIALING',
  ACTIVE = 'ACTIVE',
  PAST_DUE = 'PAST_DUE',
  CANCELED = 'CANCELED',
}
registerEnumType(SubscriptionStatus, {
  name: 'SubscriptionStatus',
  description:
    'TRIALING until the trial ends; ACTIVE while paid; PAST_DUE after a failed payment (plan kept); CANCELED: back on FREE, data kept',
});
