import {
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateProductDocument,
  GenerateQuoteDocument,
  QuotesDocument,
  UpdateTenantSettingsDocument,
  type CreateProductInput,
  type GenerateQuoteInput,
} from '../../../test/generated/graphql';
import { FAKE_LLM_KEY, startFakeLlm, type FakeLlm } from '../../../test/support/fake-llm';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { PlanCode } from '../plans';

/** Each part (comma, "and") is one line; own products win ties; stated numbers are quantities. */
const REQUEST =
  'Install Cat6 cabling for office: 50 metres of Cat6 cable, 3 wireless access points and 2.5 hours of installation labour';

interface Catalog {
  ownCable: string;
  resoldCable: string;
  accessPoint: string;
  inactiveAccessPoint: string;
  labour: string;
}

describe('generateQuote (through HTTP, real PostgreSQL, a local stand-in for the LLM)', () => {
  let app: TestApp;
  let llm: FakeLlm;
  const catalogs: Record<string, Catalog> = {};
  const customers: Record<string, string> = {};

  const product = async (org: string, input: Partial<CreateProductInput> & { name: string; sku: string }) => {
    const res = await app.gql(
      CreateProductDocument,
      { input: { unitPrice: '1.00', currency: 'NPR', ...input } },
      { org },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createProduct.id;
  };

  /** The same catalog shape in every organization; the resold cable is created first and sorts first by SKU. */
  const stockCatalog = async (org: string): Promise<Catalog> => {
    const resoldCable = await product(org, {
      name: 'Cat6 cable',
      sku: 'A-CAB',
      unitPrice: '0.40',
      unit: 'metre',
      isOwnProduct: false,
    });
    const ownCable = await product(org, { name: 'Cat6 cable', sku: 'Z-CAB', unitPrice: '0.50', unit: 'metre' });
    const inactiveAccessPoint = await product(org, {
      name: 'Wireless access point',
      sku: 'AA-AP',
      unitPrice: '99.00',
      active: false,
    });
    const accessPoint = await product(org, {
      name: 'Wireless access point',
      sku: 'AP-1',
      unitPrice: '120.00',
      unit: 'piece',
    });
    const labour = await product(org, {
      name: 'Network installation labour',
      sku: 'LAB-1',
      unitPrice: '25.00',
      unit: 'hour',
    });
    await product(org, { name: 'Cat6 cable', sku: 'USD-CAB', unitPrice: '0.01', currency: 'USD' });
    await product(org, { name: 'Ergonomic desk chair', sku: 'CHAIR', unitPrice: '80.00' });
    return { ownCable, resoldCable, accessPoint, inactiveAccessPoint, labour };
  };

  const generate = (org: string, patch: Partial<GenerateQuoteInput> = {}) =>
    app.gql(
      GenerateQuoteDocument,
      {
        input: {
          customerId: customers[org],
          customerRequest: REQUEST,
          quoteTitle: 'Office network',
          currency: 'NPR',
          ...patch,
        },
      },
      { org },
    );
  const generated = async (org: string, patch: Partial<GenerateQuoteInput> = {}) => {
    const res = await generate(org, patch);
    expect(res.errors).toBeUndefined();
    return res.data!.generateQuote;
  };
  const linesOf = (result: Awaited<ReturnType<typeof generated>>) =>
    result.quote.lineItems.map((l) => [l.productId, l.quantity]);
  const matcherLines = (c: Catalog) => [
    [c.ownCable, '50.000'],
    [c.accessPoint, '3.000'],
    [c.labour, '2.500'],
  ];

  beforeAll(async () => {
    llm = await startFakeLlm();
    app = await startTestApp({ ...llm.env, LLM_TIMEOUT_MS: '300' });
    const free = await app.createTenant('gen-free');
    const pro = await app.createTenant('gen-pro');
    await app.createTenant('gen-other');
    await app.dataSource.transaction(async (em) => {
      await app.services.plans.cancelToFree(em, free.id);
      await app.services.plans.activatePlan(em, pro.id, PlanCode.PROFESSIONAL, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * 86_400_000),
      });
    });
    for (const org of ['gen-free', 'gen-pro', 'gen-other']) {
      catalogs[org] = await stockCatalog(org);
      customers[org] = (
        await app.gql(CreateCustomerDocument, { input: { name: `Buyer of ${org}` } }, { org })
      ).data!.createCustomer.id;
    }
  });
  afterAll(async () => {
    await app.close();
    await llm.close();
  });

  it('FREE plan: the matcher drafts one line per part, own product first, stated quantities, catalog prices; the LLM is not called', async () => {
    await app.gql(
      UpdateTenantSettingsDocument,
      { input: { currency: 'NPR', timezone: 'Asia/Kathmandu' } },
      { org: 'gen-free' },
    );
    const result = await generated('gen-free', { currency: null });
    expect(result).toMatchObject({ generatedBy: 'MATCHER', fallbackReason: 'FEATURE_NOT_IN_PLAN' });
    expect(linesOf(result)).toEqual(matcherLines(catalogs['gen-free']));
    expect(result.quote).toMatchObject({
      status: 'DRAFT',
      currency: 'NPR',
      title: 'Office network',
      subtotal: '447.50',
      total: '447.50',
    });
    expect(result.quote.lineItems.map((l) => [l.description, l.unitPrice])).toEqual([
      ['Cat6 cable', '0.50'],
      ['Wireless access point', '120.00'],
      ['Network installation labour', '25.00'],
    ]);
    // 30 days from today on the organization's calendar.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kathmandu' }).format(new Date());
    expect(Date.parse(result.quote.validUntil) - Date.parse(today)).toBe(30 * 86_400_000);
    expect(llm.calls).toHaveLength(0);
  });

  it('is deterministic, and without a stated number the quantity is 1', async () => {
    const again = await generated('gen-free');
    const thrice = await generated('gen-free');
    expect(linesOf(again)).toEqual(matcherLines(catalogs['gen-free']));
    expect(linesOf(thrice)).toEqual(linesOf(again));
    const plain = await generated('gen-free', { customerRequest: 'access point; cat6 cable x 1,000' });
    expect(linesOf(plain)).toEqual([
      [catalogs['gen-free'].accessPoint, '1.000'],
      [catalogs['gen-free'].ownCable, '1000.000'],
    ]);
  });

  it('answers NO_MATCHING_PRODUCTS and writes nothing when no active product in the currency matches', async () => {
    const before = (await app.gql(QuotesDocument, {}, { org: 'gen-pro' })).data!.quotes.totalCount;
    for (const patch of [{ customerRequest: 'Espresso machine descaling' }, { currency: 'EUR' }]) {
      const res = await generate('gen-pro', patch);
      expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NO_MATCHING_PRODUCTS' });
    }
    expect((await app.gql(QuotesDocument, {}, { org: 'gen-pro' })).data!.quotes.totalCount).toBe(before);
    expect(llm.calls).toHaveLength(0);
  });

  it("PROFESSIONAL: the LLM's valid JSON is used; it was sent the key and only this organization's matching products", async () => {
    const pro = catalogs['gen-pro'];
    llm.replyJson({
      lineItems: [
        { productId: pro.accessPoint, quantity: 4, description: 'Ceiling-mounted AP' },
        { productId: pro.resoldCable, quantity: '120.5' },
      ],
    });
    const result = await generated('gen-pro');
    expect(result).toMatchObject({ generatedBy: 'LLM', fallbackReason: null });
    expect(result.quote.lineItems.map((l) => [l.productId, l.quantity, l.description, l.total])).toEqual([
      [pro.accessPoint, '4.000', 'Ceiling-mounted AP', '480.00'],
      [pro.resoldCable, '120.500', 'Cat6 cable', '48.20'],
    ]);

    const call = llm.calls.at(-1)!;
    expect(call.headers.authorization).toBe(`Bearer ${FAKE_LLM_KEY}`);
    expect(call.body).toMatchObject({ model: 'fake-model', response_format: { type: 'json_object' } });
    expect(call.prompt).toContain(REQUEST);
    for (const id of [pro.ownCable, pro.resoldCable, pro.accessPoint, pro.labour]) expect(call.prompt).toContain(id);
    // Not offered: inactive, other currency or not matching, and nothing of the other organizations.
    expect(call.prompt).not.toContain(pro.inactiveAccessPoint);
    expect(call.prompt).not.toMatch(/USD-CAB|CHAIR/);
    for (const org of ['gen-free', 'gen-other'])
      for (const id of Object.values(catalogs[org])) expect(call.prompt).not.toContain(id);
    expect(call.prompt).not.toContain(FAKE_LLM_KEY);
  });

  it.each([
    [
      'prose instead of JSON',
      () => llm.behave({ kind: 'reply', content: 'Sure! 3 access points and some cable.' }),
      'LLM_INVALID_OUTPUT',
    ],
    [
      'JSON of the wrong shape',
      () => llm.replyJson({ lineItems: [{ productId: catalogs['gen-pro'].accessPoint, quantity: -1 }] }),
      'LLM_INVALID_OUTPUT',
    ],
    ['no lines', () => llm.replyJson({ lineItems: [] }), 'LLM_INVALID_OUTPUT'],
    ['an HTTP error', () => llm.behave({ kind: 'http-error', status: 503 }), 'LLM_UNAVAILABLE'],
    ['no answer within LLM_TIMEOUT_MS', () => llm.behave({ kind: 'hang' }), 'LLM_TIMEOUT'],
    [
      "another organization's product",
      () => llm.replyJson({ lineItems: [{ productId: catalogs['gen-other'].accessPoint, quantity: 1 }] }),
      'LLM_UNKNOWN_PRODUCT',
    ],
    [
      'an inactive product',
      () => llm.replyJson({ lineItems: [{ productId: catalogs['gen-pro'].inactiveAccessPoint, quantity: 1 }] }),
      'LLM_UNKNOWN_PRODUCT',
    ],
  ])('falls back to the matcher on %s', async (_case, arrange, reason) => {
    arrange();
    const calls = llm.calls.length;
    const result = await generated('gen-pro');
    expect(llm.calls).toHaveLength(calls + 1);
    expect(result).toMatchObject({ generatedBy: 'MATCHER', fallbackReason: reason });
    expect(linesOf(result)).toEqual(matcherLines(catalogs['gen-pro']));
  });

  it('checks the caller before anything runs: a key without quotes:write is FORBIDDEN, nothing written, the model not asked', async () => {
    const created = await app.gql(
      CreateApiKeyDocument,
      { input: { name: 'reader', scopes: ['quotes:read', 'customers:read'] } },
      { org: 'gen-pro' },
    );
    expect(created.errors).toBeUndefined();
    const before = (await app.gql(QuotesDocument, { first: 1 }, { org: 'gen-pro' })).data!.quotes.totalCount;
    const calls = llm.calls.length;
    const res = await app.gql(
      GenerateQuoteDocument,
      { input: { customerId: customers['gen-pro'], customerRequest: REQUEST, quoteTitle: 'Nope', currency: 'NPR' } },
      { admin: false, headers: { 'x-api-key': created.data!.createApiKey.secret } },
    );
    expect(res.errors![0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'MISSING_SCOPE',
      requiredScope: 'quotes:write',
    });
    expect(llm.calls).toHaveLength(calls);
    expect((await app.gql(QuotesDocument, { first: 1 }, { org: 'gen-pro' })).data!.quotes.totalCount).toBe(before);
  });

  it('holds no database transaction while it waits for the model', async () => {
    llm.behave({ kind: 'hang' });
    const calls = llm.calls.length;
    const pending = generated('gen-pro');
    while (llm.calls.length === calls) await new Promise((resolve) => setTimeout(resolve, 5));
    const [{ open }] = await app.dataSource.query(
      `SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(open).toBe(0);
    expect(await pending).toMatchObject({ generatedBy: 'MATCHER', fallbackReason: 'LLM_TIMEOUT' });
  });

  it("keeps organizations apart: only the caller's catalog is proposed, another's customer is NOT_FOUND", async () => {
    const own = new Set(Object.values(catalogs['gen-free']));
    const result = await generated('gen-free');
    expect(result.quote.lineItems.every((l) => own.has(l.productId!))).toBe(true);
    const foreign = await generate('gen-other', { customerId: customers['gen-free'] });
    expect(foreign.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Customer' });
  });
});
