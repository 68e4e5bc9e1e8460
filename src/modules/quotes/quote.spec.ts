import {
  AcceptQuoteDocument,
  CreateCustomerDocument,
  CreateProductDocument,
  CreateQuoteDocument,
  DeleteCustomerDocument,
  QuoteByIdDocument,
  QuoteDocumentDocument,
  QuotesDocument,
  RejectQuoteDocument,
  RestoreQuoteDocumentVersionDocument,
  SendQuoteDocument,
  UpdateQuoteDocument,
  UpdateQuoteDocumentDocument,
  UpdateTenantSettingsDocument,
  type CreateQuoteInput,
  type QuoteLineItemInput,
} from '../../../test/generated/graphql';
import { blankRefused, dateOutOfRange, nullRefused, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('quotes (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let tenantA: { id: string; schemaName: string };
  let customerId: string;
  let productId: string;
  const year = new Date().getUTCFullYear();

  beforeAll(async () => {
    app = await startTestApp();
    tenantA = await app.createTenant('quoter');
    await app.createTenant('other');
    customerId = (
      await app.gql(
        CreateCustomerDocument,
        { input: { name: 'Buyer', email: 'buyer@example.test' } },
        { org: 'quoter' },
      )
    ).data!.createCustomer.id;
    const product = {
      name: 'Cat6 cable',
      sku: 'CAB-6',
      unitPrice: '0.10',
      currency: 'NPR',
      unit: 'metre',
      taxRate: '13',
    };
    productId = (await app.gql(CreateProductDocument, { input: product }, { org: 'quoter' })).data!.createProduct.id;
  });
  afterAll(() => app.close());

  const quoteInput = (lineItems: QuoteLineItemInput[], patch: Partial<CreateQuoteInput> = {}): CreateQuoteInput => ({
    customerId,
    title: 'Office cabling',
    currency: 'NPR',
    validUntil: '2099-12-31',
    lineItems,
    ...patch,
  });
  const createQuote = async (
    lineItems: QuoteLineItemInput[],
    patch: Partial<CreateQuoteInput> = {},
    org = 'quoter',
  ) => {
    const res = await app.gql(CreateQuoteDocument, { input: quoteInput(lineItems, patch) }, { org });
    expect(res.errors).toBeUndefined();
    return res.data!.createQuote;
  };

  it('computes exact totals: 0.1 × 3, catalog defaults, 3-decimal rates, half-up per line', async () => {
    const quote = await createQuote([
      { productId, quantity: '3' }, // 0.10 × 3 = 0.30, tax 13% of 0.30 = 0.039 -> 0.04
      { description: 'Labour', quantity: '1.5', unitPrice: '33.33', discountPercent: '10', taxRate: '13.125' },
      // 49.995 -> 50.00; discount 10% = 5.00; tax 13.125% of 45.00 = 5.90625 -> 5.91
    ]);
    expect(quote).toMatchObject({
      status: 'DRAFT',
      number: `Q-${year}-0001`,
      subtotal: '50.30',
      discount: '5.00',
      tax: '5.95',
      total: '51.25',
    });
    expect(quote.lineItems).toEqual([
      expect.objectContaining({
        position: 1,
        productId,
        description: 'Cat6 cable',
        quantity: '3.000',
        unitPrice: '0.10',
        taxRate: '13.000',
        subtotal: '0.30',
        tax: '0.04',
        total: '0.34',
      }),
      expect.objectContaining({
        position: 2,
        productId: null,
        description: 'Labour',
        subtotal: '50.00',
        discount: '5.00',
        tax: '5.91',
        total: '50.91',
      }),
    ]);
    const fetched = await app.gql(QuoteByIdDocument, { id: quote.id }, { org: 'quoter' });
    expect(fetched.data!.quote).toEqual(quote);
  });

  it('sums many rounded lines without drift', async () => {
    // Each line: 3 × 0.35 = 1.05, tax 7.125% = 0.0748125 -> 0.07. Totals add the rounded lines
    // (tax 14.00), not the rate applied to the sum (14.96): the lines always add up to the total.
    const lines = Array.from({ length: 200 }, () => ({
      description: 'Bolt',
      quantity: '3',
      unitPrice: '0.35',
      taxRate: '7.125',
    }));
    const quote = await createQuote(lines);
    expect(quote).toMatchObject({ subtotal: '210.00', discount: '0.00', tax: '14.00', total: '224.00' });
    expect(quote.lineItems).toHaveLength(200);
  });

  it('rejects bad lines with BAD_USER_INPUT and writes nothing (not even a number)', async () => {
    const cases: [QuoteLineItemInput[], Partial<CreateQuoteInput>, string][] = [
      [[{ description: 'x', quantity: '0', unitPrice: '1' }], {}, 'OUT_OF_RANGE'],
      [[{ description: 'x', quantity: '1', unitPrice: '1.001' }], {}, 'TOO_MANY_DECIMALS'],
      [[{ description: 'x', quantity: '1', unitPrice: '1', discountPercent: '100.5' }], {}, 'OUT_OF_RANGE'],
      [[{ description: 'x', quantity: '1' }], {}, 'INCOMPLETE_LINE'],
      [[{ productId, quantity: '1' }], { currency: 'USD' }, 'CURRENCY_MISMATCH'],
      [[{ description: 'x', quantity: '99999999999', unitPrice: '999999999.99' }], {}, 'OUT_OF_RANGE'],
      [[{ description: 'x', quantity: '1', unitPrice: '1' }], { validUntil: '2001-01-01' }, 'VALID_UNTIL_PAST'],
    ];
    for (const [lines, patch, reason] of cases) {
      const res = await app.gql(CreateQuoteDocument, { input: quoteInput(lines, patch) }, { org: 'quoter' });
      expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    }
    const next = await createQuote([{ description: 'x', quantity: '1', unitPrice: '1' }]);
    expect(next.number).toBe(`Q-${year}-0003`);
  });

  it('edits only DRAFT quotes; only a SENT quote is accepted or rejected, once', async () => {
    const quote = await createQuote([{ description: 'Survey', quantity: '1', unitPrice: '100' }]);
    const edited = await app.gql(
      UpdateQuoteDocument,
      {
        id: quote.id,
        input: {
          title: 'Survey and plan',
          lineItems: [{ description: 'Survey', quantity: '2', unitPrice: '100', taxRate: '13' }],
        },
      },
      { org: 'quoter' },
    );
    expect(edited.data!.updateQuote).toMatchObject({
      title: 'Survey and plan',
      subtotal: '200.00',
      tax: '26.00',
      total: '226.00',
      number: quote.number,
    });
    expect(edited.data!.updateQuote.lineItems).toHaveLength(1);

    const early = await app.gql(AcceptQuoteDocument, { id: quote.id }, { org: 'quoter' });
    expect(early.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_SENT', status: 'DRAFT' });
    expect((await app.gql(SendQuoteDocument, { id: quote.id }, { org: 'quoter' })).data!.sendQuote).toMatchObject({
      status: 'SENT',
      sentAt: expect.any(String),
      sentBy: 'platform-admin',
    });
    const accepted = await app.gql(AcceptQuoteDocument, { id: quote.id }, { org: 'quoter' });
    expect(accepted.data!.acceptQuote).toMatchObject({
      status: 'ACCEPTED',
      decidedAt: expect.any(String),
      decidedBy: 'platform-admin',
    });
    const lateEdit = await app.gql(
      UpdateQuoteDocument,
      { id: quote.id, input: { title: 'Changed' } },
      { org: 'quoter' },
    );
    expect(lateEdit.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_DRAFT' });
    const lateReject = await app.gql(RejectQuoteDocument, { id: quote.id, reason: 'Too late' }, { org: 'quoter' });
    expect(lateReject.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_OPEN' });

    const other = await createQuote([{ description: 'Extra', quantity: '1', unitPrice: '5' }]);
    expect(
      (await app.gql(RejectQuoteDocument, { id: other.id }, { org: 'quoter' })).errors![0].extensions,
    ).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_SENT' });
    await app.gql(SendQuoteDocument, { id: other.id }, { org: 'quoter' });
    const rejected = await app.gql(RejectQuoteDocument, { id: other.id, reason: ' Too expensive ' }, { org: 'quoter' });
    expect(rejected.data!.rejectQuote).toMatchObject({ status: 'REJECTED', rejectionReason: 'Too expensive' });
  });

  it('reads EXPIRED once validUntil has passed; an expired draft can be extended', async () => {
    const quote = await createQuote([{ description: 'Short offer', quantity: '1', unitPrice: '1' }], {
      title: 'Short offer',
    });
    await app.dataSource.query(`UPDATE "${tenantA.schemaName}".quotes SET valid_until = '2020-01-31' WHERE id = $1`, [
      quote.id,
    ]);
    expect((await app.gql(QuoteByIdDocument, { id: quote.id }, { org: 'quoter' })).data!.quote.status).toBe('EXPIRED');
    const expired = await app.gql(QuotesDocument, { filter: { status: 'EXPIRED' } }, { org: 'quoter' });
    expect(expired.data!.quotes.edges.map((e) => e.node.id)).toEqual([quote.id]);
    const accept = await app.gql(AcceptQuoteDocument, { id: quote.id }, { org: 'quoter' });
    expect(accept.errors![0].extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'QUOTE_EXPIRED',
      status: 'EXPIRED',
    });
    const send = await app.gql(SendQuoteDocument, { id: quote.id }, { org: 'quoter' });
    expect(send.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_EXPIRED' });
    const extended = await app.gql(
      UpdateQuoteDocument,
      { id: quote.id, input: { validUntil: '2099-01-01' } },
      { org: 'quoter' },
    );
    expect(extended.data!.updateQuote.status).toBe('DRAFT');
  });

  it('lists with filters, search and cursors', async () => {
    const all = await app.gql(QuotesDocument, { first: 100 }, { org: 'quoter' });
    const total = all.data!.quotes.totalCount;
    expect(all.data!.quotes.edges.map((e) => e.node.number)).toEqual(
      Array.from({ length: total }, (_, i) => `Q-${year}-${String(i + 1).padStart(4, '0')}`),
    );
    expect(all.data!.quotes.edges[0].node.lineItems).toHaveLength(2);

    const accepted = await app.gql(QuotesDocument, { filter: { status: 'ACCEPTED', customerId } }, { org: 'quoter' });
    expect(accepted.data!.quotes.edges.map((e) => e.node.title)).toEqual(['Survey and plan']);
    const drafts = await app.gql(QuotesDocument, { filter: { status: 'DRAFT', search: 'short' } }, { org: 'quoter' });
    expect(drafts.data!.quotes.edges.map((e) => e.node.title)).toEqual(['Short offer']);
    const byNumber = await app.gql(QuotesDocument, { filter: { search: `Q-${year}-0002` } }, { org: 'quoter' });
    expect(byNumber.data!.quotes.totalCount).toBe(1);

    const first = await app.gql(QuotesDocument, { first: 2 }, { org: 'quoter' });
    const second = await app.gql(
      QuotesDocument,
      { first: 2, after: first.data!.quotes.pageInfo.endCursor },
      { org: 'quoter' },
    );
    expect(second.data!.quotes.edges.map((e) => e.node.number)).toEqual([`Q-${year}-0003`, `Q-${year}-0004`]);
  });

  it("keeps tenants apart: B cannot read, list, edit or decide A's quotes, nor quote A's customer or product", async () => {
    const quote = await createQuote([{ description: 'Secret', quantity: '1', unitPrice: '9' }], {
      title: 'Secret of A',
    });
    const asB = { org: 'other' };
    expect((await app.gql(QuoteByIdDocument, { id: quote.id }, asB)).errors![0].extensions.code).toBe('NOT_FOUND');
    expect(
      (await app.gql(UpdateQuoteDocument, { id: quote.id, input: { title: 'Hijacked' } }, asB)).errors![0].extensions
        .code,
    ).toBe('NOT_FOUND');
    expect((await app.gql(AcceptQuoteDocument, { id: quote.id }, asB)).errors![0].extensions.code).toBe('NOT_FOUND');
    expect((await app.gql(RejectQuoteDocument, { id: quote.id }, asB)).errors![0].extensions.code).toBe('NOT_FOUND');
    expect((await app.gql(SendQuoteDocument, { id: quote.id }, asB)).errors![0].extensions.code).toBe('NOT_FOUND');
    expect((await app.gql(QuotesDocument, {}, asB)).data!.quotes.totalCount).toBe(0);
    const foreignCustomer = await app.gql(
      CreateQuoteDocument,
      { input: quoteInput([{ description: 'x', quantity: '1', unitPrice: '1' }]) },
      asB,
    );
    expect(foreignCustomer.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Customer' });
    const ownCustomer = (await app.gql(CreateCustomerDocument, { input: { name: 'B buyer' } }, asB)).data!
      .createCustomer.id;
    const foreignProduct = await app.gql(
      CreateQuoteDocument,
      { input: quoteInput([{ productId, quantity: '1' }], { customerId: ownCustomer }) },
      asB,
    );
    expect(foreignProduct.errors![0].extensions).toMatchObject({ code: 'NOT_FOUND', entity: 'Product' });
    // B numbers its own quotes from 1.
    const own = await createQuote(
      [{ description: 'Mine', quantity: '1', unitPrice: '1' }],
      { customerId: ownCustomer },
      'other',
    );
    expect(own.number).toBe(`Q-${year}-0001`);
    expect((await app.gql(QuoteByIdDocument, { id: quote.id }, { org: 'quoter' })).data!.quote.title).toBe(
      'Secret of A',
    );
  });

  it("counts toward the plan's monthly quotes limit; a refused create takes no number", async () => {
    const small = await app.createTenant('small-quoter');
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, small.id));
    const customer = (await app.gql(CreateCustomerDocument, { input: { name: 'C' } }, { org: 'small-quoter' })).data!
      .createCustomer.id;
    const month = `${new Date().toISOString().slice(0, 7)}-01`;
    // FREE allows 10 quotes a month: start one short of it.
    await app.dataSource.query(
      `INSERT INTO public.usage_counters (tenant_id, metric, period_start, used) VALUES ($1, 'quotes', $2, 9)`,
      [small.id, month],
    );
    const line = [{ description: 'x', quantity: '1', unitPrice: '1' }];
    await createQuote(line, { customerId: customer }, 'small-quoter');
    const refused = await app.gql(
      CreateQuoteDocument,
      { input: quoteInput(line, { customerId: customer }) },
      { org: 'small-quoter' },
    );
    expect(refused.errors![0].extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      feature: 'quotes',
      limit: 10,
      used: 10,
    });
    const listed = await app.gql(QuotesDocument, {}, { org: 'small-quoter' });
    expect(listed.data!.quotes.edges.map((e) => e.node.number)).toEqual([`Q-${year}-0001`]);
    // A quoted customer stays: deleting it is refused rather than orphaning the quote.
    expect(
      (await app.gql(DeleteCustomerDocument, { id: customer }, { org: 'small-quoter' })).errors![0].extensions.code,
    ).toBe('CONFLICT');
  });

  it('generates four documents with the quote; edits and restores add immutable versions', async () => {
    await app.gql(
      UpdateTenantSettingsDocument,
      { input: { legalName: 'Acme Networks Pvt Ltd', phone: '+977 1 5550100' } },
      { org: 'quoter' },
    );
    const quote = await createQuote([{ productId, quantity: '3' }], { title: 'Cabling with papers' });
    const type = 'TERMS_AND_CONDITIONS' as const;
    for (const documentType of ['QUOTE', 'SCOPE_OF_WORK', 'TERMS_AND_CONDITIONS', 'COVER_LETTER'] as const) {
      const doc = (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type: documentType }, { org: 'quoter' }))
        .data!.quoteDocument;
      expect(doc).toMatchObject({
        type: documentType,
        currentVersion: 1,
        versions: [{ version: 1, createdBy: 'platform-admin' }],
      });
      expect(doc.content).toContain(quote.number);
    }
    const priced = (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type: 'QUOTE' }, { org: 'quoter' })).data!
      .quoteDocument.content;
    expect(priced).toContain('Acme Networks Pvt Ltd');
    expect(priced).toContain('Total: 0.34 NPR');

    const original = (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type }, { org: 'quoter' })).data!
      .quoteDocument.content;
    await app.gql(
      UpdateQuoteDocumentDocument,
      { quoteId: quote.id, type, content: 'Terms, second draft' },
      { org: 'quoter' },
    );
    const third = await app.gql(
      UpdateQuoteDocumentDocument,
      { quoteId: quote.id, type, content: 'Terms, third draft' },
      { org: 'quoter' },
    );
    expect(third.data!.updateQuoteDocument).toMatchObject({ currentVersion: 3, content: 'Terms, third draft' });
    const restored = await app.gql(
      RestoreQuoteDocumentVersionDocument,
      { quoteId: quote.id, type, version: 1 },
      { org: 'quoter' },
    );
    expect(restored.data!.restoreQuoteDocumentVersion).toMatchObject({ currentVersion: 4, content: original });
    expect(restored.data!.restoreQuoteDocumentVersion.versions.map((v) => v.content)).toEqual([
      original,
      'Terms, second draft',
      'Terms, third draft',
      original,
    ]);
    // Other documents are untouched.
    expect(
      (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type: 'COVER_LETTER' }, { org: 'quoter' })).data!
        .quoteDocument.currentVersion,
    ).toBe(1);

    const missing = await app.gql(
      RestoreQuoteDocumentVersionDocument,
      { quoteId: quote.id, type, version: 9 },
      { org: 'quoter' },
    );
    expect(missing.errors![0].extensions.code).toBe('NOT_FOUND');
    const asB = { org: 'other' };
    expect((await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type }, asB)).errors![0].extensions.code).toBe(
      'NOT_FOUND',
    );
    expect(
      (await app.gql(UpdateQuoteDocumentDocument, { quoteId: quote.id, type, content: 'x' }, asB)).errors![0].extensions
        .code,
    ).toBe('NOT_FOUND');
    expect(
      (await app.gql(RestoreQuoteDocumentVersionDocument, { quoteId: quote.id, type, version: 1 }, asB)).errors![0]
        .extensions.code,
    ).toBe('NOT_FOUND');

    await app.gql(SendQuoteDocument, { id: quote.id }, { org: 'quoter' });
    const late = await app.gql(
      UpdateQuoteDocumentDocument,
      { quoteId: quote.id, type, content: 'After the fact' },
      { org: 'quoter' },
    );
    expect(late.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_DRAFT' });
    expect(
      (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type }, { org: 'quoter' })).data!.quoteDocument
        .currentVersion,
    ).toBe(4);
  });

  it('refuses null title, validUntil or lineItems, blank titles, years outside 1900-9999', async () => {
    const quoter = { org: 'quoter' };
    const line = { description: 'x', quantity: '1', unitPrice: '1' };
    const quote = await createQuote([line], { title: 'Kept' });
    const update = (input: Record<string, unknown>) => app.gql(UpdateQuoteDocument, { id: quote.id, input }, quoter);
    for (const property of ['title', 'validUntil', 'lineItems']) {
      expect(refusal(await update({ [property]: null }))).toMatchObject(nullRefused(property));
    }
    expect(refusal(await update({ title: '  ' }))).toMatchObject(blankRefused('title'));
    for (const validUntil of ['0000-01-01', '1899-12-31']) {
      expect(refusal(await update({ validUntil }))).toMatchObject(dateOutOfRange('validUntil'));
    }
    const stored = (await app.gql(QuoteByIdDocument, { id: quote.id }, quoter)).data!.quote;
    expect(stored).toMatchObject({ title: 'Kept', validUntil: '2099-12-31', total: quote.total });
    expect((await update({ validUntil: '9999-12-31' })).data!.updateQuote.validUntil).toBe('9999-12-31');

    const count = async () => (await app.gql(QuotesDocument, {}, quoter)).data!.quotes.totalCount;
    const before = await count();
    const blank = await app.gql(CreateQuoteDocument, { input: quoteInput([line], { title: '\n' }) }, quoter);
    expect(refusal(blank)).toMatchObject(blankRefused('title'));
    expect(await count()).toBe(before);
  });
});
