import { hasRole, MemberRole, Policy } from '../../core/authorization';
import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { TenantManager } from '../../core/tenancy/tenant-request';
import { TenantSettings } from './tenant-settings.entity';
import { UpdateTenantSettingsInput } from './settings.inputs';
import { SettingsService } from './settings.service';

@Resolver(() => TenantSettings)
export class SettingsResolver {
  constructor(private readonly settings: SettingsService) {}

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => TenantSettings, { description: 'The business profile of the organization in X-Organization-ID' })
  tenantSettings(@TenantManager() manager: EntityManager): Promise<TenantSettings> {
    return this.settings.get(manager);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => TenantSettings)
  updateTenantSettings(
    @Arg('input') input: UpdateTenantSettingsInput,
    @TenantManager() manager: EntityManager,
  ): Promise<TenantSettings> {
    return this.settings.update(manager, input);
  }
}
