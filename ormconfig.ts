import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { entities } from './src/app/entities';
import { loadMigrations, migrationDirs } from './src/core/database/migration-set';

/**
 * The TypeORM CLI's data source: `npx typeorm -d ormconfig.ts migration:show`. The app's entities
 * and its public migrations, on DATABASE_URL. TypeORM reads the public ledger through the
 * `public.typeorm_migrations` view (read-only: it cannot run or revert migrations; `npm run
 * migrate` does, tenant schemas included, which TypeORM's CLI knows nothing of).
 */
export default new DataSource({
  type: 'postgres',
  url: process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432/tenantql',
  entities,
  migrations: loadMigrations(migrationDirs.public).map((m) => m.migration.constructor as new () => object),
  migrationsTableName: 'typeorm_migrations',
  synchronize: false,
  logging: false,
});
