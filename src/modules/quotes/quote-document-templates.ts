import { QuoteDocumentType } from './quote-document.entity';
import type { Quote } from './quote.entity';

/** Company details from tenant settings; missing ones are left out of the documents. */
export interface CompanyDetails {
  legalName: string | null;
  address: string | null;
  phone: string | null;
  supportEmail: string | null;
}

const lines = (...parts: (string | null | false | undefined)[]) =>
  parts.filter((p) => p !== null && p !== false && p !== undefined).join('\n');

/** The first version of each document: plain-text templates filled from the quote and the company. */
export function renderQuoteDocuments(
  quote: Quote,
  customerName: string,
  company: CompanyDetails,
): Record<QuoteDocumentType, string> {
  const sender = company.legalName ?? 'Our company';
  const letterhead = lines(sender, company.address, company.phone, company.supportEmail);
  return {
    [QuoteDocumentType.QUOTE]: lines(
      letterhead,
      '',
      `Quote ${quote.number}: ${quote.title}`,
      `For: ${customerName}`,
      `Valid until: ${quote.validUntil}`,
      '',
      ...quote.lineItems.map(
        (l) =>
          `${l.position}. ${l.description} — ${l.quantity} × ${l.unitPrice} ${quote.currency}, discount ${l.discountPercent}%, tax ${l.taxRate}%: ${l.total}`,
      ),
      '',
      `Subtotal: ${quote.subtotal} ${quote.currency}`,
      `Discount: ${quote.discount} ${quote.currency}`,
      `Tax: ${quote.tax} ${quote.currency}`,
      `Total: ${quote.total} ${quote.currency}`,
    ),
    [QuoteDocumentType.SCOPE_OF_WORK]: lines(
      `Scope of work — ${quote.title} (${quote.number})`,
      '',
      `${sender} will deliver the following for ${customerName}:`,
      ...quote.lineItems.map((l) => `- ${l.description} (${l.quantity})`),
    ),
    [QuoteDocumentType.TERMS_AND_CONDITIONS]: lines(
      `Terms and conditions — ${quote.number}`,
      '',
      `1. This offer is valid until ${quote.validUntil}.`,
      `2. Prices are in ${quote.currency} and include the taxes shown.`,
      '3. Work starts once the quote is accepted in writing.',
    ),
    [QuoteDocumentType.COVER_LETTER]: lines(
      letterhead,
      '',
      `Dear ${customerName},`,
      '',
      `Thank you for your request. Please find our quote ${quote.number} for "${quote.title}" attached,`,
      `totalling ${quote.total} ${quote.currency} and valid until ${quote.validUntil}.`,
      '',
      'Kind regards,',
      sender,
    ),
  };
}
