import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { OnboardingService } from './onboarding.service';
import { OnboardingStatus } from './onboarding.types';

@Resolver(() => OnboardingStatus)
export class OnboardingResolver {
  constructor(private readonly onboarding: OnboardingService) {}

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => OnboardingStatus, { description: 'Setup checklist of the organization in X-Organization-ID' })
  onboardingStatus(
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<OnboardingStatus> {
    return this.onboarding.status(manager, tenant);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => OnboardingStatus, {
    description: 'Tick a step off by hand (steps that follow real state tick themselves)',
  })
  markOnboardingStep(
    @Arg('key') key: string,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<OnboardingStatus> {
    return this.onboarding.markStep(manager, tenant, key, principal);
  }
}
