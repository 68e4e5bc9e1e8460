import 'reflect-metadata';
import { createDataSource } from '../../src/core/database/data-source';
import { ensureDatabase, startTemporaryPostgres } from '../../src/core/database/embedded-postgres';
import { PublicMigrator } from '../../src/core/database/public-migrator';
import { entities } from '../../src/app/entities';

/** With DATABASE_URL the tests use that server; without it, a throw-away embedded PostgreSQL. */
export default async function globalSetup(): Promise<void> {
  let admin = process.env.DATABASE_URL;
  if (!admin) {
    const embedded = await startTemporaryPostgres('tenantql-test-pg');
    (globalThis as { __EMBEDDED_PG__?: typeof embedded }).__EMBEDDED_PG__ = embedded;
    admin = embedded.url;
  }
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const template = `tenantql_template_${runId}`;
  const templateUrl = new URL(admin);
  templateUrl.pathname = `/${template}`;
  await ensureDatabase(admin, template);
  const dataSource = createDataSource({
    url: templateUrl.toString(),
    entities,
    pool: { poolMax: 2, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 },
  });
  await dataSource.initialize();
  await new PublicMigrator(dataSource).migrate();
  await dataSource.destroy();
  process.env.TEST_DATABASE_ADMIN_URL = admin;
  process.env.TEST_TEMPLATE_DATABASE = template;
  process.env.TEST_RUN_ID = runId;
}
