import {
  ActivateTenantDocument,
  ArchiveTenantDocument,
  CreateCustomerDocument,
  CreateTenantDocument,
  CurrentTenantDocument,
  CustomersDocument,
  DeleteTenantDocument,
  SuspendTenantDocument,
  TenantsDocument,
} from '../../../test/generated/graphql';
import { blankRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const schemaExists = async (app: TestApp, schema: string) =>
  (await app.dataSource.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length === 1;

describe('tenant lifecycle (platform admin)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ PG_DUMP_PATH: '/nonexistent/pg_dump' });
  });
  afterAll(() => app.close());

  it('creates an ACTIVE tenant with its own schema and answers `tenant` for it', async () => {
    const created = await app.gql(CreateTenantDocument, { input: { name: 'Globex', slug: 'globex' } });
    // New organizations start their trial on TRIAL_PLAN (PROFESSIONAL by default).
    expect(created.data!.createTenant).toMatchObject({
      slug: 'globex',
      name: 'Globex',
      status: 'ACTIVE',
      plan: 'PROFESSIONAL',
    });
    const current = await app.gql(CurrentTenantDocument, {}, { org: 'globex' });
    expect(current.data!.tenant).toMatchObject({ id: created.data!.createTenant.id, slug: 'globex' });
    const listed = await app.gql(TenantsDocument, { status: 'ACTIVE' });
    expect(listed.data!.tenants.map((t) => t.slug)).toContain('globex');
  });

  it('rejects a taken or reserved slug with CONFLICT', async () => {
    await app.gql(CreateTenantDocument, { input: { name: 'A', slug: 'taken' } });
    const again = await app.gql(CreateTenantDocument, { input: { name: 'B', slug: 'taken' } });
    expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', field: 'slug' });
    const reserved = await app.gql(CreateTenantDocument, { input: { name: 'C', slug: 'admin' } });
    expect(reserved.errors![0].extensions.code).toBe('CONFLICT');
  });

  it('suspends, reactivates and archives; inactive tenants serve no requests but keep their data', async () => {
    const tenant = await app.createTenant('cycle');
    await app.gql(CreateCustomerDocument, { input: { name: 'kept' } }, { org: 'cycle' });

    const suspended = await app.gql(SuspendTenantDocument, { id: tenant.id, reason: 'unpaid invoice' });
    expect(suspended.data!.suspendTenant).toMatchObject({ status: 'SUSPENDED', statusReason: 'unpaid invoice' });
    const refused = await app.gql(CustomersDocument, {}, { org: 'cycle' });
    expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TENANT_SUSPENDED' });

    await app.gql(ActivateTenantDocument, { id: tenant.id });
    const served = await app.gql(CustomersDocument, {}, { org: 'cycle' });
    expect(served.data!.customers.totalCount).toBe(1);

    const archived = await app.gql(ArchiveTenantDocument, { id: tenant.id });
    expect(archived.data!.archiveTenant.status).toBe('ARCHIVED');
    const archivedRead = await app.gql(CustomersDocument, {}, { org: 'cycle' });
    expect(archivedRead.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'TENANT_ARCHIVED' });
    expect(await schemaExists(app, tenant.schemaName)).toBe(true);

    const twice = await app.gql(ArchiveTenantDocument, { id: tenant.id });
    expect(twice.errors![0].extensions).toMatchObject({ code: 'CONFLICT', status: 'ARCHIVED' });
  });

  it('deletes a tenant: schema and row gone; a failed backup deletes nothing', async () => {
    const tenant = await app.createTenant('doomed');
    const failedBackup = await app.gql(DeleteTenantDocument, { id: tenant.id, backup: true });
    expect(failedBackup.errors![0].extensions).toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
      reason: 'BACKUP_FAILED',
    });
    expect(await schemaExists(app, tenant.schemaName)).toBe(true);

    const deleted = await app.gql(DeleteTenantDocument, { id: tenant.id });
    expect(deleted.data!.deleteTenant).toEqual({ deleted: true, backupPath: null });
    expect(await schemaExists(app, tenant.schemaName)).toBe(false);
    const after = await app.gql(CustomersDocument, {}, { org: 'doomed' });
    expect(after.errors![0].extensions.code).toBe('NOT_FOUND');
    const again = await app.gql(DeleteTenantDocument, { id: tenant.id });
    expect(again.errors![0].extensions.code).toBe('NOT_FOUND');
  });

  it('refuses a blank name and creates nothing; of concurrent deletes of one tenant only one succeeds', async () => {
    const blank = await app.gql(CreateTenantDocument, { input: { name: '   ', slug: 'blank-name' } });
    expect(refusal(blank)).toMatchObject(blankRefused('name'));
    expect((await app.gql(TenantsDocument, {})).data!.tenants.map((t) => t.slug)).not.toContain('blank-name');

    const raced = await app.gql(CreateTenantDocument, { input: { name: 'Raced', slug: 'raced' } });
    const { id } = raced.data!.createTenant;
    const answers = await Promise.all(Array.from({ length: 3 }, () => app.gql(DeleteTenantDocument, { id })));
    expect(answers.filter((a) => a.data?.deleteTenant?.deleted)).toHaveLength(1);
    expect(answers.filter((a) => refusal(a)?.code === 'NOT_FOUND')).toHaveLength(2);
  });
});
