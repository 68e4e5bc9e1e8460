import {
  AcceptQuoteDocument,
  CreateApiKeyDocument,
  CreateCustomerDocument,
  CreateInvoiceFromQuoteDocument,
  CreateQuoteDocument,
  QuoteByIdDocument,
  SendQuoteDocument,
  UpdateQuoteDocumentDocument,
  UpdateTenantSettingsDocument,
  type CreateQuoteInput,
} from '../../../test/generated/graphql';
import { addMember, signUp, type TestAccount } from '../../../test/support/accounts';
import { acceptedQuote } from '../../../test/support/accepted-quote';
import { startMailTestApp, type MailTestApp } from '../../../test/support/mail-test-app';
import { pdfText } from '../../../test/support/pdf-text';
import type { TestApp } from '../../../test/support/test-app';

describe('quote PDFs and sendQuote (real SMTP, real PostgreSQL, through HTTP)', () => {
  let mail: MailTestApp;
  let app: TestApp;
  let owner: TestAccount;
  let outsider: TestAccount;
  let customerId: string;
  const asOwner = () => ({ bearer: owner.token, org: owner.tenant.slug });

  beforeAll(async () => {
    mail = await startMailTestApp();
    app = mail.app;
    owner = await signUp(app, 'owner@pdf.test', 'Himalaya Networks');
    outsider = await signUp(app, 'outsider@pdf.test', 'Other Business');
    await app.gql(
      UpdateTenantSettingsDocument,
      {
        input: {
          legalName: 'Himalaya Networks Pvt Ltd',
          address: 'Lazimpat 12\nKathmandu',
          phone: '+977 1 4412345',
          supportEmail: 'sales@himalaya.example',
        },
      },
      asOwner(),
    );
    customerId = (
      await app.gql(
        CreateCustomerDocument,
        { input: { name: 'Everest Traders', email: 'buyer@everest.example' } },
        asOwner(),
      )
    ).data!.createCustomer.id;
    await app.services.mailOutbox.deliverDue(); // the sign-up mails
  });
  afterAll(() => mail.close());
  beforeEach(() => void (mail.smtp.messages.length = 0));

  const quoteInput = (patch: Partial<CreateQuoteInput> = {}): CreateQuoteInput => ({
    customerId,
    title: 'Office network',
    currency: 'NPR',
    validUntil: '2099-12-31',
    lineItems: [
      { description: 'Cat6 cable run', quantity: '120', unitPrice: '0.35', taxRate: '13' },
      { description: 'Rack installation', quantity: '1', unitPrice: '15000', discountPercent: '10', taxRate: '13' },
    ],
    ...patch,
  });
  const createQuote = async (patch: Partial<CreateQuoteInput> = {}) => {
    const res = await app.gql(CreateQuoteDocument, { input: quoteInput(patch) }, asOwner());
    expect(res.errors).toBeUndefined();
    return res.data!.createQuote;
  };
  const download = (path: string, headers: Record<string, string>) => fetch(`${app.url}${path}`, { headers });
  const outboxRows = async (quoteId: string) =>
    (
      await app.dataSource.query('SELECT count(*)::int AS n FROM public.email_outbox WHERE idempotency_key = $1', [
        `quote-sent:${quoteId}`,
      ])
    )[0].n;

  it('sendQuote mails the customer the PDF of the current documents; the download serves the same bytes', async () => {
    const quote = await createQuote();
    expect(quote.total).toBe('15302.46'); // 42.00 + 4.74 tax; 15000 − 1500 + 1755 tax
    await app.gql(
      UpdateQuoteDocumentDocument,
      { quoteId: quote.id, type: 'SCOPE_OF_WORK', content: '# Scope\nWe cable floors 2 and 3, edited after review.' },
      asOwner(),
    );
    const early = await app.gql(AcceptQuoteDocument, { id: quote.id }, asOwner());
    expect(early.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_SENT' });

    const sent = await app.gql(SendQuoteDocument, { id: quote.id }, asOwner());
    expect(sent.data!.sendQuote).toMatchObject({
      status: 'SENT',
      sentAt: expect.any(String),
      sentBy: `user:${owner.userId}`,
    });
    expect(await app.services.mailOutbox.deliverDue()).toMatchObject({ sent: 1 });

    expect(mail.smtp.messages).toHaveLength(1);
    const [message] = mail.smtp.messages;
    expect(message).toMatchObject({
      to: ['buyer@everest.example'],
      replyTo: 'sales@himalaya.example',
      subject: `Quote ${quote.number} from Himalaya Networks Pvt Ltd: Office network`,
    });
    expect(message.from).toContain('Himalaya Networks Pvt Ltd');
    expect(message.attachments).toEqual([
      expect.objectContaining({ filename: `${quote.number}.pdf`, contentType: 'application/pdf' }),
    ]);
    const attached = message.attachments[0].content;
    expect(attached.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(attached);
    for (const expected of [
      quote.number,
      'Everest Traders',
      'Cat6 cable run',
      'Rack installation',
      '15302.46 NPR',
      'Himalaya Networks Pvt Ltd',
      'Lazimpat 12',
      'edited after review',
      'Dear Everest Traders',
      'Terms and conditions',
      'Page 1 of',
    ]) {
      expect(text).toContain(expected);
    }
    // The cover letter comes first.
    expect(text.indexOf('Dear Everest Traders')).toBeLessThan(text.indexOf('Rack installation'));

    const res = await download(`/quotes/${quote.id}/pdf`, {
      authorization: `Bearer ${owner.token}`,
      'x-organization-id': owner.tenant.slug,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${quote.number}.pdf"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(attached)).toBe(true);

    // Sent once: a second send is refused and mails nothing.
    const again = await app.gql(SendQuoteDocument, { id: quote.id }, asOwner());
    expect(again.errors![0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'QUOTE_NOT_DRAFT', status: 'SENT' });
    await app.services.mailOutbox.deliverDue();
    expect(mail.smtp.messages).toHaveLength(1);
    expect(await outboxRows(quote.id)).toBe(1);

    const accepted = await app.gql(AcceptQuoteDocument, { id: quote.id }, asOwner());
    expect(accepted.data!.acceptQuote).toMatchObject({ status: 'ACCEPTED', decidedBy: `user:${owner.userId}` });
  });

  it('refuses to send to a customer without an email and leaves the quote a DRAFT with no mail', async () => {
    const silent = (await app.gql(CreateCustomerDocument, { input: { name: 'No Mail Ltd' } }, asOwner())).data!
      .createCustomer.id;
    const quote = await createQuote({ customerId: silent });
    const res = await app.gql(SendQuoteDocument, { id: quote.id }, asOwner());
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'CUSTOMER_HAS_NO_EMAIL' });
    expect((await app.gql(QuoteByIdDocument, { id: quote.id }, asOwner())).data!.quote).toMatchObject({
      status: 'DRAFT',
      sentAt: null,
    });
    expect(await outboxRows(quote.id)).toBe(0);
  });

  it('prints a Devanagari customer name and line description with the embedded Noto Sans Devanagari', async () => {
    const nepali = (
      await app.gql(
        CreateCustomerDocument,
        { input: { name: 'नमस्ते पोखरा', email: 'pokhara@everest.example' } },
        asOwner(),
      )
    ).data!.createCustomer.id;
    const quote = await createQuote({
      customerId: nepali,
      lineItems: [{ description: 'केबल जडान, क्षेत्र ३', quantity: '1', unitPrice: '100', taxRate: '13' }],
    });
    const res = await download(`/quotes/${quote.id}/pdf`, {
      authorization: `Bearer ${owner.token}`,
      'x-organization-id': owner.tenant.slug,
    });
    expect(res.status).toBe(200);
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.toString('latin1')).toContain('+NotoSansDevanagari-Regular');
    const text = await pdfText(pdf);
    for (const expected of ['नमस्ते पोखरा', 'केबल जडान, क्षेत्र ३', 'Himalaya Networks Pvt Ltd', '113.00 NPR'])
      expect(text).toContain(expected);
  });

  it('serves the PDF to members and scoped API keys only; another tenant gets no bytes', async () => {
    const quote = await createQuote({ title: 'Secret network' });
    const path = `/quotes/${quote.id}/pdf`;
    const createKey = async (account: TestAccount, scopes: string[]) =>
      (
        await app.gql(
          CreateApiKeyDocument,
          { input: { name: scopes.join(' ') || 'none', scopes } },
          { bearer: account.token, org: account.tenant.slug },
        )
      ).data!.createApiKey.secret;
    const readKey = await createKey(owner, ['quotes:read']);
    const customersKey = await createKey(owner, ['customers:read']);
    const outsiderKey = await createKey(outsider, ['quotes:read']);
    const viewer = await signUp(app, 'viewer@pdf.test', 'Viewer Own Business');
    await addMember(app, owner, viewer, 'VIEWER');

    const ok = async (headers: Record<string, string>) => {
      const res = await download(path, headers);
      expect(res.status).toBe(200);
      expect(await pdfText(Buffer.from(await res.arrayBuffer()))).toContain('Secret network');
    };
    await ok({ 'x-api-key': readKey });
    await ok({ authorization: `Bearer ${viewer.token}`, 'x-organization-id': owner.tenant.slug });

    const refused = async (headers: Record<string, string>, status: number, code: string, target = path) => {
      const res = await download(target, headers);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe(
        code,
      );
    };
    await refused({}, 401, 'UNAUTHENTICATED');
    await refused({ 'x-api-key': customersKey }, 403, 'FORBIDDEN');
    // Another tenant, in its own organization or with its own key: the id does not exist there.
    await refused(
      { authorization: `Bearer ${outsider.token}`, 'x-organization-id': outsider.tenant.slug },
      404,
      'NOT_FOUND',
    );
    await refused({ 'x-api-key': outsiderKey }, 404, 'NOT_FOUND');
    // …and it cannot name the owner's organization.
    await refused(
      { authorization: `Bearer ${outsider.token}`, 'x-organization-id': owner.tenant.slug },
      403,
      'FORBIDDEN',
    );
    await refused({ 'x-api-key': readKey }, 404, 'NOT_FOUND', '/quotes/not-a-uuid/pdf');
  });

  it('renders an invoice PDF at GET /invoices/:id/pdf, for its own tenant only', async () => {
    const quote = await acceptedQuote(app, owner.tenant.slug, quoteInput({ title: 'Billed network' }));
    const invoice = (await app.gql(CreateInvoiceFromQuoteDocument, { quoteId: quote.id }, asOwner())).data!
      .createInvoiceFromQuote;
    const res = await download(`/invoices/${invoice.id}/pdf`, {
      authorization: `Bearer ${owner.token}`,
      'x-organization-id': owner.tenant.slug,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${invoice.number}.pdf"`);
    const text = await pdfText(Buffer.from(await res.arrayBuffer()));
    for (const expected of [
      `Invoice ${invoice.number}`,
      'Everest Traders',
      'Rack installation',
      '15302.46 NPR',
      'Himalaya Networks Pvt Ltd',
      `Due date: ${invoice.dueDate}`,
    ])
      expect(text).toContain(expected);

    const foreign = await download(`/invoices/${invoice.id}/pdf`, {
      authorization: `Bearer ${outsider.token}`,
      'x-organization-id': outsider.tenant.slug,
    });
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toMatch(/^application\/json/);
  });
});
