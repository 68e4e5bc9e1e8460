import {
  CreateCustomerDocument,
  CurrentSubscriptionDocument,
  PlanLimitsDocument,
  PlansDocument,
  SetPlanFeatureDocument,
  SetPlanLimitDocument,
} from '../../../test/generated/graphql';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCatalog } from './plan-catalog';
import { PlanCode, SubscriptionStatus } from './plan-code';

const DAY_MS = 86_400_000;

describe('plans and subscriptions (real PostgreSQL)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const tenantRow = async (id: string) =>
    (await app.dataSource.query('SELECT plan FROM public.tenants WHERE id = $1', [id]))[0];
  const inTransaction = <T>(work: (em: import('typeorm').EntityManager) => Promise<T>) =>
    app.dataSource.transaction(work);

  it('lists the plans with prices, limits and features, to anyone', async () => {
    const res = await app.gql(PlansDocument, {}, { admin: false });
    expect(res.errors).toBeUndefined();
    const plans = res.data!.plans;
    expect(plans.map((p) => p.code)).toEqual(['FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE']);
    const limit = (code: string, metric: string) =>
      plans.find((p) => p.code === code)!.limits.find((l) => l.metric === metric)!.limit;
    const feature = (code: string, name: string) =>
      plans.find((p) => p.code === code)!.features.find((f) => f.feature === name)!.enabled;
    expect([
      limit('FREE', 'invoices'),
      limit('STARTER', 'invoices'),
      limit('FREE', 'customers'),
      limit('ENTERPRISE', 'api_calls'),
    ]).toEqual([10, 1000, 5, null]);
    expect(['FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE'].map((c) => feature(c, 'ai_quote_generation'))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(['FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE'].map((c) => feature(c, 'whatsapp_channel'))).toEqual([
      false,
      true,
      true,
      true,
    ]);
    expect(plans[1]).toMatchObject({ name: 'Starter', monthlyPrice: 2900, currency: 'USD', rank: 1 });

    const free = await app.gql(PlanLimitsDocument, { plan: 'FREE' }, { admin: false });
    expect(free.data!.planLimits).toContainEqual({ metric: 'api_calls', limit: 10_000, period: 'MONTHLY' });
    expect(free.data!.planLimits).toContainEqual({ metric: 'customers', limit: 5, period: 'CURRENT' });
  });

  it('starts new organizations TRIALING on the trial plan, in the provisioning transaction', async () => {
    const before = Date.now();
    const tenant = await app.createTenant('trialist');
    const res = await app.gql(CurrentSubscriptionDocument, {}, { org: 'trialist' });
    const subscription = res.data!.subscription;
    expect(subscription).toMatchObject({ plan: 'PROFESSIONAL', status: 'TRIALING', provider: null });
    const ends = new Date(subscription.trialEndsAt!).getTime();
    expect(ends).toBeGreaterThanOrEqual(before + 14 * DAY_MS);
    expect(ends).toBeLessThanOrEqual(Date.now() + 14 * DAY_MS);
    expect(subscription.currentPeriodEnd).toBe(subscription.trialEndsAt);
    expect(await tenantRow(tenant.id)).toEqual({ plan: 'PROFESSIONAL' });
  });

  it('activates a plan idempotently, keeps tenants.plan in step and ignores a late activation for an older period', async () => {
    const tenant = await app.createTenant('payer');
    const periodStart = new Date('2030-01-01T00:00:00Z');
    const periodEnd = new Date('2030-02-01T00:00:00Z');
    const activate = (plan: PlanCode, start: Date, end: Date) =>
      inTransaction((em) =>
        app.services.plans.activatePlan(em, tenant.id, plan, {
          periodStart: start,
          periodEnd: end,
          provider: 'STRIPE',
          providerRefs: { customerId: 'cus_1', subscriptionId: 'sub_1' },
        }),
      );

    const first = await activate(PlanCode.STARTER, periodStart, periodEnd);
    const again = await activate(PlanCode.STARTER, periodStart, periodEnd);
    for (const s of [first, again]) {
      expect(s).toMatchObject({
        plan: 'STARTER',
        status: 'ACTIVE',
        trialEndsAt: null,
        currentPeriodStart: periodStart,
        currentPeriodEnd: periodEnd,
        provider: 'STRIPE',
        providerCustomerId: 'cus_1',
        providerSubscriptionId: 'sub_1',
      });
    }
    expect(await tenantRow(tenant.id)).toEqual({ plan: 'STARTER' });

    const late = await activate(PlanCode.ENTERPRISE, new Date('2029-12-01T00:00:00Z'), periodStart);
    expect(late).toMatchObject({ plan: 'STARTER', currentPeriodEnd: periodEnd });

    // A renewal without provider ids keeps the ones recorded.
    const renewed = await inTransaction((em) =>
      app.services.plans.activatePlan(em, tenant.id, PlanCode.STARTER, {
        periodStart: periodEnd,
        periodEnd: new Date('2030-03-01T00:00:00Z'),
      }),
    );
    expect(renewed).toMatchObject({
      currentPeriodStart: periodEnd,
      provider: 'STRIPE',
      providerSubscriptionId: 'sub_1',
    });
  });

  it('keeps the plan when past due, and cancels back to FREE with the data kept', async () => {
    const tenant = await app.createTenant('lapsed');
    await inTransaction((em) =>
      app.services.plans.activatePlan(em, tenant.id, PlanCode.STARTER, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
    for (let i = 0; i < 7; i++) await app.gql(CreateCustomerDocument, { input: { name: `C${i}` } }, { org: 'lapsed' });

    expect(await inTransaction((em) => app.services.plans.markPastDue(em, tenant.id))).toMatchObject({
      plan: 'STARTER',
      status: 'PAST_DUE',
    });
    const canceled = await inTransaction((em) => app.services.plans.cancelToFree(em, tenant.id));
    expect(canceled).toMatchObject({ plan: 'FREE', status: SubscriptionStatus.CANCELED, currentPeriodEnd: null });
    expect(await tenantRow(tenant.id)).toEqual({ plan: 'FREE' });
    // A failed payment after the cancellation changes nothing.
    expect(await inTransaction((em) => app.services.plans.markPastDue(em, tenant.id))).toMatchObject({
      status: 'CANCELED',
    });

    // Over FREE's 5 customers: all 7 stay readable, no new one can be created.
    expect((await app.dataSource.query(`SELECT count(*)::int AS n FROM "${tenant.schemaName}".customers`))[0].n).toBe(
      7,
    );
    const more = await app.gql(CreateCustomerDocument, { input: { name: 'Eighth' } }, { org: 'lapsed' });
    expect(more.errors![0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 5, used: 7 });
  });

  it('finds trials ending in a window and trials that have ended', async () => {
    const soon = await app.createTenant('ends-soon');
    const over = await app.createTenant('ended');
    // Every other tenant here is on a fresh 14-day trial: it neither ends within 5 days nor has ended.
    const day = (n: number) => new Date(Date.now() + n * DAY_MS);
    await inTransaction((em) => app.services.plans.startTrial(em, soon.id, PlanCode.STARTER, 3));
    await app.dataSource.query(`UPDATE public.subscriptions SET trial_ends_at = $2 WHERE tenant_id = $1`, [
      over.id,
      day(1),
    ]);

    const ending = await app.services.plans.tenantsWithTrialEndingBetween(day(2.5), day(3.5));
    expect(ending.map((s) => [s.tenantId, s.plan])).toEqual([[soon.id, 'STARTER']]);
    expect(await app.services.plans.expiredTrials(day(0.5))).toEqual([]);
    expect((await app.services.plans.expiredTrials(day(2))).map((s) => s.tenantId)).toEqual([over.id]);
  });

  it('applies a changed limit or feature at once in this process (platform admins only)', async () => {
    const tenant = await app.createTenant('tight');
    await inTransaction((em) =>
      app.services.plans.activatePlan(em, tenant.id, PlanCode.STARTER, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
    const changed = await app.gql(SetPlanLimitDocument, { plan: 'STARTER', metric: 'customers', limit: 1 });
    expect(changed.data!.setPlanLimit.limits).toContainEqual({ metric: 'customers', limit: 1 });
    expect(
      (await app.gql(CreateCustomerDocument, { input: { name: 'Only' } }, { org: 'tight' })).errors,
    ).toBeUndefined();
    const second = await app.gql(CreateCustomerDocument, { input: { name: 'Second' } }, { org: 'tight' });
    expect(second.errors![0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 1 });

    await app.gql(SetPlanLimitDocument, { plan: 'STARTER', metric: 'customers', limit: null });
    expect(
      (await app.gql(CreateCustomerDocument, { input: { name: 'Second' } }, { org: 'tight' })).errors,
    ).toBeUndefined();
    const feature = await app.gql(SetPlanFeatureDocument, { plan: 'FREE', feature: 'api_access', enabled: true });
    expect(feature.data!.setPlanFeature.features).toContainEqual({ feature: 'api_access', enabled: true });

    const bad = await app.gql(SetPlanLimitDocument, { plan: 'STARTER', metric: 'nonsense', limit: 1 });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_METRIC' });
    const anonymous = await app.gql(
      SetPlanLimitDocument,
      { plan: 'STARTER', metric: 'customers', limit: 0 },
      { admin: false },
    );
    expect(anonymous.errors![0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('caches the catalogue: one read per TTL, and other writers are seen once it expires', async () => {
    let clock = 0;
    let reads = 0;
    const db = {
      query: (sql: string, parameters?: unknown[]) => (
        (reads += sql.includes('FROM public.plans') ? 1 : 0),
        app.dataSource.query(sql, parameters)
      ),
    };
    const catalog = new PlanCatalog(db, 30_000, () => clock);
    await Promise.all([catalog.plans(), catalog.plans(), catalog.plan(PlanCode.FREE)]);
    expect(reads).toBe(1);

    // Another process changes a limit: this one keeps its copy until the TTL runs out.
    await app.dataSource.query(
      `UPDATE public.plan_limits SET limit_value = 11 WHERE plan = 'FREE' AND metric = 'invoices'`,
    );
    expect((await catalog.plan(PlanCode.FREE)).limits.invoices).toBe(10);
    clock = 30_001;
    expect((await catalog.plan(PlanCode.FREE)).limits.invoices).toBe(11);
    expect(reads).toBe(2);
    await app.dataSource.query(
      `UPDATE public.plan_limits SET limit_value = 10 WHERE plan = 'FREE' AND metric = 'invoices'`,
    );
  });
});
