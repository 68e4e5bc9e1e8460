import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { encodeCursor } from '../src/core/graphql/connection';
import { CUSTOMER_COLUMNS } from '../src/modules/customers/customer.service';

/** The app's opening statement (tenant-scope.ts): BEGIN, the tenant row and its search_path in one round trip. */
const opening = (slug: string) =>
  'BEGIN; SELECT t.id, t.slug, t.status, t.schema_name, ' +
  "set_config('search_path', quote_ident(t.schema_name), true) AS search_path " +
  `FROM public.tenants t WHERE t.slug = '${slug.replace(/'/g, "''")}'`;

/** The statement the app's `customers(first: 10)` sends (readKeysetPage with the customer columns). */
const PAGE_SQL = `SELECT ${CUSTOMER_COLUMNS} FROM customers ORDER BY created_at, id LIMIT $1`;

interface Row {
  id: string;
  name: string;
  email: string | null;
  createdAt: Date;
}

/**
 * The floor of issue 18: node:http + pg on the app's pool, no GraphQL, no framework. Each request runs the
 * same three round trips as the app's tenant read (BEGIN + tenant switch, the page, COMMIT) and answers the
 * same JSON. It reads the tenant from X-Organization-ID and checks nothing else: what is left is the cost of
 * HTTP, JSON and the database, which no server can go below.
 */
export async function startFloorServer(dataSource: DataSource, first: number) {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      void answer(String(req.headers['x-organization-id'])).then(
        (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body),
        (error: Error) => res.writeHead(500).end(error.message),
      );
    });
  });

  const answer = async (slug: string): Promise<string> => {
    const client = await pool.connect();
    try {
      const [, tenant] = (await client.query(opening(slug))) as unknown as { rows: unknown[] }[];
      if (!tenant.rows.length) throw new Error(`no tenant ${slug}`);
      const { rows } = await client.query<Row>(PAGE_SQL, [first + 1]);
      await client.query('COMMIT');
      const page = rows.slice(0, first);
      const last = page.at(-1);
      const pageInfo = {
        hasNextPage: rows.length > first,
        endCursor: last ? encodeCursor(last) : null,
      };
      const edges = page.map((row) => ({ node: { id: row.id, name: row.name, email: row.email } }));
      return JSON.stringify({ data: { customers: { edges, pageInfo } } });
    } finally {
      client.release();
    }
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
