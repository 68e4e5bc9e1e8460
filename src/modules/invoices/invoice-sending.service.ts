import type { EntityManager } from 'typeorm';
import type { MailTemplates } from '../../integrations/mail';
import type { DocumentMailer } from '../quotes';
import type { Invoice } from './invoice.entity';
import { renderInvoicePdf } from './invoice-pdf';
import type { InvoiceService } from './invoice.service';

export interface InvoiceSenderDeps {
  invoices: Pick<InvoiceService, 'markSent'>;
  mailer: Pick<DocumentMailer, 'send'>;
  templates: Pick<MailTemplates, 'invoiceSent'>;
}

/**
 * sendInvoice: the invoice becomes SENT and its PDF is queued for the customer in the same
 * transaction, so an invoice is SENT exactly when its mail exists (a failure leaves a DRAFT
 * and no mail).
 */
export class InvoiceSender {
  constructor(private readonly deps: InvoiceSenderDeps) {}

  async send(em: EntityManager, id: string, author: string): Promise<Invoice> {
    const invoice = await this.deps.invoices.markSent(em, id, author);
    await this.deps.mailer.send(em, {
      kind: 'invoice',
      customerId: invoice.customerId,
      idempotencyKey: `invoice-sent:${invoice.id}`,
      pdf: async (customer, settings) => renderInvoicePdf(settings, invoice, customer),
      content: (names) =>
        this.deps.templates.invoiceSent({
          ...names,
          invoiceNumber: invoice.number,
          invoiceTitle: invoice.title,
          total: `${invoice.total} ${invoice.currency}`,
          dueDate: invoice.dueDate,
        }),
    });
    return invoice;
  }
}
