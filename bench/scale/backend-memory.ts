import { readFile } from 'node:fs/promises';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { progressPrinter } from '../report';

const MB = 1024 * 1024;

/** Private memory (RssAnon) of a local PostgreSQL backend, in MB; undefined when /proc does not show it. */
async function privateMemoryMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status?.match(/^RssAnon:\s+(\d+) kB/m)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** The largest private memory among the backends of one application_name (a process's pool), in MB. */
export async function largestBackendMb(dataSource: DataSource, applicationName: string): Promise<number | undefined> {
  const rows: { pid: number }[] = await dataSource.query(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
    [applicationName],
  );
  const sizes = (await Promise.all(rows.map((r) => privateMemoryMb(r.pid)))).filter((mb) => mb !== undefined);
  return sizes.length ? Math.max(...sizes) : undefined;
}

export interface VisitAllFigures {
  /** pg_backend_memory_contexts of the backend, all contexts. */
  totalMb: number;
  /** CacheMemoryContext and its children: the relation and catalog caches. */
  cacheMb: number;
  privateMb?: number;
}

async function contextsMb(client: Client): Promise<{ totalMb: number; cacheMb: number }> {
  // PostgreSQL 18 replaced the `parent` column by `path` (ids from the top context down): read either.
  const { rows } = await client.query(
    `WITH c AS (SELECT name, total_bytes, to_jsonb(m) AS j FROM pg_backend_memory_contexts m),
          cache AS (SELECT j -> 'path' -> -1 AS id FROM c WHERE name = 'CacheMemoryContext')
     SELECT sum(total_bytes)::bigint AS total,
            sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext' OR j ->> 'parent' = 'CacheMemoryContext'
                                        OR j -> 'path' @> jsonb_build_array((SELECT id FROM cache)))::bigint AS cache
       FROM c`,
  );
  return { totalMb: Number(rows[0].total) / MB, cacheMb: Number(rows[0].cache) / MB };
}

/**
 * One connection that reads a page of customers and tickets in every tenant, as a pooled server connection
 * of a long-lived API (or a PgBouncer server connection) ends up doing: its memory afterwards.
 */
export async function visitEveryTenant(url: string, schemas: string[], print: (line: string) => void) {
  const client = new Client({ connectionString: url, application_name: 'tenantql-scale-visitor' });
  await client.connect();
  try {
    const before = await contextsMb(client);
    const progress = progressPrinter('one connection visited', schemas.length, print);
    for (const [i, schema] of schemas.entries()) {
      const q = client.escapeIdentifier(schema);
      await client.query(`SELECT id, name FROM ${q}.customers LIMIT 10; SELECT id FROM ${q}.tickets LIMIT 10`);
      progress(i + 1);
    }
    const after = await contextsMb(client);
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const figures: VisitAllFigures & { before: typeof before } = {
      ...after,
      before,
      privateMb: await privateMemoryMb(rows[0].pid),
    };
    return figures;
  } finally {
    await client.end();
  }
}
