import type { ContainerType } from 'type-graphql';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { CustomerResolver, CustomerService } from '../modules/customers';
import { TenantMigrator, TenantResolver, TenantService } from '../modules/tenants';

/** The composition root: every service built once per process, wired by hand. */
export function createServices(config: AppConfig, dataSource: DataSource, databaseUrl: string) {
  const tenantMigrator = new TenantMigrator(dataSource);
  const tenants = new TenantService(dataSource, tenantMigrator, { databaseUrl, backupDir: config.backupDir, pgDumpPath: config.pgDumpPath });
  const customers = new CustomerService();

  const resolverInstances = new Map<Function, unknown>([
    [TenantResolver, new TenantResolver(tenants)],
    [CustomerResolver, new CustomerResolver(customers)],
  ]);
  const container: ContainerType = {
    get(resolverClass) {
      const instance = resolverInstances.get(resolverClass);
      if (!instance) throw new Error(`No instance registered for resolver ${resolverClass.name}`);
      return instance;
    },
  };
  return { tenantMigrator, tenants, customers, container };
}

export type Services = ReturnType<typeof createServices>;
