import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { print } from 'graphql';
import type { Client } from 'pg';
import { CreateCustomerDocument, CreateTenantDocument } from '../generated/graphql';
import { nodeEntryArgs } from '../support/node-entry';
import { TEST_ADMIN_SECRET } from '../support/test-app';
import { startDedicatedPostgres, waitFor, type DedicatedPostgres } from './dedicated-postgres';

const root = path.resolve(__dirname, '../..');
const CUSTOMER_LANES = 6;
const TENANT_LANES = 2;
/** Customers acknowledged before the kill: the API is busy, not idle, when it dies. */
const ACKNOWLEDGED_BEFORE_KILL = 30;

interface ApiProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

/** The API as production runs it (src/main.ts, its own process), on a free port. */
function startApi(databaseUrl: string): Promise<ApiProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeEntryArgs('src/main.ts'), {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: databaseUrl,
        ADMIN_SECRET: TEST_ADMIN_SECRET,
        JOBS_ENABLED: 'false',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let output = '';
    child.stdout!.on('data', (data: Buffer) => {
      output += data;
      const port = /"port":(\d+)/.exec(output)?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}`, exited });
      if (output.length > 100_000) output = output.slice(-10_000);
    });
    child.stderr!.on('data', (d) => (output += d));
    void exited.then((code) => reject(new Error(`the API exited with ${code} before listening:\n${output}`)));
  });
}

async function gql(api: ApiProcess, document: Parameters<typeof print>[0], variables: object, org?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-admin-secret': TEST_ADMIN_SECRET };
  if (org) headers['x-organization-id'] = org;
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: print(document), variables }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (await res.json()) as { data?: any; errors?: { extensions: { code: string } }[] };
}

describe('killing the API in the middle of mutations', () => {
  let postgres: DedicatedPostgres;
  let check: Client;
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    postgres = await startDedicatedPostgres();
    check = await postgres.connect();
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await check?.end();
    await postgres?.destroy();
  });

  it('rolls back what was in flight: no half-created tenant, no orphan schema, no lost acknowledged write', async () => {
    api = await startApi(postgres.url);
    const base = await gql(api, CreateTenantDocument, { input: { name: 'Base', slug: 'kill-base' } });
    expect(base.errors).toBeUndefined();

    const acknowledgedCustomers: string[] = [];
    const acknowledgedTenants: string[] = [];
    const attemptedTenants: string[] = [];
    let running = true;
    const customerLane = async (lane: number) => {
      for (let i = 0; running; i++) {
        const res = await gql(
          api!,
          CreateCustomerDocument,
          { input: { name: `kill/${lane}/${i}` } },
          'kill-base',
        ).catch(() => undefined);
        if (res?.data?.createCustomer) acknowledgedCustomers.push(res.data.createCustomer.id);
      }
    };
    const tenantLane = async (lane: number) => {
      for (let i = 0; running; i++) {
        const slug = `kill-${lane}-${i}`;
        attemptedTenants.push(slug);
        const res = await gql(api!, CreateTenantDocument, { input: { name: slug, slug } }).catch(() => undefined);
        if (res?.data?.createTenant) acknowledgedTenants.push(slug);
      }
    };
    const load = Promise.all([
      ...Array.from({ length: CUSTOMER_LANES }, (_, lane) => customerLane(lane)),
      ...Array.from({ length: TENANT_LANES }, (_, lane) => tenantLane(lane)),
    ]);

    // Provisioning inserts the tenant row, creates the schema and its tables, then records the migration in
    // public.tenant_migrations. Holding that table (once a few tenants went through) makes each createTenant
    // wait right there, half-written, so the kill lands inside those transactions for certain, not by luck.
    await waitFor('a few tenants provisioned', async () => (acknowledgedTenants.length >= 4 ? true : undefined));
    const blocker = await postgres.connect();
    await blocker.query('BEGIN; LOCK TABLE public.tenant_migrations IN EXCLUSIVE MODE');

    // Kill once the API is busy and every tenant lane's transaction has written and is waiting mid-way.
    const halfWritten = await waitFor('half-written provisioning transactions', async () => {
      const { rows } = await check.query(
        `SELECT backend_xid::text AS xid FROM pg_stat_activity
          WHERE application_name = 'tenantql-api' AND backend_xid IS NOT NULL AND wait_event_type = 'Lock'`,
      );
      return rows.length >= TENANT_LANES && acknowledgedCustomers.length >= ACKNOWLEDGED_BEFORE_KILL
        ? (rows as { xid: string }[])
        : undefined;
    });
    api.child.kill('SIGKILL');
    running = false;
    expect(await api.exited).toBeNull(); // killed by the signal, no shutdown code ran
    await load;
    await blocker.query('COMMIT');
    await blocker.end();
    await waitFor('the dead API’s sessions to end', async () => {
      const { rows } = await check.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'tenantql-api'`,
      );
      return rows[0].n === 0 ? true : undefined;
    });

    // The transactions caught mid-way were rolled back by PostgreSQL when their client vanished.
    const fates = await Promise.all(
      halfWritten.map(async ({ xid }) => (await check.query('SELECT pg_xact_status($1::xid8) AS s', [xid])).rows[0].s),
    );
    expect(fates).toEqual(halfWritten.map(() => 'aborted'));

    // Every tenant row is complete: ACTIVE, its schema there with every table, every migration recorded.
    const { rows: tenants } = await check.query(
      `SELECT t.slug, t.status, t.schema_name,
              (SELECT count(*)::int FROM pg_namespace n WHERE n.nspname = t.schema_name) AS schemas,
              (SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = t.schema_name AND c.relkind = 'r') AS tables,
              (SELECT count(*)::int FROM public.tenant_migrations m WHERE m.tenant_id = t.id) AS migrations
         FROM public.tenants t ORDER BY t.slug`,
    );
    const reference = tenants.find((t) => t.slug === 'kill-base')!;
    for (const tenant of tenants) {
      expect({
        slug: tenant.slug,
        status: tenant.status,
        schemas: tenant.schemas,
        tables: tenant.tables,
        migrations: tenant.migrations,
      }).toEqual({
        slug: tenant.slug,
        status: 'ACTIVE',
        schemas: 1,
        tables: reference.tables,
        migrations: reference.migrations,
      });
    }
    // No schema without its row, and no row for a tenant the API never confirmed while it was blocked.
    const { rows: orphans } = await check.query(
      `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\_%' AND nspname NOT IN (SELECT schema_name FROM public.tenants)`,
    );
    expect(orphans).toEqual([]);
    expect(tenants.map((t) => t.slug).sort()).toEqual(['kill-base', ...acknowledgedTenants].sort());

    // Every acknowledged customer is stored; rows whose answer was lost in the kill may exist too, whole.
    const { rows: customers } = await check.query(`SELECT id, name FROM "${reference.schema_name}".customers`);
    const stored = new Set(customers.map((c) => c.id));
    expect(acknowledgedCustomers.filter((id) => !stored.has(id))).toEqual([]);
    expect(customers.filter((c) => !/^kill\/\d+\/\d+$/.test(c.name))).toEqual([]);

    console.log(
      `[faults] API killed mid-mutation: ${acknowledgedCustomers.length} customers acknowledged, ${customers.length} stored, 0 lost; ` +
        `${halfWritten.length} provisioning transactions open with writes at the kill, all rolled back; ` +
        `${attemptedTenants.length} createTenant attempted, ${acknowledgedTenants.length} acknowledged, ${tenants.length - 1} stored; orphan schemas: ${orphans.length}`,
    );

    // A new process serves at once, and the slugs of the rolled-back tenants are free again.
    api = await startApi(postgres.url);
    const rolledBack = attemptedTenants.filter((slug) => !acknowledgedTenants.includes(slug));
    const retried = await gql(api, CreateTenantDocument, { input: { name: 'again', slug: rolledBack[0] } });
    expect(retried.errors).toBeUndefined();
    const written = await gql(api, CreateCustomerDocument, { input: { name: 'kill/after/0' } }, 'kill-base');
    expect(written.errors).toBeUndefined();
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
