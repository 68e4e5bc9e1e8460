import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PlanCode } from './plan-code';
import { LimitPeriod } from './usage-metric';

registerEnumType(LimitPeriod, {
  name: 'LimitPeriod',
  description:
    'CURRENT: counts what exists now (deleting frees a slot); MONTHLY: counts what was done this calendar month (UTC)',
});

@ObjectType({ description: 'How much of something a plan allows' })
export class PlanLimit {
  @Field({ description: 'invoices, customers, team_members, api_calls, tickets, quotes' })
  metric: string;

  @Field(() => Int, { nullable: true, description: 'null: unlimited' })
  limit: number | null;

  @Field(() => LimitPeriod)
  period: LimitPeriod;
}

@ObjectType({ description: 'Whether a plan includes a feature' })
export class PlanFeatureFlag {
  @Field({
    description:
      'api_access, whatsapp_channel, ai_quote_generation, sla_policies, mcp_access, webhooks, automation_rules',
  })
  feature: string;

  @Field()
  enabled: boolean;
}

@ObjectType({ description: 'A plan, with its price, limits and features' })
export class Plan {
  @Field(() => PlanCode)
  code: PlanCode;

  @Field()
  name: string;

  @Field(() => Int, { description: 'Monthly price in the minor unit of `currency` (cents)' })
  monthlyPrice: number;

  @Field({ description: 'ISO 4217 code' })
  currency: string;

  @Field(() => Int, { description: 'Higher is more: FREE 0, STARTER 1, PROFESSIONAL 2, ENTERPRISE 3' })
  rank: number;

  @Field(() => [PlanLimit])
  limits: PlanLimit[];

  @Field(() => [PlanFeatureFlag])
  features: PlanFeatureFlag[];
}

@ObjectType({ description: 'Usage of one metric against the plan limit, in its current period' })
export class UsageMeter {
  @Field()
  metric: string;

  @Field(() => Int)
  used: number;

  @Field(() => Int, { nullable: true, description: 'null: unlimited' })
  limit: number | null;

  @Field(() => Int, { nullable: true, description: 'null: unlimited' })
  remaining: number | null;

  @Field(() => LimitPeriod)
  period: LimitPeriod;

  @Field(() => Date, {
    nullable: true,
    description: 'Start of this month (UTC) for MONTHLY metrics; null for CURRENT ones',
  })
  periodStart: Date | null;

  @Field(() => Date, { nullable: true, description: 'When a MONTHLY count starts again from zero' })
  resetsAt: Date | null;
}

@ObjectType({ description: "The organization's usage against its plan" })
export class Usage {
  @Field(() => UsageMeter)
  invoicesCreated: UsageMeter;

  @Field(() => UsageMeter, { description: 'Customers that exist now' })
  customersCreated: UsageMeter;

  @Field(() => UsageMeter, { description: 'Members who joined by invitation (the creator is not counted)' })
  teamMembersAdded: UsageMeter;

  @Field(() => UsageMeter, {
    description: 'Requests by members and API keys this month; counted in batches, a few seconds behind',
  })
  apiCallsUsed: UsageMeter;

  @Field(() => UsageMeter)
  ticketsCreated: UsageMeter;

  @Field(() => UsageMeter)
  quotesCreated: UsageMeter;
}

@ObjectType({ description: 'Whether the organization may use a feature or create one more of a metered thing' })
export class Entitlement {
  @Field({ description: 'The feature or metric asked about' })
  feature: string;

  @Field()
  allowed: boolean;

  @Field(() => Int, { nullable: true, description: 'Metrics: the plan limit (null: unlimited); features: null' })
  limit: number | null;

  @Field(() => Int, { nullable: true, description: 'Metrics: used in the current period; features: null' })
  used: number | null;

  @Field(() => Int, { nullable: true })
  remaining: number | null;

  @Field(() => Date, { nullable: true, description: 'MONTHLY metrics: when the count starts again from zero' })
  resetsAt: Date | null;

  @Field({ description: 'Where the front end offers a plan with more' })
  upgradeUrl: string;
}
