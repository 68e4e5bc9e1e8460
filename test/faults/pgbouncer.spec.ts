import { CreateCustomerDocument, CustomersDocument } from '../generated/graphql';
import { startTestApp, type TestApp } from '../support/test-app';
import { startDedicatedPostgres, type DedicatedPostgres } from './dedicated-postgres';
import { startPgBouncer, type PgBouncer } from './pgbouncer-process';
import { runIsolationWorkload } from '../support/tenant-isolation-workload';

const TENANTS = 20;
const REQUESTS = 2000;
const SERVER_CONNECTIONS = 2;

interface PoolRow {
  database: string;
  cl_active: string;
  sv_active: string;
  sv_idle: string;
  sv_used: string;
  pool_mode: string;
}

describe(`tenant isolation through PgBouncer (transaction pooling, ${SERVER_CONNECTIONS} server connections)`, () => {
  let postgres: DedicatedPostgres;
  let bouncer: PgBouncer;
  let app: TestApp;
  let tenants: { id: string; slug: string; schemaName: string }[];

  beforeAll(async () => {
    postgres = await startDedicatedPostgres();
    bouncer = await startPgBouncer({
      upstreamPort: postgres.port,
      poolSize: SERVER_CONNECTIONS,
      user: 'postgres',
      password: 'postgres',
    });
    // Ten client connections multiplexed onto two server connections: transactions of different tenants interleave on
    // them.
    app = await startTestApp({ DATABASE_URL: bouncer.url('tenantql'), DATABASE_POOL_MAX: '10' });
    tenants = [];
    for (let i = 0; i < TENANTS; i++) tenants.push(await app.createTenant(`bouncer-${i}`));
  });
  afterAll(async () => {
    await app?.close();
    await bouncer?.stop();
    await postgres?.destroy();
  });

  it(`serves ${REQUESTS} interleaved reads and writes for ${TENANTS} tenants with zero cross-tenant rows`, async () => {
    const report = await runIsolationWorkload(app, tenants, REQUESTS, 50);
    const [pool] = (await bouncer.admin<PoolRow>('SHOW POOLS')).filter((p) => p.database === 'tenantql');
    console.log(
      `[faults] PgBouncer: ${report.requests} requests, ${report.failures.length} failed, cross-tenant rows seen ${report.foreignRowsSeen.length}, ` +
        `stored ${report.foreignRowsStored.length}; pool_mode=${pool.pool_mode}, server connections ${Number(pool.sv_active) + Number(pool.sv_idle) + Number(pool.sv_used)}`,
    );
    expect(report.failures).toEqual([]);
    expect(report.foreignRowsSeen).toEqual([]);
    expect(report.foreignRowsStored).toEqual([]);
    expect(report.rowsStored).toBe(REQUESTS / 2);
    // It really went through the pooler, in transaction mode, on no more than two server connections.
    expect(pool.pool_mode).toBe('transaction');
    expect(Number(pool.sv_active) + Number(pool.sv_idle) + Number(pool.sv_used)).toBeLessThanOrEqual(
      SERVER_CONNECTIONS,
    );
    const direct = await postgres.connect();
    try {
      const { rows } = await direct.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'tenantql' AND pid <> pg_backend_pid()`,
      );
      expect(rows[0].n).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    } finally {
      await direct.end();
    }
  }, 150_000);

  it('opens the tenant transaction with one multi-statement message that PgBouncer keeps on one server connection', async () => {
    // BEGIN; SELECT set_config(search_path, …, true) travels as one simple query: the server connection is
    // bound to the client until COMMIT, so the path the lookup set is the one every later statement sees.
    const tenant = tenants[3];
    const created = await app.gql(
      CreateCustomerDocument,
      { input: { name: `${tenant.slug}/single` } },
      { org: tenant.slug },
    );
    expect(created.errors).toBeUndefined();
    const listed = await app.gql(CustomersDocument, { first: 100 }, { org: tenant.id });
    expect(listed.data!.customers.edges.map((e) => e.node.name)).toContain(`${tenant.slug}/single`);
    expect(listed.data!.customers.edges.every((e) => e.node.name.startsWith(`${tenant.slug}/`))).toBe(true);
  });

  it('leaves no search_path behind on the shared server connections', async () => {
    await app.gql(CustomersDocument, {}, { org: tenants[0].slug });
    const paths = await Promise.all(Array.from({ length: 6 }, () => app.dataSource.query('SHOW search_path')));
    for (const [row] of paths) expect(row.search_path).toBe('"$user", public');
  });
});
