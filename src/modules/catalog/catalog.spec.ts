import {
  CreateProductDocument,
  OnboardingStatusDocument,
  ProductByIdDocument,
  ProductsDocument,
  UpdateProductDocument,
  type CreateProductInput,
} from '../../../test/generated/graphql';
import { blankRefused, nullRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('catalog (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  const cable = {
    name: 'Cat6 cable',
    sku: 'CAB-6',
    unitPrice: '0.1',
    currency: 'NPR',
    unit: 'metre',
    taxRate: '13.125',
  };

  beforeAll(async () => {
    app = await startTestApp();
    await app.createTenant('shop-a');
    await app.createTenant('shop-b');
  });
  afterAll(() => app.close());

  const create = (input: CreateProductInput, org = 'shop-a') => app.gql(CreateProductDocument, { input }, { org });

  it('creates, reads and updates a product with exact decimal strings; the first one ticks onboarding', async () => {
    const step = async () =>
      (await app.gql(OnboardingStatusDocument, {}, { org: 'shop-a' })).data!.onboardingStatus.steps.find(
        (s) => s.key === 'add-first-product',
      )!;
    expect((await step()).completed).toBe(false);

    const created = await create({ ...cable, description: 'Shielded twisted pair' });
    expect(created.errors).toBeUndefined();
    const product = created.data!.createProduct;
    expect(product).toMatchObject({
      unitPrice: '0.10',
      taxRate: '13.125',
      currency: 'NPR',
      unit: 'metre',
      isOwnProduct: true,
      active: true,
    });
    expect((await step()).completed).toBe(true);

    const updated = await app.gql(
      UpdateProductDocument,
      { id: product.id, input: { unitPrice: '1234567.89', isOwnProduct: false, description: null } },
      { org: 'shop-a' },
    );
    expect(updated.data!.updateProduct).toMatchObject({
      name: 'Cat6 cable',
      unitPrice: '1234567.89',
      isOwnProduct: false,
      description: null,
    });
    const fetched = await app.gql(ProductByIdDocument, { id: product.id }, { org: 'shop-a' });
    expect(fetched.data!.product).toEqual(updated.data!.updateProduct);
  });

  it('rejects floats, extra decimals, out-of-range money and duplicate SKUs, writing nothing', async () => {
    const cases: [Partial<CreateProductInput>, string][] = [
      [{ unitPrice: '0.105' }, 'TOO_MANY_DECIMALS'],
      [{ unitPrice: '-1' }, 'OUT_OF_RANGE'],
      [{ taxRate: '100.001' }, 'OUT_OF_RANGE'],
      [{ taxRate: '1.2345' }, 'TOO_MANY_DECIMALS'],
    ];
    for (const [patch, reason] of cases) {
      const res = await create({ ...cable, sku: 'BAD-1', ...patch });
      expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    }
    // A JSON number is refused: money never passes through a float.
    const float = await app.gql(
      CreateProductDocument,
      { input: { ...cable, sku: 'BAD-1', unitPrice: 0.1 as unknown as string } },
      { org: 'shop-a' },
    );
    expect(float.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    const currency = await create({ ...cable, sku: 'BAD-1', currency: 'rupees' });
    expect(currency.errors![0].extensions.code).toBe('BAD_USER_INPUT');

    await create({ ...cable, sku: 'DUP-1' });
    const duplicate = await create({ ...cable, sku: 'dup-1' });
    expect(duplicate.errors![0].extensions.code).toBe('CONFLICT');
    const all = await app.gql(ProductsDocument, { first: 100 }, { org: 'shop-a' });
    expect(all.data!.products.edges.map((e) => e.node.sku).filter((s) => /bad|dup/i.test(s))).toEqual(['DUP-1']);
  });

  it('searches name, description and SKU in full text, filters by active and pages with cursors', async () => {
    await app.createTenant('search');
    const inputs = [
      {
        name: 'Network cabling installation',
        sku: 'SRV-NET',
        description: 'Structured cabling for offices',
        active: true,
      },
      { name: 'Patch panel 24 port', sku: 'PP-24', description: 'Rack mounted', active: true },
      { name: 'Wall socket', sku: 'WS-1', description: 'Single RJ45 outlet', active: false },
      { name: 'Fibre splice', sku: 'FIB-9', description: null, active: true },
    ];
    for (const input of inputs) {
      expect((await create({ ...cable, ...input }, 'search')).errors).toBeUndefined();
    }
    const names = async (vars: { search?: string; active?: boolean }) =>
      (await app.gql(ProductsDocument, vars, { org: 'search' })).data!.products.edges.map((e) => e.node.name);

    expect(await names({ search: 'cables' })).toEqual(['Network cabling installation']); // stemmed: cables and cabling share a stem
    expect(await names({ search: 'office' })).toEqual(['Network cabling installation']); // stemmed description
    expect(await names({ search: 'pp-24' })).toEqual(['Patch panel 24 port']); // SKU, case-insensitive
    expect(await names({ search: 'rj45 outlet' })).toEqual(['Wall socket']);
    expect(await names({ search: 'rj45 outlet', active: true })).toEqual([]);
    expect(await names({ search: 'panel fibre' })).toEqual([]); // every word must match
    expect(await names({ active: false })).toEqual(['Wall socket']);

    const first = await app.gql(ProductsDocument, { first: 2, active: true }, { org: 'search' });
    expect(first.data!.products).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    const second = await app.gql(
      ProductsDocument,
      { first: 2, active: true, after: first.data!.products.pageInfo.endCursor },
      { org: 'search' },
    );
    expect(second.data!.products.edges.map((e) => e.node.name)).toEqual(['Fibre splice']);
    expect(second.data!.products.pageInfo.hasNextPage).toBe(false);
  });

  it("keeps tenants apart: B cannot read, list or change A's products", async () => {
    const a = (await create({ ...cable, sku: 'ISO-1', name: 'Isolated router' })).data!.createProduct;
    const read = await app.gql(ProductByIdDocument, { id: a.id }, { org: 'shop-b' });
    expect(read.errors![0].extensions.code).toBe('NOT_FOUND');
    const change = await app.gql(UpdateProductDocument, { id: a.id, input: { name: 'Hijacked' } }, { org: 'shop-b' });
    expect(change.errors![0].extensions.code).toBe('NOT_FOUND');
    const list = await app.gql(ProductsDocument, { search: 'router' }, { org: 'shop-b' });
    expect(list.data!.products.totalCount).toBe(0);
    // The same SKU is free in another tenant.
    expect((await create({ ...cable, sku: 'ISO-1' }, 'shop-b')).errors).toBeUndefined();
    expect((await app.gql(ProductByIdDocument, { id: a.id }, { org: 'shop-a' })).data!.product.name).toBe(
      'Isolated router',
    );
  });

  it('refuses null where a value cannot be empty and blank names; null clears the description', async () => {
    const shopA = { org: 'shop-a' };
    const product = (await create({ ...cable, sku: 'NULL-1', description: 'Kept' })).data!.createProduct;
    const update = (input: Record<string, unknown>) => app.gql(UpdateProductDocument, { id: product.id, input }, shopA);
    for (const property of ['name', 'sku', 'unitPrice', 'currency', 'unit', 'taxRate', 'isOwnProduct', 'active']) {
      expect(refusal(await update({ name: 'Changed', [property]: null }))).toMatchObject(nullRefused(property));
    }
    for (const property of ['name', 'unit']) {
      expect(refusal(await update({ [property]: ' ' }))).toMatchObject(blankRefused(property));
    }
    const stored = (await app.gql(ProductByIdDocument, { id: product.id }, shopA)).data!.product;
    expect(stored).toMatchObject({ name: 'Cat6 cable', sku: 'NULL-1', unit: 'metre', description: 'Kept' });
    expect((await update({ description: null })).data!.updateProduct.description).toBeNull();

    expect(refusal(await create({ ...cable, sku: 'NULL-2', name: '   ' }))).toMatchObject(blankRefused('name'));
    // On create, null is the default.
    const nulls = { unit: null, taxRate: null, isOwnProduct: null, active: null };
    const defaults = await create({ ...cable, sku: 'NULL-3', ...nulls });
    const created = defaults.data!.createProduct;
    expect(created).toMatchObject({ unit: 'unit', taxRate: '0.000', isOwnProduct: true, active: true });
  });
});
