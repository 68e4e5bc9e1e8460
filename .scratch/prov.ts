import 'reflect-metadata';
import { entities } from '../src/app/entities';
import { createDataSource } from '../src/core/database/data-source';
import { TenantMigrator, TenantService } from '../src/modules/tenants';
(async () => {
  const ds = createDataSource({ url: process.env.DATABASE_URL!, entities, pool: { poolMax: 2, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 } });
  await ds.initialize();
  const m = new TenantMigrator(ds);
  const t = await new TenantService(ds, m, { databaseUrl: '', backupDir: '/tmp', pgDumpPath: 'pg_dump' }).provision({ name: 'acme', slug: 'acme' });
  await ds.query(`INSERT INTO "${t.schemaName}".customers (name) VALUES ('Ada')`).catch((e) => console.log(e.message));
  await ds.destroy();
})();
