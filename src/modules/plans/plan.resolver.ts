import { everyone, hasRole, inOrganization, MemberRole, platformAdmin, Policy } from '../../core/authorization';
import { Arg, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { BadUserInputError } from '../../core/errors/app-error';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { EntitlementService } from './entitlement.service';
import { PlanCode } from './plan-code';
import { PlanCatalog, type CatalogPlan } from './plan-catalog';
import { PlanService } from './plan.service';
import { Entitlement, Plan, PlanLimit, Usage } from './plan.types';
import { Subscription } from './subscription.entity';
import { isPlanFeature, isUsageMetric, PLAN_FEATURES, USAGE_METRICS } from './usage-metric';

const toLimits = (plan: CatalogPlan): PlanLimit[] =>
  Object.entries(plan.limits).map(([metric, limit]) => ({
    metric,
    limit,
    period: USAGE_METRICS[metric as keyof typeof USAGE_METRICS],
  }));

const toPlan = (plan: CatalogPlan): Plan => ({
  code: plan.code,
  name: plan.name,
  monthlyPrice: plan.monthlyPriceMinor,
  currency: plan.currency,
  rank: plan.rank,
  limits: toLimits(plan),
  features: Object.entries(plan.features).map(([feature, enabled]) => ({ feature, enabled })),
});

/** Plans and what they allow (public), and the organization's subscription, usage and entitlements. */
@Resolver()
export class PlanResolver {
  constructor(
    private readonly catalog: PlanCatalog,
    private readonly planService: PlanService,
    private readonly entitlements: EntitlementService,
  ) {}

  @Policy(everyone)
  @Query(() => [Plan], { description: 'Every plan, cheapest first, with its price, limits and features' })
  async plans(): Promise<Plan[]> {
    return (await this.catalog.plans()).map(toPlan);
  }

  @Policy(everyone)
  @Query(() => [PlanLimit], { description: "A plan's limits (null: unlimited)" })
  async planLimits(@Arg('plan', () => PlanCode) plan: PlanCode): Promise<PlanLimit[]> {
    return toLimits(await this.catalog.plan(plan));
  }

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => Subscription, { description: 'The plan and billing state of the organization in X-Organization-ID' })
  subscription(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Subscription> {
    return this.planService.getSubscription(em, tenant.id);
  }

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => Usage, { description: 'What the organization used against its plan limits, in the current periods' })
  usage(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Usage> {
    return this.entitlements.usage(em, tenant.id);
  }

  @Policy(inOrganization)
  @Query(() => Entitlement, { description: 'Whether the plan includes a feature, or allows one more of a metric' })
  entitlement(
    @Arg('feature') feature: string,
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<Entitlement> {
    return this.entitlements.entitlement(em, tenant.id, feature);
  }

  @Policy(platformAdmin)
  @Mutation(() => Plan, {
    description:
      'Platform admin: change a limit (null: unlimited); applies at once here, in other processes within PLAN_CACHE_SECONDS',
  })
  async setPlanLimit(
    @Arg('plan', () => PlanCode) plan: PlanCode,
    @Arg('metric') metric: string,
    @Arg('limit', () => Int, { nullable: true }) limit: number | null,
  ): Promise<Plan> {
    if (!isUsageMetric(metric))
      throw new BadUserInputError(`Unknown metric "${metric}"`, {
        reason: 'UNKNOWN_METRIC',
        known: Object.keys(USAGE_METRICS),
      });
    if (limit !== null && limit < 0) throw new BadUserInputError('A limit cannot be negative', { field: 'limit' });
    await this.catalog.setLimit(plan, metric, limit);
    return toPlan(await this.catalog.plan(plan));
  }

  @Policy(platformAdmin)
  @Mutation(() => Plan, { description: 'Platform admin: switch a feature on or off for a plan' })
  async setPlanFeature(
    @Arg('plan', () => PlanCode) plan: PlanCode,
    @Arg('feature') feature: string,
    @Arg('enabled') enabled: boolean,
  ): Promise<Plan> {
    if (!isPlanFeature(feature))
      throw new BadUserInputError(`Unknown feature "${feature}"`, { reason: 'UNKNOWN_FEATURE', known: PLAN_FEATURES });
    await this.catalog.setFeature(plan, feature, enabled);
    return toPlan(await this.catalog.plan(plan));
  }
}
