import type { EntityManager } from 'typeorm';
import type { MailTemplates } from '../../integrations/mail';
import type { DocumentMailer } from './document-mailer';
import type { Quote } from './quote.entity';
import type { QuotePdf } from './quote-pdf';
import type { QuoteService } from './quote.service';

export interface QuoteSenderDeps {
  quotes: Pick<QuoteService, 'markSent'>;
  pdf: Pick<QuotePdf, 'renderQuote'>;
  mailer: Pick<DocumentMailer, 'send'>;
  templates: Pick<MailTemplates, 'quoteSent'>;
}

/**
 * sendQuote: the quote becomes SENT and its PDF is queued for the customer in the same
 * transaction, so a quote is SENT exactly when its mail exists (a failure leaves a DRAFT and
 * no mail).
 */
export class QuoteSender {
  constructor(private readonly deps: QuoteSenderDeps) {}

  async send(em: EntityManager, id: string, author: string): Promise<Quote> {
    const quote = await this.deps.quotes.markSent(em, id, author);
    await this.deps.mailer.send(em, {
      kind: 'quote',
      customerId: quote.customerId,
      idempotencyKey: `quote-sent:${quote.id}`,
      pdf: (customer, settings) => this.deps.pdf.renderQuote(em, quote, customer, settings),
      content: (names) =>
        this.deps.templates.quoteSent({
          ...names,
          quoteNumber: quote.number,
          quoteTitle: quote.title,
          total: `${quote.total} ${quote.currency}`,
          validUntil: quote.validUntil,
        }),
    });
    return quote;
  }
}
