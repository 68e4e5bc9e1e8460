import { Client } from 'pg';
import { CreateApiKeyDocument, CustomersDocument, PlansDocument } from '../../../test/generated/graphql';
import { signUp, type TestAccount } from '../../../test/support/accounts';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCode } from './plan-code';

const DAY_MS = 86_400_000;

/** Statements sent to PostgreSQL whose text mentions the usage counters, while `work` runs. */
async function counterStatements(work: () => Promise<void>): Promise<number> {
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let statements = 0;
  proto.query = function (this: Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    if (text?.includes('usage_counters')) statements++;
    return original.apply(this, args);
  };
  try {
    await work();
  } finally {
    proto.query = original;
  }
  return statements;
}

describe('API call metering (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let owner: TestAccount;
  beforeAll(async () => {
    // Flushes happen when the test says so, not on a timer.
    app = await startTestApp({ USAGE_FLUSH_SECONDS: '3600' });
    owner = await signUp(app, 'owner@metered.example', 'Metered Ltd');
  });
  afterAll(() => app.close());

  const apiCalls = async (tenantId: string): Promise<number | undefined> => {
    const [row] = await app.dataSource.query(
      `SELECT used FROM public.usage_counters WHERE tenant_id = $1 AND metric = 'api_calls'`,
      [tenantId],
    );
    return row ? Number(row.used) : undefined;
  };

  it('counts N requests as exactly N api_calls, written in one statement instead of one per request', async () => {
    const asOwner = { bearer: owner.token, org: owner.tenant.slug };
    const N = 25;
    const during = await counterStatements(async () => {
      for (let i = 0; i < N; i++)
        expect((await app.gql(CustomersDocument, { first: 5 }, asOwner)).errors).toBeUndefined();
      // Not metered: the platform admin's support work, and requests for no organization.
      await app.gql(CustomersDocument, { first: 5 }, { org: owner.tenant.slug });
      await app.gql(PlansDocument, {}, { bearer: owner.token });
    });
    expect(during).toBe(0);
    expect(await apiCalls(owner.tenant.id)).toBeUndefined();
    expect(app.services.apiCalls.unwritten(owner.tenant.id)).toBe(N);

    const flushing = await counterStatements(() => app.services.apiCalls.flush());
    expect(flushing).toBe(1);
    expect(await apiCalls(owner.tenant.id)).toBe(N);
    expect(app.services.apiCalls.unwritten(owner.tenant.id)).toBe(0);

    await app.gql(CustomersDocument, { first: 5 }, asOwner);
    await app.services.apiCalls.flush();
    expect(await apiCalls(owner.tenant.id)).toBe(N + 1);
  });

  it("refuses a tenant's API keys once a write shows its monthly api_calls used up, keeps members in, and lets keys back when the plan allows more", async () => {
    const account = await signUp(app, 'owner@capped.example', 'Capped Ltd');
    const org = { bearer: account.token, org: account.tenant.slug };
    const created = await app.gql(CreateApiKeyDocument, { input: { name: 'sync', scopes: ['customers:read'] } }, org);
    const key = { admin: false, headers: { 'x-api-key': created.data!.createApiKey.secret } };
    await app.dataSource.transaction((em) =>
      app.services.plans.activatePlan(em, account.tenant.id, PlanCode.STARTER, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
    await app.services.planCatalog.setLimit(PlanCode.STARTER, 'api_calls', 3);
    try {
      await app.services.apiCalls.flush(); // the createApiKey call above
      for (let i = 0; i < 2; i++) expect((await app.gql(CustomersDocument, {}, key)).errors).toBeUndefined();
      await app.services.apiCalls.flush();
      expect(await apiCalls(account.tenant.id)).toBe(3);

      const refused = await app.gql(CustomersDocument, {}, key);
      expect(refused.errors![0].extensions).toEqual({
        code: 'LIMIT_EXCEEDED',
        feature: 'api_calls',
        limit: 3,
        used: 3,
        upgradeUrl: 'http://localhost:3000/billing/upgrade?feature=api_calls',
      });
      expect((await app.gql(CustomersDocument, {}, org)).errors).toBeUndefined();
      // Crossing 80% (here: reaching 3 of 3) queued the owner's warning with the write.
      const [warning] = await app.dataSource.query(
        `SELECT to_address FROM public.email_outbox WHERE idempotency_key LIKE $1`,
        [`usage-warning:${account.tenant.id}:api_calls:%`],
      );
      expect(warning).toEqual({ to_address: 'owner@capped.example' });

      await app.services.planCatalog.setLimit(PlanCode.STARTER, 'api_calls', 100);
      await app.services.apiCalls.flush();
      expect((await app.gql(CustomersDocument, {}, key)).errors).toBeUndefined();
    } finally {
      await app.services.planCatalog.setLimit(PlanCode.STARTER, 'api_calls', 100_000);
    }
  });
});
