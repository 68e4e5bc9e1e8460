import {
  ActivateContractDocument,
  ContractByIdDocument,
  ContractsDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateQuoteDocument,
  GenerateContractFromQuoteDocument,
  GenerateQuoteFromContractDocument,
  QuoteDocumentDocument,
  TerminateContractDocument,
  type CreateQuoteInput,
} from '../../../test/generated/graphql';
import { acceptedQuote } from '../../../test/support/accepted-quote';
import { dateOutOfRange, refusal } from '../../../test/support/input-errors';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

describe('contracts (through HTTP, real PostgreSQL)', () => {
  let app: TestApp;
  let tenantA: { id: string; schemaName: string };
  let customerId: string;
  const year = new Date().getUTCFullYear();
  // Tenants keep the default time zone (UTC).
  const today = new Date().toISOString().slice(0, 10);
  const asA = { org: 'contractor' };
  const asB = { org: 'stranger' };

  beforeAll(async () => {
    app = await startTestApp();
    tenantA = await app.createTenant('contractor');
    await app.createTenant('stranger');
    customerId = (
      await app.gql(CreateCustomerDocument, { input: { name: 'Client', email: 'client@example.test' } }, asA)
    ).data!.createCustomer.id;
  });
  afterAll(() => app.close());

  const quoteInput = (patch: Partial<CreateQuoteInput> = {}): CreateQuoteInput => ({
    customerId,
    title: 'Network maintenance',
    currency: 'NPR',
    validUntil: '2099-12-31',
    lineItems: [
      { description: 'Monthly visit', quantity: '12', unitPrice: '1500.55', taxRate: '13' },
      { description: 'Spare parts', quantity: '2.5', unitPrice: '33.33', discountPercent: '12.5', taxRate: '13.125' },
    ],
    ...patch,
  });
  const contractFor = async (patch: Partial<CreateQuoteInput> = {}) => {
    const quote = await acceptedQuote(app, 'contractor', quoteInput(patch));
    const res = await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id }, asA);
    expect(res.errors).toBeUndefined();
    return { quote, contract: res.data!.generateContractFromQuote };
  };
  const errorOf = (res: { errors?: { extensions: Record<string, unknown> }[] }) => res.errors?.[0].extensions;

  it('makes a DRAFT contract from an ACCEPTED quote with its exact value and a copy of its lines, once', async () => {
    const { quote, contract } = await contractFor();
    expect(contract).toMatchObject({
      number: `C-${year}-0001`,
      quoteId: quote.id,
      customerId,
      title: 'Network maintenance',
      currency: 'NPR',
      value: quote.total,
      status: 'DRAFT',
      startDate: today,
      renewalQuoteId: null,
    });
    // 12 × 1500.55 = 18006.60 + 13% = 20347.46; 83.325 -> 83.33 − 10.42 = 72.91 + 9.57 = 82.48
    expect(quote.total).toBe('20429.94');
    expect(contract.lineItems).toEqual(quote.lineItems);
    const sameDayNextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4).replace('-02-29', '-02-28')}`;
    expect(contract.endDate).toBe(sameDayNextYear);
    expect((await app.gql(ContractByIdDocument, { id: contract.id }, asA)).data!.contract).toEqual(contract);

    const again = await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id }, asA);
    expect(errorOf(again)).toMatchObject({ code: 'CONFLICT', reason: 'CONTRACT_EXISTS', contractId: contract.id });
  });

  it('refuses quotes that are not ACCEPTED and bad terms, writing nothing', async () => {
    const draft = (await app.gql(CreateQuoteDocument, { input: quoteInput() }, asA)).data!.createQuote;
    expect(errorOf(await app.gql(GenerateContractFromQuoteDocument, { quoteId: draft.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'QUOTE_NOT_ACCEPTED',
      status: 'DRAFT',
    });
    const quote = await acceptedQuote(app, 'contractor', quoteInput());
    const cases: [Record<string, string>, string][] = [
      [{ startDate: '2030-05-01', endDate: '2030-05-01' }, 'END_NOT_AFTER_START'],
      [{ startDate: '2019-01-01', endDate: '2020-01-01' }, 'END_DATE_PAST'],
    ];
    for (const [terms, reason] of cases) {
      expect(
        errorOf(await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id, terms }, asA)),
      ).toMatchObject({ code: 'BAD_USER_INPUT', reason });
    }
    expect(
      errorOf(
        await app.gql(
          GenerateContractFromQuoteDocument,
          { quoteId: quote.id, terms: { startDate: '31/01/2030' } },
          asA,
        ),
      )?.code,
    ).toBe('BAD_USER_INPUT');
    // 12 months from 29 February is the last day of the next February; no number was used by the refusals.
    const leap = await app.gql(
      GenerateContractFromQuoteDocument,
      { quoteId: quote.id, terms: { startDate: '2028-02-29' } },
      asA,
    );
    expect(leap.data!.generateContractFromQuote).toMatchObject({
      number: `C-${year}-0002`,
      startDate: '2028-02-29',
      endDate: '2029-02-28',
    });
  });

  it('moves DRAFT → ACTIVE → TERMINATED, each once; EXPIRED is read from endDate', async () => {
    const { contract } = await contractFor();
    const activated = await app.gql(ActivateContractDocument, { id: contract.id }, asA);
    expect(activated.data!.activateContract).toMatchObject({ status: 'ACTIVE', activatedAt: expect.any(String) });
    expect(errorOf(await app.gql(ActivateContractDocument, { id: contract.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'CONTRACT_NOT_DRAFT',
      status: 'ACTIVE',
    });
    expect(errorOf(await app.gql(TerminateContractDocument, { id: contract.id, reason: '  ' }, asA))).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_REASON',
    });
    const terminated = await app.gql(TerminateContractDocument, { id: contract.id, reason: ' Customer moved ' }, asA);
    expect(terminated.data!.terminateContract).toMatchObject({
      status: 'TERMINATED',
      terminationReason: 'Customer moved',
      terminatedAt: expect.any(String),
    });
    expect(errorOf(await app.gql(TerminateContractDocument, { id: contract.id, reason: 'again' }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'CONTRACT_NOT_OPEN',
    });

    const { contract: old } = await contractFor({ title: 'Old deal' });
    await app.gql(ActivateContractDocument, { id: old.id }, asA);
    await app.dataSource.query(
      `UPDATE "${tenantA.schemaName}".contracts SET start_date = '2020-01-01', end_date = '2021-01-01' WHERE id = $1`,
      [old.id],
    );
    expect((await app.gql(ContractByIdDocument, { id: old.id }, asA)).data!.contract.status).toBe('EXPIRED');
    const expired = await app.gql(ContractsDocument, { filter: { status: 'EXPIRED' } }, asA);
    expect(expired.data!.contracts.edges.map((e) => e.node.id)).toEqual([old.id]);
    expect(errorOf(await app.gql(TerminateContractDocument, { id: old.id, reason: 'late' }, asA))).toMatchObject({
      code: 'CONFLICT',
      status: 'EXPIRED',
    });
    // A terminated contract stays TERMINATED after its end date.
    await app.dataSource.query(
      `UPDATE "${tenantA.schemaName}".contracts SET start_date = '2020-01-01', end_date = '2021-01-01' WHERE id = $1`,
      [contract.id],
    );
    expect((await app.gql(ContractByIdDocument, { id: contract.id }, asA)).data!.contract.status).toBe('TERMINATED');
  });

  it("renews an ACTIVE or EXPIRED contract once: a DRAFT quote with the contract's items and prices", async () => {
    const { contract, quote } = await contractFor({ title: 'Support plan' });
    expect(errorOf(await app.gql(GenerateQuoteFromContractDocument, { contractId: contract.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'CONTRACT_NOT_RENEWABLE',
      status: 'DRAFT',
    });
    await app.gql(ActivateContractDocument, { id: contract.id }, asA);
    const res = await app.gql(GenerateQuoteFromContractDocument, { contractId: contract.id }, asA);
    expect(res.errors).toBeUndefined();
    const renewal = res.data!.generateQuoteFromContract;
    expect(renewal).toMatchObject({
      status: 'DRAFT',
      customerId,
      currency: 'NPR',
      total: contract.value,
      title: `Renewal of ${contract.number}: Support plan`,
    });
    expect(renewal.id).not.toBe(quote.id);
    expect(renewal.lineItems).toEqual(contract.lineItems);
    expect(renewal.validUntil > today).toBe(true);
    const cover = await app.gql(QuoteDocumentDocument, { quoteId: renewal.id, type: 'COVER_LETTER' }, asA);
    expect(cover.data!.quoteDocument.content).toContain(renewal.number);
    expect((await app.gql(ContractByIdDocument, { id: contract.id }, asA)).data!.contract.renewalQuoteId).toBe(
      renewal.id,
    );
    expect(errorOf(await app.gql(GenerateQuoteFromContractDocument, { contractId: contract.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'ALREADY_RENEWED',
      quoteId: renewal.id,
    });
  });

  it('lists with filters and cursors', async () => {
    const all = await app.gql(ContractsDocument, { first: 100 }, asA);
    const total = all.data!.contracts.totalCount;
    expect(total).toBeGreaterThanOrEqual(4);
    expect(all.data!.contracts.edges.map((e) => e.node.number)).toEqual(
      Array.from({ length: total }, (_, i) => `C-${year}-${String(i + 1).padStart(4, '0')}`),
    );
    const terminated = await app.gql(ContractsDocument, { filter: { status: 'TERMINATED', customerId } }, asA);
    expect(terminated.data!.contracts.totalCount).toBe(1);
    const first = await app.gql(ContractsDocument, { first: 2 }, asA);
    const second = await app.gql(ContractsDocument, { first: 2, after: first.data!.contracts.pageInfo.endCursor }, asA);
    expect(second.data!.contracts.edges.map((e) => e.node.number)).toEqual([`C-${year}-0003`, `C-${year}-0004`]);
    expect(second.data!.contracts.edges[0].node.lineItems).toHaveLength(2);
  });

  it('needs the contracts scopes: contracts:read reads but does not write, quotes:write alone does neither', async () => {
    const { contract } = await contractFor({ title: 'Scoped' });
    const keyWith = async (scopes: string[]) => {
      const res = await app.gql(CreateApiKeyDocument, { input: { name: scopes.join(' '), scopes } }, asA);
      expect(res.errors).toBeUndefined();
      return { headers: { 'x-api-key': res.data!.createApiKey.secret }, admin: false };
    };
    const reader = await keyWith(['contracts:read']);
    expect((await app.gql(ContractByIdDocument, { id: contract.id }, reader)).data!.contract.id).toBe(contract.id);
    expect(errorOf(await app.gql(ActivateContractDocument, { id: contract.id }, reader))?.code).toBe('FORBIDDEN');
    const quoteWriter = await keyWith(['quotes:write']);
    expect(errorOf(await app.gql(ContractsDocument, {}, quoteWriter))?.code).toBe('FORBIDDEN');
    expect(
      errorOf(await app.gql(GenerateContractFromQuoteDocument, { quoteId: contract.quoteId }, quoteWriter))?.code,
    ).toBe('FORBIDDEN');
    expect((await app.gql(ContractByIdDocument, { id: contract.id }, asA)).data!.contract.status).toBe('DRAFT');
  });

  it("keeps tenants apart: B cannot read, list, change, renew or convert A's contracts and quotes", async () => {
    const { quote, contract } = await contractFor({ title: 'Secret of A' });
    await app.gql(ActivateContractDocument, { id: contract.id }, asA);
    const other = await acceptedQuote(app, 'contractor', quoteInput());
    expect(errorOf(await app.gql(ContractByIdDocument, { id: contract.id }, asB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await app.gql(ActivateContractDocument, { id: contract.id }, asB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await app.gql(TerminateContractDocument, { id: contract.id, reason: 'x' }, asB))?.code).toBe(
      'NOT_FOUND',
    );
    expect(errorOf(await app.gql(GenerateQuoteFromContractDocument, { contractId: contract.id }, asB))?.code).toBe(
      'NOT_FOUND',
    );
    expect(errorOf(await app.gql(GenerateContractFromQuoteDocument, { quoteId: other.id }, asB))).toMatchObject({
      code: 'NOT_FOUND',
      entity: 'Quote',
    });
    expect(errorOf(await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id }, asB))?.code).toBe(
      'NOT_FOUND',
    );
    expect((await app.gql(ContractsDocument, {}, asB)).data!.contracts.totalCount).toBe(0);
    const still = (await app.gql(ContractByIdDocument, { id: contract.id }, asA)).data!.contract;
    expect(still).toMatchObject({ status: 'ACTIVE', renewalQuoteId: null, title: 'Secret of A' });
  });

  it('refuses term dates outside years 1900-9999, given or derived, and writes no contract', async () => {
    const quote = await acceptedQuote(app, 'contractor', quoteInput());
    const count = async () => (await app.gql(ContractsDocument, {}, asA)).data!.contracts.totalCount;
    const before = await count();
    const generate = (terms: { startDate?: string; endDate?: string }) =>
      app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id, terms }, asA);
    expect(refusal(await generate({ startDate: '1000-01-01' }))).toMatchObject(dateOutOfRange('startDate'));
    expect(refusal(await generate({ endDate: '0000-12-31' }))).toMatchObject(dateOutOfRange('endDate'));
    // 12 months after this start would be year 10000.
    const derived = await generate({ startDate: '9999-06-01' });
    expect(refusal(derived)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'DATE_OUT_OF_RANGE', field: 'endDate' });
    expect(await count()).toBe(before);
    const last = await generate({ startDate: '9999-01-01', endDate: '9999-12-31' });
    expect(last.data!.generateContractFromQuote).toMatchObject({ endDate: '9999-12-31' });
  });
});
