import type { BenchContext } from '../bench-context';
import { runHttpLoad, type HttpLoadFigures } from '../http-load';
import { runInSchema } from '../../src/core/tenancy/tenant-scope';
import { adminRequest, type ScaleServer } from './scale-server';

const CONNECTIONS = 20;
const RANDOM_TENANTS = 200;
const CUSTOMERS = 20;
const QUERY = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage endCursor } } }';

export interface ReadTarget {
  slug: string;
  schemaName: string;
}

/** Tenants whose customers were written: the read returns a full page in every tenant it visits. */
const seeded = new Set<string>();

async function seed(context: BenchContext, tenants: ReadTarget[]): Promise<void> {
  for (const tenant of tenants) {
    if (seeded.has(tenant.schemaName)) continue;
    await runInSchema(context.dataSource, tenant.schemaName, (manager) =>
      manager.query(
        `INSERT INTO customers (name, email, created_at, updated_at)
         SELECT 'Customer ' || g, 'customer' || g || '@example.com', now() + make_interval(secs => g), now()
           FROM generate_series(1, $1) AS g`,
        [CUSTOMERS],
      ),
    );
    seeded.add(tenant.schemaName);
  }
}

/** The one tenant every step reads (the first provisioned), and 200 picked at random among all. */
export async function readTargets(context: BenchContext): Promise<{ one: ReadTarget; random: ReadTarget[] }> {
  const pick = (order: string, limit: number): Promise<ReadTarget[]> =>
    context.dataSource.query(
      `SELECT slug, schema_name AS "schemaName" FROM public.tenants WHERE status = 'ACTIVE' ORDER BY ${order} LIMIT $1`,
      [limit],
    );
  const [[one], random] = await Promise.all([pick('created_at, slug', 1), pick('random()', RANDOM_TENANTS)]);
  await seed(context, [one, ...random]);
  return { one, random };
}

/** `customers(first:10)` at 20 connections, cycling through `tenants` (one request per tenant). */
export function readLoad(
  context: BenchContext,
  server: ScaleServer,
  label: string,
  tenants: ReadTarget[],
): Promise<HttpLoadFigures> {
  return runHttpLoad(context, {
    label,
    url: server.url,
    connections: CONNECTIONS,
    requests: tenants.map((t) => adminRequest(context, QUERY, t.slug)),
  });
}
