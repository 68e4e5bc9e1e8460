import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { TenantSettings } from './tenant-settings.entity';
import { UpdateTenantSettingsInput } from './settings.inputs';
import { SettingsService } from './settings.service';

@Resolver(() => TenantSettings)
@TenantScoped()
export class SettingsResolver {
  constructor(private readonly settings: SettingsService) {}

  @Query(() => TenantSettings, { description: 'The business profile of the organization in X-Organization-ID' })
  tenantSettings(@TenantManager() manager: EntityManager): Promise<TenantSettings> {
    return this.settings.get(manager);
  }

  @Mutation(() => TenantSettings)
  updateTenantSettings(@Arg('input') input: UpdateTenantSettingsInput, @TenantManager() manager: EntityManager): Promise<TenantSettings> {
    return this.settings.update(manager, input);
  }
}
