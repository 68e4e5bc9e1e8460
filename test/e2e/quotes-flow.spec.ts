import {
  AcceptQuoteDocument,
  ActivateContractDocument,
  ContractByIdDocument,
  CreateCustomerDocument,
  CreateInvoiceFromQuoteDocument,
  CreateProductDocument,
  GenerateContractFromQuoteDocument,
  GenerateQuoteDocument,
  GenerateQuoteFromContractDocument,
  InvoiceByIdDocument,
  InvoicesDocument,
  MarkInvoicePaidDocument,
  QuoteByIdDocument,
  QuoteDocumentDocument,
  RestoreQuoteDocumentVersionDocument,
  SendQuoteDocument,
  TerminateContractDocument,
  UpdateQuoteDocumentDocument,
  VoidInvoiceDocument,
} from '../generated/graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { signUp, type TestAccount } from '../support/accounts';
import { startMailTestApp, type MailTestApp } from '../support/mail-test-app';
import { pdfText } from '../support/pdf-text';

const DOCUMENT_TYPES = ['QUOTE', 'SCOPE_OF_WORK', 'TERMS_AND_CONDITIONS', 'COVER_LETTER'] as const;

/**
 * Issue #6 end to end, through HTTP on real PostgreSQL and a real SMTP server: catalog →
 * generateQuote from a customer's request → four documents → edit one twice and restore
 * version 1 → send (the mail with the PDF arrives) → accept → contract → renewal quote, and
 * invoices up to the FREE plan's monthly limit. Another organization can touch none of it.
 */
describe('quotes flow: request to quote, contract, renewal and invoices', () => {
  let mail: MailTestApp;
  let seller: TestAccount;
  let intruder: TestAccount;
  const asSeller = () => ({ bearer: seller.token, org: seller.tenant.slug });
  const errorOf = (res: { errors?: { extensions: Record<string, unknown> }[] }) => res.errors?.[0].extensions;

  /** The intruder, a signed-in owner of another organization: NOT_FOUND in its own, FORBIDDEN in the seller's. */
  const refusedToIntruder = async <T, V>(document: TypedDocumentNode<T, V>, variables: V) => {
    expect(
      errorOf(await mail.app.gql(document, variables, { bearer: intruder.token, org: intruder.tenant.slug }))?.code,
    ).toBe('NOT_FOUND');
    expect(
      errorOf(await mail.app.gql(document, variables, { bearer: intruder.token, org: seller.tenant.slug }))?.code,
    ).toBe('FORBIDDEN');
  };
  const download = (path: string, account: TestAccount, org = account.tenant.slug) =>
    fetch(`${mail.app.url}${path}`, {
      headers: { authorization: `Bearer ${account.token}`, 'x-organization-id': org },
    });

  beforeAll(async () => {
    mail = await startMailTestApp();
    seller = await signUp(mail.app, 'owner@himal-networks.test', 'Himal Networks');
    intruder = await signUp(mail.app, 'owner@elsewhere.test', 'Elsewhere Supplies');
  });
  afterAll(() => mail.close());

  it('runs the whole chain, and keeps every step out of reach of another organization', async () => {
    const { app } = mail;
    const year = new Date().getUTCFullYear();

    // Catalog.
    for (const input of [
      { name: 'Cat6 cable', sku: 'CAB-6', unitPrice: '0.50', unit: 'metre', taxRate: '13' },
      { name: 'Wireless access point', sku: 'AP-1', unitPrice: '120.00', unit: 'piece', taxRate: '13' },
      { name: 'Network installation labour', sku: 'LAB-1', unitPrice: '25.00', unit: 'hour', taxRate: '13' },
    ]) {
      expect(
        (await app.gql(CreateProductDocument, { input: { currency: 'NPR', ...input } }, asSeller())).errors,
      ).toBeUndefined();
    }
    const customerId = (
      await app.gql(CreateCustomerDocument, { input: { name: 'Himal Traders', email: 'buyer@himal.test' } }, asSeller())
    ).data!.createCustomer.id;

    // A quote generated from the customer's request, priced from the catalog.
    const generated = await app.gql(
      GenerateQuoteDocument,
      {
        input: {
          customerId,
          quoteTitle: 'Office network',
          currency: 'NPR',
          customerRequest: '50 metres of Cat6 cable, 3 wireless access points and 2.5 hours of installation labour',
        },
      },
      asSeller(),
    );
    expect(generated.errors).toBeUndefined();
    const quote = generated.data!.generateQuote.quote;
    // 25.00 + 3.25 tax; 360.00 + 46.80; 62.50 + 8.13 (8.125 rounded half up)
    expect(quote).toMatchObject({
      status: 'DRAFT',
      number: `Q-${year}-0001`,
      subtotal: '447.50',
      tax: '58.18',
      total: '505.68',
    });
    expect(quote.lineItems.map((l) => [l.description, l.quantity])).toEqual([
      ['Cat6 cable', '50.000'],
      ['Wireless access point', '3.000'],
      ['Network installation labour', '2.500'],
    ]);

    // Four documents, version 1 each; one edited twice, then version 1 restored (as version 4).
    for (const type of DOCUMENT_TYPES) {
      const doc = (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type }, asSeller())).data!.quoteDocument;
      expect(doc).toMatchObject({ type, currentVersion: 1 });
      expect(doc.content).toContain(quote.number);
    }
    const type = 'SCOPE_OF_WORK' as const;
    const original = (await app.gql(QuoteDocumentDocument, { quoteId: quote.id, type }, asSeller())).data!.quoteDocument
      .content;
    await app.gql(UpdateQuoteDocumentDocument, { quoteId: quote.id, type, content: 'Scope, second draft' }, asSeller());
    await app.gql(UpdateQuoteDocumentDocument, { quoteId: quote.id, type, content: 'Scope, third draft' }, asSeller());
    const restored = (
      await app.gql(RestoreQuoteDocumentVersionDocument, { quoteId: quote.id, type, version: 1 }, asSeller())
    ).data!.restoreQuoteDocumentVersion;
    expect(restored).toMatchObject({ currentVersion: 4, content: original });
    expect(restored.versions.map((v) => v.content)).toEqual([
      original,
      'Scope, second draft',
      'Scope, third draft',
      original,
    ]);

    // The intruder can neither read nor edit the quote or its documents.
    await refusedToIntruder(QuoteByIdDocument, { id: quote.id });
    await refusedToIntruder(QuoteDocumentDocument, { quoteId: quote.id, type });
    await refusedToIntruder(UpdateQuoteDocumentDocument, { quoteId: quote.id, type, content: 'x' });
    await refusedToIntruder(AcceptQuoteDocument, { id: quote.id });

    // Sent: the mail with the quote's PDF reaches the customer through a real SMTP server.
    await refusedToIntruder(SendQuoteDocument, { id: quote.id });
    expect((await app.gql(SendQuoteDocument, { id: quote.id }, asSeller())).data!.sendQuote.status).toBe('SENT');
    await app.services.mailOutbox.deliverDue();
    const [sent] = mail.smtp.to('buyer@himal.test');
    expect(sent.subject).toContain(quote.number);
    const attachment = sent.attachments.find((a) => a.contentType === 'application/pdf')!;
    const mailedText = await pdfText(attachment.content);
    expect(mailedText).toContain(quote.number);
    expect(mailedText).toContain('505.68');
    // The seller downloads the same PDF; the intruder cannot, from either organization.
    const downloaded = await download(`/quotes/${quote.id}/pdf`, seller);
    expect(downloaded.status).toBe(200);
    expect(await pdfText(Buffer.from(await downloaded.arrayBuffer()))).toContain(quote.number);
    expect((await download(`/quotes/${quote.id}/pdf`, intruder)).status).toBe(404);
    expect((await download(`/quotes/${quote.id}/pdf`, intruder, seller.tenant.slug)).status).toBe(403);

    // The customer accepts; the accepted quote becomes a contract, which is activated and renewed.
    expect((await app.gql(AcceptQuoteDocument, { id: quote.id }, asSeller())).data!.acceptQuote.status).toBe(
      'ACCEPTED',
    );
    await refusedToIntruder(GenerateContractFromQuoteDocument, { quoteId: quote.id });
    const contract = (await app.gql(GenerateContractFromQuoteDocument, { quoteId: quote.id }, asSeller())).data!
      .generateContractFromQuote;
    expect(contract).toMatchObject({ number: `C-${year}-0001`, quoteId: quote.id, status: 'DRAFT', value: '505.68' });
    expect(contract.lineItems.map((l) => [l.description, l.quantity, l.total])).toEqual(
      quote.lineItems.map((l) => [l.description, l.quantity, l.total]),
    );
    expect(
      (await app.gql(ActivateContractDocument, { id: contract.id }, asSeller())).data!.activateContract.status,
    ).toBe('ACTIVE');
    await refusedToIntruder(ContractByIdDocument, { id: contract.id });
    await refusedToIntruder(TerminateContractDocument, { id: contract.id, reason: 'x' });
    await refusedToIntruder(GenerateQuoteFromContractDocument, { contractId: contract.id });
    const renewal = (await app.gql(GenerateQuoteFromContractDocument, { contractId: contract.id }, asSeller())).data!
      .generateQuoteFromContract;
    expect(renewal).toMatchObject({ status: 'DRAFT', number: `Q-${year}-0002`, customerId, total: '505.68' });
    expect(renewal.lineItems).toEqual(contract.lineItems);

    // Invoices on the FREE plan: 10 a month. Voiding does not give one back.
    await app.dataSource.transaction((em) => app.services.plans.cancelToFree(em, seller.tenant.id));
    await refusedToIntruder(CreateInvoiceFromQuoteDocument, { quoteId: quote.id });
    let invoice = (await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asSeller())).data!
      .createInvoiceFromQuote;
    expect(invoice).toMatchObject({
      number: `INV-${year}-0001`,
      quoteId: quote.id,
      status: 'DRAFT',
      total: '505.68',
      subtotal: '447.50',
      tax: '58.18',
    });
    await refusedToIntruder(InvoiceByIdDocument, { id: invoice.id });
    await refusedToIntruder(MarkInvoicePaidDocument, { id: invoice.id });
    await refusedToIntruder(VoidInvoiceDocument, { id: invoice.id });
    const invoicePdf = await download(`/invoices/${invoice.id}/pdf`, seller);
    expect(invoicePdf.status).toBe(200);
    expect(await pdfText(Buffer.from(await invoicePdf.arrayBuffer()))).toContain(invoice.number);
    expect((await download(`/invoices/${invoice.id}/pdf`, intruder)).status).toBe(404);
    expect((await download(`/invoices/${invoice.id}/pdf`, intruder, seller.tenant.slug)).status).toBe(403);
    for (let n = 2; n <= 10; n++) {
      expect((await app.gql(VoidInvoiceDocument, { id: invoice.id }, asSeller())).data!.voidInvoice.status).toBe(
        'VOID',
      );
      invoice = (await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asSeller())).data!
        .createInvoiceFromQuote;
      expect(invoice.number).toBe(`INV-${year}-${String(n).padStart(4, '0')}`);
    }
    await app.gql(VoidInvoiceDocument, { id: invoice.id }, asSeller());
    const eleventh = await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asSeller());
    expect(errorOf(eleventh)).toMatchObject({ code: 'LIMIT_EXCEEDED', feature: 'invoices', limit: 10, used: 10 });
    const listed = (await app.gql(InvoicesDocument, { first: 100 }, asSeller())).data!.invoices;
    expect(listed.totalCount).toBe(10);
    expect(listed.edges.every((e) => e.node.status === 'VOID')).toBe(true);
  });
});
