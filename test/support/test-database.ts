import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { entities } from '../../src/app/entities';
import { createDataSource } from '../../src/core/database/data-source';

/**
 * Every test file gets its own database, cloned from a template that global-setup
 * migrated once: files run in parallel without seeing each other's tenants.
 */
export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_ADMIN_URL;
  if (!url) throw new Error('TEST_DATABASE_ADMIN_URL is not set: run the tests through jest (global-setup)');
  return url;
}

export function databaseUrl(database: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tenantql_test_${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  const template = process.env.TEST_TEMPLATE_DATABASE!;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

export { withAdmin };

/** An initialised DataSource of the app's entities on a test database, without connection recycling. */
export async function openTestDataSource(url: string, poolMax: number): Promise<DataSource> {
  const dataSource = createDataSource({ url, entities, pool: { poolMax, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 } });
  return dataSource.initialize();
}
