import { CreateCustomerDocument, CustomersDocument, SuspendTenantDocument } from '../../../test/generated/graphql';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { runIsolationWorkload } from '../../../test/support/tenant-isolation-workload';
import { requireTenantScope } from './tenant-scope';

const TENANTS = 20;
const REQUESTS = 2000;

describe('tenant isolation under concurrency (real PostgreSQL, pool of 3)', () => {
  let app: TestApp;
  let tenants: { id: string; slug: string; schemaName: string }[];

  beforeAll(async () => {
    app = await startTestApp({ DATABASE_POOL_MAX: '3' });
    tenants = [];
    for (let i = 0; i < TENANTS; i++) tenants.push(await app.createTenant(`iso-${i}`));
  });
  afterAll(() => app.close());

  it(`serves ${REQUESTS} interleaved reads and writes for ${TENANTS} tenants with zero cross-tenant rows`, async () => {
    const report = await runIsolationWorkload(app, tenants, REQUESTS, 50);
    expect(report.failures).toEqual([]);
    expect(report.foreignRowsSeen).toEqual([]);
    // What reached each schema: only that tenant's writes, and all of them.
    expect(report.foreignRowsStored).toEqual([]);
    expect(report.rowsStored).toBe(REQUESTS / 2);
  }, 150_000);

  it('leaves no search_path behind on pooled connections', async () => {
    await app.gql(CustomersDocument, {}, { org: tenants[0].slug });
    const paths = await Promise.all([1, 2, 3].map(() => app.dataSource.query('SHOW search_path')));
    for (const [row] of paths) expect(row.search_path).toBe('"$user", public');
  });

  it('answers a missing organization with NOT_FOUND and a malformed one with BAD_USER_INPUT', async () => {
    const missing = await app.gql(CustomersDocument, {}, { org: 'no-such-org' });
    expect(missing.errors![0].extensions.code).toBe('NOT_FOUND');
    const missingId = await app.gql(CustomersDocument, {}, { org: '00000000-0000-4000-8000-000000000000' });
    expect(missingId.errors![0].extensions.code).toBe('NOT_FOUND');
    const injection = await app.gql(CustomersDocument, {}, { org: '"; drop schema public cascade; --' });
    expect(injection.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_ORGANIZATION_ID',
    });
    const quote = await app.gql(CustomersDocument, {}, { org: "x' or '1'='1" });
    expect(quote.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const absent = await app.gql(CustomersDocument, {});
    expect(absent.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ORGANIZATION_REQUIRED' });
  });

  it('refuses a suspended organization and writes nothing to it', async () => {
    const victim = await app.createTenant('iso-suspended');
    await app.gql(SuspendTenantDocument, { id: victim.id, reason: 'unpaid' });
    const write = await app.gql(CreateCustomerDocument, { input: { name: 'should not exist' } }, { org: victim.slug });
    expect(write.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TENANT_SUSPENDED' });
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM "${victim.schemaName}".customers`,
    );
    expect(count).toBe(0);
  });

  it('refuses tenant data to anonymous callers before touching the database', async () => {
    const res = await app.gql(CustomersDocument, {}, { org: tenants[0].slug, admin: false });
    expect(res.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('throws when tenant data is touched outside a tenant scope', async () => {
    expect(() => requireTenantScope()).toThrow('outside a tenant scope');
    // Unscoped connections have no tenant schema in their path: tenant tables simply do not exist there.
    await expect(app.dataSource.query('SELECT count(*) FROM customers')).rejects.toThrow(
      /relation "customers" does not exist/,
    );
  });
});
