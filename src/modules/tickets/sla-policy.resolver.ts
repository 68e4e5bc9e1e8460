import { canRead, hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { SlaPolicy } from './sla-policy.entity';
import { CreateSlaPolicyInput } from './sla-policy.inputs';
import type { SlaPolicyService } from './sla-policy.service';

@Resolver(() => SlaPolicy)
export class SlaPolicyResolver {
  constructor(private readonly slaPolicyService: SlaPolicyService) {}

  @Policy(canRead('tickets'))
  @Query(() => [SlaPolicy], { description: 'PLAN_UPGRADE_REQUIRED unless the plan has sla_policies' })
  slaPolicies(@TenantManager() em: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<SlaPolicy[]> {
    return this.slaPolicyService.list(em, tenant.id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => SlaPolicy, {
    description: 'Applies to tickets opened from now on; PLAN_UPGRADE_REQUIRED unless the plan has sla_policies',
  })
  createSlaPolicy(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Arg('input') input: CreateSlaPolicyInput,
  ): Promise<SlaPolicy> {
    return this.slaPolicyService.create(em, tenant.id, input);
  }
}
