import {
  CreateCustomerDocument,
  CreateInvoiceFromQuoteDocument,
  CreateQuoteDocument,
  InvoiceByIdDocument,
  InvoicesDocument,
  MarkInvoicePaidDocument,
  SendInvoiceDocument,
  UpdateCustomerDocument,
  UpdatePaymentTermsDocument,
  UpdateTenantSettingsDocument,
  VoidInvoiceDocument,
  type CreateQuoteInput,
} from '../../../test/generated/graphql';
import { acceptedQuote } from '../../../test/support/accepted-quote';
import { dateOutOfRange } from '../../../test/support/input-errors';
import { startMailTestApp, type MailTestApp } from '../../../test/support/mail-test-app';
import { pdfText } from '../../../test/support/pdf-text';
import { TEST_ADMIN_SECRET, type TestApp } from '../../../test/support/test-app';

describe('invoices and sendInvoice (through HTTP, real PostgreSQL, real SMTP)', () => {
  let mail: MailTestApp;
  let app: TestApp;
  let customerId: string;
  const year = new Date().getUTCFullYear();
  // Tenants keep the default time zone (UTC).
  const today = new Date().toISOString().slice(0, 10);
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const in30Days = inDays(30);
  const asA = { org: 'biller' };
  const asB = { org: 'outsider' };

  beforeAll(async () => {
    mail = await startMailTestApp();
    app = mail.app;
    await app.createTenant('biller');
    await app.createTenant('outsider');
    await app.gql(
      UpdateTenantSettingsDocument,
      { input: { legalName: 'Biller Pvt Ltd', supportEmail: 'accounts@biller.example' } },
      asA,
    );
    customerId = (await app.gql(CreateCustomerDocument, { input: { name: 'Payer', email: 'payer@example.test' } }, asA))
      .data!.createCustomer.id;
  });
  afterAll(() => mail.close());

  const quoteInput = (patch: Partial<CreateQuoteInput> = {}): CreateQuoteInput => ({
    customerId,
    title: 'Cabling',
    currency: 'NPR',
    validUntil: '2099-12-31',
    lineItems: [
      { description: 'Cable', quantity: '3', unitPrice: '0.10', taxRate: '13' },
      { description: 'Labour', quantity: '1.5', unitPrice: '33.33', discountPercent: '10', taxRate: '13.125' },
    ],
    ...patch,
  });
  const errorOf = (res: { errors?: { extensions: Record<string, unknown> }[] }) => res.errors?.[0].extensions;
  const invoiceFor = async (quoteId: string, org = asA) => {
    const res = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId }, org);
    expect(res.errors).toBeUndefined();
    return res.data!.createInvoiceFromQuote;
  };
  /** Delivers the outbox; answers the invoice mails the SMTP server received meanwhile. */
  const invoiceMails = async () => {
    mail.smtp.messages.length = 0;
    await app.services.mailOutbox.deliverDue();
    return mail.smtp.messages.filter((m) => m.subject.startsWith('Invoice '));
  };
  const outboxRows = async (invoiceId: string) =>
    (
      await app.dataSource.query('SELECT count(*)::int AS n FROM public.email_outbox WHERE idempotency_key = $1', [
        `invoice-sent:${invoiceId}`,
      ])
    )[0].n;

  it("invoices an ACCEPTED quote as a DRAFT with the quote's exact lines and totals, due in 30 days", async () => {
    const quote = await acceptedQuote(app, 'biller', quoteInput());
    const invoice = await invoiceFor(quote.id);
    expect(invoice).toMatchObject({
      number: `INV-${year}-0001`,
      quoteId: quote.id,
      customerId,
      title: 'Cabling',
      currency: 'NPR',
      status: 'DRAFT',
      issueDate: today,
      dueDate: in30Days,
      paidAt: null,
      // 0.30 + 0.04 tax; 50.00 − 5.00 + 5.91 tax
      subtotal: '50.30',
      discount: '5.00',
      tax: '5.95',
      total: '51.25',
    });
    expect({ subtotal: quote.subtotal, discount: quote.discount, tax: quote.tax, total: quote.total }).toEqual({
      subtotal: '50.30',
      discount: '5.00',
      tax: '5.95',
      total: '51.25',
    });
    expect(invoice.lineItems).toEqual(quote.lineItems);
    expect((await app.gql(InvoiceByIdDocument, { id: invoice.id }, asA)).data!.invoice).toEqual(invoice);
  });

  it('bills a quote once until its invoice is voided; only ACCEPTED quotes', async () => {
    const draft = (await app.gql(CreateQuoteDocument, { input: quoteInput() }, asA)).data!.createQuote;
    expect(errorOf(await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: draft.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'QUOTE_NOT_ACCEPTED',
      status: 'DRAFT',
    });
    const quote = await acceptedQuote(app, 'biller', quoteInput({ title: 'Rebilled' }));
    const first = await invoiceFor(quote.id);
    expect(errorOf(await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_EXISTS',
      invoiceId: first.id,
    });
    expect((await app.gql(VoidInvoiceDocument, { id: first.id }, asA)).data!.voidInvoice).toMatchObject({
      status: 'VOID',
      voidedAt: expect.any(String),
    });
    const second = await invoiceFor(quote.id);
    expect(second.number).toBe(`INV-${year}-0003`);
  });

  it('markInvoicePaid: DRAFT or SENT → PAID once; PAID and VOID are final', async () => {
    const draftInvoice = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(errorOf(await app.gql(MarkInvoicePaidDocument, { id: draftInvoice.id, paidAt: future }, asA))).toMatchObject(
      { code: 'BAD_USER_INPUT', reason: 'PAID_AT_FUTURE' },
    );
    const paidAt = `${today}T00:00:00.000Z`; // the issue day (UTC tenant), not in the future
    expect(
      (await app.gql(MarkInvoicePaidDocument, { id: draftInvoice.id, paidAt }, asA)).data!.markInvoicePaid,
    ).toEqual({ id: draftInvoice.id, status: 'PAID', paidAt });
    expect(errorOf(await app.gql(MarkInvoicePaidDocument, { id: draftInvoice.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_NOT_OPEN',
      status: 'PAID',
    });
    expect(errorOf(await app.gql(VoidInvoiceDocument, { id: draftInvoice.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_NOT_OPEN',
      status: 'PAID',
    });

    const sent = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    expect((await app.gql(SendInvoiceDocument, { id: sent.id }, asA)).data!.sendInvoice.status).toBe('SENT');
    const before = Date.now();
    const paidNow = (await app.gql(MarkInvoicePaidDocument, { id: sent.id }, asA)).data!.markInvoicePaid;
    expect(paidNow.status).toBe('PAID');
    expect(Date.parse(paidNow.paidAt!)).toBeGreaterThanOrEqual(before - 1000); // defaults to now

    const voided = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    await app.gql(VoidInvoiceDocument, { id: voided.id }, asA);
    expect(errorOf(await app.gql(MarkInvoicePaidDocument, { id: voided.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      status: 'VOID',
    });
    expect(errorOf(await app.gql(VoidInvoiceDocument, { id: voided.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      status: 'VOID',
    });
  });

  it('markInvoicePaid refuses a paid date before the issue day or outside years 1900-9999; it stays open', async () => {
    const { id } = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    const early = await app.gql(MarkInvoicePaidDocument, { id, paidAt: `${inDays(-1)}T23:59:59.000Z` }, asA);
    expect(errorOf(early)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAID_BEFORE_ISSUE', issueDate: today });
    for (const paidAt of ['0000-01-01T00:00:00Z', '1899-12-31T23:59:59Z']) {
      const ancient = await app.gql(MarkInvoicePaidDocument, { id, paidAt }, asA);
      expect(ancient.status).toBe(400);
      expect(errorOf(ancient)?.code).toBe('BAD_USER_INPUT');
      expect(ancient.errors![0].message).toContain('years 1900 to 9999');
    }
    const inline = `mutation { markInvoicePaid(id: "${id}", paidAt: "0000-01-01T00:00:00Z") { id } }`;
    const literal = await app.gql(inline, {}, asA);
    expect(errorOf(literal)?.code).toBe('BAD_USER_INPUT');
    const stored = (await app.gql(InvoiceByIdDocument, { id }, asA)).data!.invoice;
    expect(stored).toMatchObject({ status: 'DRAFT', paidAt: null });

    const quote = await acceptedQuote(app, 'biller', quoteInput());
    const create = (dueDate: string) => app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id, dueDate }, asA);
    const malformed = errorOf(await create('10000-01-01'));
    expect(malformed).toMatchObject({ validationErrors: [expect.objectContaining({ property: 'dueDate' })] });
    expect(errorOf(await create('0001-01-01'))).toMatchObject(dateOutOfRange('dueDate'));
  });

  it('lists with filters and cursors', async () => {
    const all = await app.gql(InvoicesDocument, { first: 100 }, asA);
    const total = all.data!.invoices.totalCount;
    expect(all.data!.invoices.edges.map((e) => e.node.number)).toEqual(
      Array.from({ length: total }, (_, i) => `INV-${year}-${String(i + 1).padStart(4, '0')}`),
    );
    const paid = await app.gql(InvoicesDocument, { filter: { status: 'PAID', customerId } }, asA);
    expect(paid.data!.invoices.totalCount).toBe(2);
    const otherCustomer = (await app.gql(CreateCustomerDocument, { input: { name: 'Nobody' } }, asA)).data!
      .createCustomer.id;
    expect(
      (await app.gql(InvoicesDocument, { filter: { customerId: otherCustomer } }, asA)).data!.invoices.totalCount,
    ).toBe(0);
    const first = await app.gql(InvoicesDocument, { first: 2 }, asA);
    const second = await app.gql(InvoicesDocument, { first: 2, after: first.data!.invoices.pageInfo.endCursor }, asA);
    expect(second.data!.invoices.edges.map((e) => e.node.number)).toEqual([`INV-${year}-0003`, `INV-${year}-0004`]);
  });

  it('sendInvoice mails the customer its PDF in one mail and makes it SENT; the download serves the same bytes', async () => {
    const invoice = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput({ title: 'Mailed cabling' }))).id);
    await invoiceMails(); // the quote's own mail
    const sent = await app.gql(SendInvoiceDocument, { id: invoice.id }, asA);
    expect(sent.data!.sendInvoice).toMatchObject({
      id: invoice.id,
      status: 'SENT',
      sentAt: expect.any(String),
      sentBy: 'platform-admin',
    });
    expect((await app.gql(InvoiceByIdDocument, { id: invoice.id }, asA)).data!.invoice).toMatchObject({
      status: 'SENT',
      sentBy: 'platform-admin',
    });

    const mails = await invoiceMails();
    expect(mails).toHaveLength(1);
    const [message] = mails;
    expect(message).toMatchObject({
      to: ['payer@example.test'],
      replyTo: 'accounts@biller.example',
      subject: `Invoice ${invoice.number} from Biller Pvt Ltd: Mailed cabling`,
    });
    expect(message.from).toContain('Biller Pvt Ltd');
    expect(message.text).toContain(`totalling 51.25 NPR and due on ${in30Days}`);
    expect(message.attachments).toEqual([
      expect.objectContaining({ filename: `${invoice.number}.pdf`, contentType: 'application/pdf' }),
    ]);
    const attached = message.attachments[0].content;
    const text = await pdfText(attached);
    for (const expected of [
      `Invoice ${invoice.number}`,
      'Biller Pvt Ltd',
      'Payer',
      'Mailed cabling',
      'SENT',
      in30Days,
      '51.25 NPR',
      'Labour',
    ])
      expect(text).toContain(expected);

    const download = await fetch(`${app.url}/invoices/${invoice.id}/pdf`, {
      headers: { 'x-admin-secret': TEST_ADMIN_SECRET, 'x-organization-id': 'biller' },
    });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(attached)).toBe(true);

    // Sent once: a second send is refused and mails nothing.
    expect(errorOf(await app.gql(SendInvoiceDocument, { id: invoice.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_NOT_DRAFT',
      status: 'SENT',
    });
    expect(await invoiceMails()).toHaveLength(0);
    expect(await outboxRows(invoice.id)).toBe(1);
  });

  it('sendInvoice refuses PAID and VOID invoices, and a customer without an email (the invoice stays a DRAFT, no mail)', async () => {
    const paid = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    await app.gql(MarkInvoicePaidDocument, { id: paid.id }, asA);
    expect(errorOf(await app.gql(SendInvoiceDocument, { id: paid.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_NOT_DRAFT',
      status: 'PAID',
    });
    const voided = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    await app.gql(VoidInvoiceDocument, { id: voided.id }, asA);
    expect(errorOf(await app.gql(SendInvoiceDocument, { id: voided.id }, asA))).toMatchObject({
      code: 'CONFLICT',
      reason: 'INVOICE_NOT_DRAFT',
      status: 'VOID',
    });

    const silent = (
      await app.gql(CreateCustomerDocument, { input: { name: 'Soon silent', email: 'soon@example.test' } }, asA)
    ).data!.createCustomer.id;
    const unmailable = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput({ customerId: silent }))).id);
    await app.gql(UpdateCustomerDocument, { id: silent, input: { email: null } }, asA);
    expect(errorOf(await app.gql(SendInvoiceDocument, { id: unmailable.id }, asA))).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'CUSTOMER_HAS_NO_EMAIL',
      customerId: silent,
    });
    expect((await app.gql(InvoiceByIdDocument, { id: unmailable.id }, asA)).data!.invoice).toMatchObject({
      status: 'DRAFT',
      sentAt: null,
      sentBy: null,
    });
    for (const id of [paid.id, voided.id, unmailable.id]) expect(await outboxRows(id)).toBe(0);
    expect(await invoiceMails()).toHaveLength(0);
  });

  it("counts toward the plan's monthly invoices limit: on FREE the 11th fails LIMIT_EXCEEDED and writes nothing", async () => {
    const small = await app.createTenant('small-biller');
    const asSmall = { org: 'small-biller' };
    const customer = (await app.gql(CreateCustomerDocument, { input: { name: 'C', email: 'c@example.test' } }, asSmall))
      .data!.createCustomer.id;
    // Eleven accepted quotes while on the trial plan (FREE allows 10 quotes a month too), then down to FREE.
    const quotes = [];
    for (let i = 0; i < 11; i++)
      quotes.push(await acceptedQuote(app, 'small-biller', quoteInput({ customerId: customer })));
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, small.id));
    for (const quote of quotes.slice(0, 10)) await invoiceFor(quote.id, asSmall);
    const refused = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quotes[10].id }, asSmall);
    expect(errorOf(refused)).toMatchObject({ code: 'LIMIT_EXCEEDED', feature: 'invoices', limit: 10, used: 10 });
    const listed = await app.gql(InvoicesDocument, { first: 100 }, asSmall);
    expect(listed.data!.invoices.totalCount).toBe(10);
    const [written] = await app.dataSource.query(
      `SELECT (SELECT count(*)::int FROM "${small.schemaName}".invoice_line_items) AS lines,
              (SELECT last_number FROM "${small.schemaName}".invoice_number_counters) AS numbered,
              (SELECT used::int FROM public.usage_counters WHERE tenant_id = $1 AND metric = 'invoices') AS used`,
      [small.id],
    );
    expect(written).toEqual({ lines: 20, numbered: 10, used: 10 });
  });

  it("dates new invoices by the organization's payment terms, or by a dueDate given that is not before the issue date", async () => {
    const invoiced = async () => (await app.gql(InvoicesDocument, { first: 100 }, asA)).data!.invoices.totalCount;
    const earlier = await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id);
    expect(
      (await app.gql(UpdatePaymentTermsDocument, { input: { paymentTermsDays: 14 } }, asA)).data!.updateTenantSettings
        .paymentTermsDays,
    ).toBe(14);
    expect(await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id)).toMatchObject({
      issueDate: today,
      dueDate: inDays(14),
    });
    // already issued: unchanged
    expect((await app.gql(InvoiceByIdDocument, { id: earlier.id }, asA)).data!.invoice.dueDate).toBe(in30Days);
    await app.gql(UpdatePaymentTermsDocument, { input: { paymentTermsDays: 0 } }, asA);
    expect(await invoiceFor((await acceptedQuote(app, 'biller', quoteInput())).id)).toMatchObject({
      issueDate: today,
      dueDate: today,
    });

    const quote = await acceptedQuote(app, 'biller', quoteInput());
    const before = await invoiced();
    const early = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id, dueDate: inDays(-1) }, asA);
    expect(errorOf(early)).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'DUE_BEFORE_ISSUE',
      field: 'dueDate',
      issueDate: today,
    });
    for (const dueDate of ['2030-02-30', '31/01/2030', '2030-01-31T00:00:00Z']) {
      const malformed = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id, dueDate }, asA);
      expect(errorOf(malformed)).toMatchObject({
        code: 'BAD_USER_INPUT',
        validationErrors: [expect.objectContaining({ property: 'dueDate' })],
      });
    }
    expect(await invoiced()).toBe(before); // nothing written, not even a number
    const overridden = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id, dueDate: '2099-01-31' }, asA);
    expect(overridden.data!.createInvoiceFromQuote).toMatchObject({
      number: `INV-${year}-${String(before + 1).padStart(4, '0')}`,
      issueDate: today,
      dueDate: '2099-01-31',
    });
  });

  it("keeps tenants apart: B cannot read, list, invoice, pay or void A's data", async () => {
    const quote = await acceptedQuote(app, 'biller', quoteInput({ title: 'Secret of A' }));
    const invoice = await invoiceFor(quote.id);
    const otherQuote = await acceptedQuote(app, 'biller', quoteInput());
    expect(errorOf(await app.gql(InvoiceByIdDocument, { id: invoice.id }, asB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: otherQuote.id }, asB))).toMatchObject({
      code: 'NOT_FOUND',
      entity: 'Quote',
    });
    expect(errorOf(await app.gql(MarkInvoicePaidDocument, { id: invoice.id }, asB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await app.gql(VoidInvoiceDocument, { id: invoice.id }, asB))?.code).toBe('NOT_FOUND');
    expect(errorOf(await app.gql(SendInvoiceDocument, { id: invoice.id }, asB))?.code).toBe('NOT_FOUND');
    expect(await outboxRows(invoice.id)).toBe(0);
    expect((await app.gql(InvoicesDocument, {}, asB)).data!.invoices.totalCount).toBe(0);
    expect((await app.gql(InvoiceByIdDocument, { id: invoice.id }, asA)).data!.invoice).toMatchObject({
      status: 'DRAFT',
      title: 'Secret of A',
    });
    // B's failed attempt took nothing from its own invoices allowance.
    const [counter] = await app.dataSource.query(
      `SELECT count(*)::int AS n FROM public.usage_counters c JOIN public.tenants t ON t.id = c.tenant_id WHERE t.slug = 'outsider' AND c.metric = 'invoices'`,
    );
    expect(counter.n).toBe(0);
  });
});
