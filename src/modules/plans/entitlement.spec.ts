import { createServices } from '../../app/services';
import { openDatabase, type Database } from '../../app/database';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import { createLogger } from '../../core/logging/logger';
import {
  AcceptInvitationDocument,
  CreateCustomerDocument,
  CurrentUsageDocument,
  DeleteCustomerDocument,
  EntitlementDocument,
  InviteMemberDocument,
  RemoveMemberDocument,
} from '../../../test/generated/graphql';
import { addMember, invitationToken, signUp } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCode } from './plan-code';

const DAY_MS = 86_400_000;
const UPGRADE = 'http://localhost:3000/billing/upgrade';

describe('plan limits and features (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const onPlan = (tenantId: string, plan: PlanCode) =>
    app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, tenantId, plan, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
  const counter = async (tenantId: string, metric: string): Promise<number | undefined> => {
    const [row] = await app.dataSource.query(
      'SELECT used FROM public.usage_counters WHERE tenant_id = $1 AND metric = $2',
      [tenantId, metric],
    );
    return row ? Number(row.used) : undefined;
  };
  const customersIn = async (schema: string): Promise<number> =>
    (await app.dataSource.query(`SELECT count(*)::int AS n FROM "${schema}".customers`))[0].n;

  it('lets exactly 5 of 50 parallel createCustomer calls through on FREE (limit 5); the 45 others get LIMIT_EXCEEDED', async () => {
    const tenant = await app.createTenant('crowd');
    await onPlan(tenant.id, PlanCode.FREE);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.gql(CreateCustomerDocument, { input: { name: `Customer ${i}` } }, { org: 'crowd' }),
      ),
    );
    const created = results.filter((r) => r.data?.createCustomer);
    const refused = results.filter((r) => r.errors?.[0].extensions.code === 'LIMIT_EXCEEDED');
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(45);
    for (const r of refused) {
      expect(r.errors![0].extensions).toEqual({
        code: 'LIMIT_EXCEEDED',
        feature: 'customers',
        limit: 5,
        used: 5,
        upgradeUrl: `${UPGRADE}?feature=customers`,
      });
    }
    expect(await customersIn(tenant.schemaName)).toBe(5);
    expect(await counter(tenant.id, 'customers')).toBe(5);
  });

  it('frees a slot when a customer is deleted, and a create that fails takes none', async () => {
    const tenant = await app.createTenant('slots');
    await onPlan(tenant.id, PlanCode.FREE);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push(
        (
          await app.gql(
            CreateCustomerDocument,
            { input: { name: `C${i}`, email: `c${i}@example.com` } },
            { org: 'slots' },
          )
        ).data!.createCustomer.id,
      );
    // A duplicate email fails after the count was taken: the transaction, count included, rolls back.
    const duplicate = await app.gql(
      CreateCustomerDocument,
      { input: { name: 'Dup', email: 'c0@example.com' } },
      { org: 'slots' },
    );
    expect(duplicate.errors![0].extensions.code).toBe('CONFLICT');
    expect(await counter(tenant.id, 'customers')).toBe(4);

    expect(
      (await app.gql(CreateCustomerDocument, { input: { name: 'Fifth' } }, { org: 'slots' })).data!.createCustomer,
    ).toBeTruthy();
    const sixth = await app.gql(CreateCustomerDocument, { input: { name: 'Sixth' } }, { org: 'slots' });
    expect(sixth.errors![0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 5, used: 5 });

    expect((await app.gql(DeleteCustomerDocument, { id: ids[0] }, { org: 'slots' })).errors).toBeUndefined();
    expect(await counter(tenant.id, 'customers')).toBe(4);
    const again = await app.gql(CreateCustomerDocument, { input: { name: 'Sixth' } }, { org: 'slots' });
    expect(again.errors).toBeUndefined();
    expect(await customersIn(tenant.schemaName)).toBe(5);
  });

  it('never passes a monthly limit across two API processes (separate pools on one database), and never gives it back', async () => {
    const tenant = await app.createTenant('monthly');
    await onPlan(tenant.id, PlanCode.FREE); // invoices: 10 a month
    // A second "process": its own configuration, pool and services on the same database.
    const second: Database = await openDatabase(app.config, createLogger('silent'));
    try {
      const secondServices = createServices(app.config, second.dataSource, app.databaseUrl);
      const attempts = [app.services, secondServices].flatMap((services) =>
        Array.from({ length: 30 }, () =>
          runInTenantScope(services.dataSource, { id: tenant.id }, (em) =>
            services.entitlements.consume(em, tenant.id, 'invoices'),
          ),
        ),
      );
      const results = await Promise.allSettled(attempts);
      const granted = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter(
        (r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'LIMIT_EXCEEDED',
      );
      expect(granted).toHaveLength(10);
      expect(refused).toHaveLength(50);
      expect(await counter(tenant.id, 'invoices')).toBe(10);
      const [{ period }] = await app.dataSource.query(
        `SELECT period_start::text AS period FROM public.usage_counters WHERE tenant_id = $1 AND metric = 'invoices'`,
        [tenant.id],
      );
      expect(period).toBe(`${new Date().toISOString().slice(0, 7)}-01`);

      // Monthly metrics keep what was used.
      await runInTenantScope(app.dataSource, { id: tenant.id }, (em) =>
        app.services.entitlements.release(em, tenant.id, 'invoices'),
      );
      expect(await counter(tenant.id, 'invoices')).toBe(10);
    } finally {
      await second.close();
    }
  });

  it('gives the count back when the transaction that took it rolls back', async () => {
    const tenant = await app.createTenant('rollback');
    const failing = runInTenantScope(app.dataSource, { id: tenant.id }, async (em) => {
      await app.services.entitlements.consume(em, tenant.id, 'quotes', 3);
      throw new Error('the quote could not be saved');
    });
    await expect(failing).rejects.toThrow('the quote could not be saved');
    expect(await counter(tenant.id, 'quotes')).toBeUndefined();
  });

  it('requires PROFESSIONAL for a PROFESSIONAL feature: STARTER gets PLAN_UPGRADE_REQUIRED with the upgrade URL', async () => {
    const starter = await app.createTenant('starter-co');
    const professional = await app.createTenant('pro-co');
    await onPlan(starter.id, PlanCode.STARTER);
    await onPlan(professional.id, PlanCode.PROFESSIONAL);
    const require = (tenantId: string) =>
      runInTenantScope(app.dataSource, { id: tenantId }, (em) =>
        app.services.entitlements.requireFeature(em, tenantId, 'ai_quote_generation'),
      );

    await expect(require(professional.id)).resolves.toBeUndefined();
    await expect(require(starter.id)).rejects.toMatchObject({
      code: 'PLAN_UPGRADE_REQUIRED',
      details: {
        feature: 'ai_quote_generation',
        requiredPlan: 'PROFESSIONAL',
        upgradeUrl: `${UPGRADE}?feature=ai_quote_generation`,
      },
    });
    // STARTER has the WhatsApp channel.
    await expect(
      runInTenantScope(app.dataSource, { id: starter.id }, (em) =>
        app.services.entitlements.requireFeature(em, starter.id, 'whatsapp_channel'),
      ),
    ).resolves.toBeUndefined();

    const asked = (org: string) => app.gql(EntitlementDocument, { feature: 'ai_quote_generation' }, { org });
    expect((await asked('starter-co')).data!.entitlement).toEqual({
      feature: 'ai_quote_generation',
      allowed: false,
      limit: null,
      used: null,
      remaining: null,
      resetsAt: null,
      upgradeUrl: `${UPGRADE}?feature=ai_quote_generation`,
    });
    expect((await asked('pro-co')).data!.entitlement.allowed).toBe(true);
  });

  it('answers entitlement for metrics (used, remaining, reset) and refuses unknown names', async () => {
    const tenant = await app.createTenant('metered');
    await onPlan(tenant.id, PlanCode.FREE);
    await app.gql(CreateCustomerDocument, { input: { name: 'One' } }, { org: 'metered' });
    const customers = await app.gql(EntitlementDocument, { feature: 'customers' }, { org: 'metered' });
    expect(customers.data!.entitlement).toMatchObject({
      feature: 'customers',
      allowed: true,
      limit: 5,
      used: 1,
      remaining: 4,
      resetsAt: null,
    });

    await runInTenantScope(app.dataSource, { id: tenant.id }, (em) =>
      app.services.entitlements.consume(em, tenant.id, 'invoices', 10),
    );
    const invoices = await app.gql(EntitlementDocument, { feature: 'invoices' }, { org: 'metered' });
    const now = new Date();
    expect(invoices.data!.entitlement).toMatchObject({
      allowed: false,
      limit: 10,
      used: 10,
      remaining: 0,
      resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
    });

    const unknown = await app.gql(EntitlementDocument, { feature: 'teleportation' }, { org: 'metered' });
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_FEATURE' });
  });

  it('mails each OWNER once when a limit is 80% used, in the month it happens', async () => {
    const owner = await signUp(app, 'owner@warned.example', 'Warned Ltd');
    await onPlan(owner.tenant.id, PlanCode.FREE); // customers: 5, so the 4th crosses 80%
    const create = (name: string) =>
      app.gql(CreateCustomerDocument, { input: { name } }, { bearer: owner.token, org: owner.tenant.slug });
    const warnings = () =>
      app.dataSource.query(`SELECT to_address, subject, text FROM public.email_outbox WHERE idempotency_key LIKE $1`, [
        `usage-warning:${owner.tenant.id}:%`,
      ]);

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(`C${i}`)).data!.createCustomer.id);
    expect(await warnings()).toHaveLength(0);
    await create('C3');
    const [mail, ...more] = await warnings();
    expect(more).toHaveLength(0);
    expect(mail.to_address).toBe('owner@warned.example');
    expect(mail.subject).toContain('80% of its customers');
    expect(mail.text).toContain(`${UPGRADE}?feature=customers`);

    // Dropping below and crossing again in the same month sends nothing more.
    await app.gql(DeleteCustomerDocument, { id: ids[0] }, { bearer: owner.token, org: owner.tenant.slug });
    await create('C4');
    await create('C5');
    expect(await warnings()).toHaveLength(1);
  });

  it('counts members who join by invitation against team_members, and frees the slot when one is removed', async () => {
    const owner = await signUp(app, 'owner@team.example', 'Team Ltd');
    const [ann, ben, cat] = await Promise.all(
      ['ann', 'ben', 'cat'].map((name) => signUp(app, `${name}@team.example`, `${name} own org`)),
    );
    await onPlan(owner.tenant.id, PlanCode.FREE); // team_members: 2 (the creator is not counted)
    const asOwner = { bearer: owner.token, org: owner.tenant.slug };
    await addMember(app, owner, ann, 'MEMBER');
    await addMember(app, owner, ben, 'VIEWER');

    const invited = await app.gql(InviteMemberDocument, { email: cat.email, role: 'MEMBER' }, asOwner);
    const token = await invitationToken(app, invited.data!.inviteMember.id);
    const refused = await app.gql(AcceptInvitationDocument, { token }, { bearer: cat.token });
    expect(refused.errors![0].extensions).toEqual({
      code: 'LIMIT_EXCEEDED',
      feature: 'team_members',
      limit: 2,
      used: 2,
      upgradeUrl: `${UPGRADE}?feature=team_members`,
    });

    expect((await app.gql(RemoveMemberDocument, { userId: ann.userId }, asOwner)).errors).toBeUndefined();
    // The refused acceptance rolled back: the same link works once a slot is free.
    expect((await app.gql(AcceptInvitationDocument, { token }, { bearer: cat.token })).errors).toBeUndefined();
    const usage = await app.gql(CurrentUsageDocument, {}, asOwner);
    expect(usage.data!.usage.teamMembersAdded).toMatchObject({ used: 2, limit: 2, remaining: 0 });
  });

  it('reports usage with limits and periods for the organization', async () => {
    const account = await signUp(app, 'viewer@usage.example', 'Usage Inc');
    await app.gql(
      CreateCustomerDocument,
      { input: { name: 'A' } },
      { bearer: account.token, org: account.tenant.slug },
    );
    const usage = await app.gql(CurrentUsageDocument, {}, { bearer: account.token, org: account.tenant.slug });
    expect(usage.errors).toBeUndefined();
    const monthStart = `${new Date().toISOString().slice(0, 7)}-01T00:00:00.000Z`;
    // New organizations are on their PROFESSIONAL trial.
    expect(usage.data!.usage.customersCreated).toEqual({
      metric: 'customers',
      used: 1,
      limit: 10_000,
      remaining: 9_999,
      period: 'CURRENT',
      periodStart: null,
      resetsAt: null,
    });
    expect(usage.data!.usage.invoicesCreated).toMatchObject({
      metric: 'invoices',
      used: 0,
      limit: 10_000,
      period: 'MONTHLY',
      periodStart: monthStart,
    });
    expect(usage.data!.usage.teamMembersAdded).toMatchObject({ metric: 'team_members', used: 0, limit: 25 });
    expect(Object.keys(usage.data!.usage).sort()).toEqual([
      'apiCallsUsed',
      'customersCreated',
      'invoicesCreated',
      'quotesCreated',
      'teamMembersAdded',
      'ticketsCreated',
    ]);

    const anonymous = await app.gql(CurrentUsageDocument, {}, { admin: false, org: account.tenant.slug });
    expect(anonymous.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });
});
