import type { EntityManager } from 'typeorm';
import { todayIn } from '../../core/calendar';
import { logoFromDataUrl, renderPdf, type PdfBlock, type PdfBranding } from '../../integrations/pdf';
import type { Customer, CustomerService } from '../customers';
import type { TenantSettings } from '../settings';
import { QuoteDocumentType } from './quote-document.entity';
import type { QuoteDocumentService } from './quote-document.service';
import type { Quote } from './quote.entity';
import type { QuoteService } from './quote.service';

/** What a priced document (quote, contract, invoice) shows in its table and totals. */
export interface PricedDocument {
  currency: string;
  subtotal: string;
  discount: string;
  tax: string;
  total: string;
  lineItems: {
    position: number;
    description: string;
    quantity: string;
    unitPrice: string;
    discountPercent: string;
    taxRate: string;
    total: string;
  }[];
}

/** A rendered PDF, named after the document's number. */
export interface PdfFile {
  filename: string;
  content: Buffer;
}

/** How documents and mails name the tenant; the fallback matches the document templates'. */
export const companyNameOf = (settings: TenantSettings): string => settings.legalName ?? 'Our company';

/** The letterhead from the tenant's settings. Only a data: URL logo is drawn: a render never fetches a remote logo. */
export function brandingOf(settings: TenantSettings): PdfBranding {
  return {
    companyName: companyNameOf(settings),
    address: settings.address,
    phone: settings.phone,
    email: settings.supportEmail,
    logo: logoFromDataUrl(settings.logoUrl),
  };
}

/** The line table and totals: amounts exactly as stored, with the currency code (no float formatting). */
export function pricedBlocks(doc: PricedDocument): PdfBlock[] {
  const money = (amount: string) => `${amount} ${doc.currency}`;
  return [
    {
      kind: 'table',
      columns: [
        { header: '#', width: 4 },
        { header: 'Description', width: 36 },
        { header: 'Qty', width: 10, align: 'right' },
        { header: 'Unit price', width: 14, align: 'right' },
        { header: 'Disc. %', width: 9, align: 'right' },
        { header: 'Tax %', width: 9, align: 'right' },
        { header: 'Total', width: 18, align: 'right' },
      ],
      rows: doc.lineItems.map((l) => [
        String(l.position),
        l.description,
        l.quantity,
        l.unitPrice,
        l.discountPercent,
        l.taxRate,
        l.total,
      ]),
    },
    {
      kind: 'totals',
      rows: [
        { label: 'Subtotal', value: money(doc.subtotal) },
        { label: 'Discount', value: money(doc.discount) },
        { label: 'Tax', value: money(doc.tax) },
        { label: 'Total', value: money(doc.total), strong: true },
      ],
    },
  ];
}

/** The documents in the PDF, in reading order: the cover letter first. */
const DOCUMENT_ORDER: [QuoteDocumentType, string][] = [
  [QuoteDocumentType.COVER_LETTER, 'Cover letter'],
  [QuoteDocumentType.QUOTE, 'Quote'],
  [QuoteDocumentType.SCOPE_OF_WORK, 'Scope of work'],
  [QuoteDocumentType.TERMS_AND_CONDITIONS, 'Terms and conditions'],
];

export interface QuotePdfDeps {
  quotes: Pick<QuoteService, 'get'>;
  documents: Pick<QuoteDocumentService, 'currentVersions'>;
  customers: Pick<CustomerService, 'get'>;
  settingsOf: (em: EntityManager) => Promise<TenantSettings>;
}

/**
 * A quote as a PDF: its header, the current version of its four documents, its lines and totals, with the tenant's
 * letterhead.
 */
export class QuotePdf {
  constructor(private readonly deps: QuotePdfDeps) {}

  async render(em: EntityManager, quoteId: string): Promise<PdfFile> {
    const quote = await this.deps.quotes.get(em, quoteId);
    return this.renderQuote(
      em,
      quote,
      await this.deps.customers.get(em, quote.customerId),
      await this.deps.settingsOf(em),
    );
  }

  /** For a quote (its customer and the tenant's settings) the caller already holds, e.g. while sending it. */
  async renderQuote(em: EntityManager, quote: Quote, customer: Customer, settings: TenantSettings): Promise<PdfFile> {
    const versions = await this.deps.documents.currentVersions(em, quote.id);
    const contentOf = new Map(versions.map((v) => [v.type, v.content]));
    const localDate = (at: Date) => todayIn(settings.timezone, at);
    // Dated by the last change, so the same quote always renders to the same bytes.
    const changedAt = new Date(Math.max(quote.updatedAt.getTime(), ...versions.map((v) => v.createdAt.getTime())));
    const meta = [
      { label: 'Customer', value: customer.name },
      { label: 'Subject', value: quote.title },
      { label: 'Status', value: quote.status },
      { label: 'Date', value: localDate(quote.sentAt ?? quote.createdAt) },
      { label: 'Valid until', value: quote.validUntil },
    ];
    const documents = (types: [QuoteDocumentType, string][]): PdfBlock[] =>
      types.map(([type, heading]) => ({ kind: 'text', heading, text: contentOf.get(type) ?? '' }));
    const content = await renderPdf({
      createdAt: changedAt,
      title: `Quote ${quote.number}`,
      branding: brandingOf(settings),
      meta,
      blocks: [
        ...documents(DOCUMENT_ORDER.slice(0, 1)),
        { kind: 'text', heading: 'Prices', text: '' },
        ...pricedBlocks(quote),
        ...documents(DOCUMENT_ORDER.slice(1)),
      ],
    });
    return { filename: `${quote.number}.pdf`, content };
  }
}
