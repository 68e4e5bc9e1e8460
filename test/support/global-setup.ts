import 'reflect-metadata';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { createDataSource } from '../../src/core/database/data-source';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/core/database/embedded-postgres';
import { PublicMigrator } from '../../src/core/database/public-migrator';
import { entities } from '../../src/app/entities';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

/** With DATABASE_URL the tests use that server; without it, a throw-away embedded PostgreSQL. */
export default async function globalSetup(): Promise<void> {
  let admin = process.env.DATABASE_URL;
  if (!admin) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-test-pg-'));
    chmodSync(dir, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its data dir
    const embedded = await startEmbeddedPostgres({ dir: path.join(dir, 'data'), port: await freePort(), database: 'postgres', persistent: false });
    (globalThis as { __EMBEDDED_PG__?: typeof embedded }).__EMBEDDED_PG__ = embedded;
    admin = embedded.url;
  }
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const template = `tenantql_template_${runId}`;
  const templateUrl = new URL(admin);
  templateUrl.pathname = `/${template}`;
  await ensureDatabase(admin, template);
  const dataSource = createDataSource({ url: templateUrl.toString(), entities, pool: { poolMax: 2, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 } });
  await dataSource.initialize();
  await new PublicMigrator(dataSource).migrate();
  await dataSource.destroy();
  process.env.TEST_DATABASE_ADMIN_URL = admin;
  process.env.TEST_TEMPLATE_DATABASE = template;
  process.env.TEST_RUN_ID = runId;
}
