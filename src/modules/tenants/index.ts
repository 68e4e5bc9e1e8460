export { Tenant, TenantStatus } from './tenant.entity';
export { TenantService, type ProvisionInput } from './tenant.service';
export {
  TenantMigrator,
  type TenantRunSummary,
  type TenantRunResult,
  type TenantMigrationStatus,
  type TenantStatusSummary,
  type TenantBrief,
} from './tenant-migrator';
export { TenantSpares, type SpareRefill } from './tenant-spares';
export { TenantResolver, type AdminTenantCreator, type UserTenantCreator } from './tenant.resolver';
export { CreateTenantInput } from './tenant.inputs';
