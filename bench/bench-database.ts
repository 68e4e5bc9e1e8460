import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { startTemporaryPostgres } from '../src/core/database/embedded-postgres';
import { processTreeCpuMs } from './cpu-usage';

export interface BenchDatabase {
  url: string;
  /** Where it runs, for the report header. */
  description: string;
  /** CPU time used by the PostgreSQL server so far, when it runs on this machine under our control. */
  cpuMs?: () => number | undefined;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on DATABASE_URL's server (dropped afterwards): never touches existing data. */
async function onServer(adminUrl: string, name: string): Promise<BenchDatabase> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    description: `database ${name} on DATABASE_URL's server`,
    drop: () =>
      withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** A throw-away embedded PostgreSQL in a temp dir, stopped and removed afterwards. */
async function embedded(name: string): Promise<BenchDatabase> {
  const server = await startTemporaryPostgres('tenantql-bench-pg', name);
  const postmasterPid = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return {
    url: server.url,
    description: `embedded PostgreSQL in ${path.dirname(server.dataDir)}`,
    cpuMs: () => processTreeCpuMs(postmasterPid),
    drop: () => server.stop(),
  };
}

export function openBenchDatabase(adminUrl = process.env.DATABASE_URL?.trim()): Promise<BenchDatabase> {
  const name = `tenantql_bench_${randomBytes(4).toString('hex')}`;
  return adminUrl ? onServer(adminUrl, name) : embedded(name);
}
