import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import type { AppConfig } from '../config/config';

export interface DataSourceOptions {
  url: string;
  entities: MixedList<Function | string | EntitySchema>;
  pool: Pick<AppConfig['database'], 'poolMax' | 'poolMaxUses' | 'poolMaxLifetimeSeconds'>;
  applicationName?: string;
}

/**
 * One pool for the whole process. Connections are recycled after `maxUses`
 * checkouts or `maxLifetimeSeconds`, because a backend that has visited
 * thousands of tenant schemas keeps their catalog entries cached for good.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? 'tenantql',
    extra: {
      max: options.pool.poolMax,
      maxUses: options.pool.poolMaxUses || undefined,
      maxLifetimeSeconds: options.pool.poolMaxLifetimeSeconds || undefined,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
    },
  });
}
