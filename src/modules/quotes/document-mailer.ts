import type { EntityManager } from 'typeorm';
import { BadUserInputError } from '../../core/errors/app-error';
import type { MailContent, MailOutbox } from '../../integrations/mail';
import type { Customer, CustomerService } from '../customers';
import type { TenantSettings } from '../settings';
import { companyNameOf, type PdfFile } from './quote-pdf';

export interface DocumentMailerDeps {
  customers: Pick<CustomerService, 'get'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  settingsOf: (em: EntityManager) => Promise<TenantSettings>;
}

export interface DocumentMail {
  /** What is sent ("quote", "invoice"), as the error names it. */
  kind: string;
  customerId: string;
  /** A document leaves DRAFT once, so one key per document is one mail however often sending is tried. */
  idempotencyKey: string;
  content: (names: { customerName: string; companyName: string }) => MailContent;
  /** Given the settings the mailer already read, so a send reads them once. */
  pdf: (customer: Customer, settings: TenantSettings) => Promise<PdfFile>;
}

/**
 * Mails a document (quote, invoice) to its customer with its PDF attached, queued in the
 * caller's transaction: the caller's status change and the mail commit together. Sent under
 * the tenant's legal name; replies go to its support address.
 */
export class DocumentMailer {
  constructor(private readonly deps: DocumentMailerDeps) {}

  async send(em: EntityManager, mail: DocumentMail): Promise<void> {
    const customer = await this.deps.customers.get(em, mail.customerId);
    if (!customer.email) {
      throw new BadUserInputError(`The customer has no email address to send the ${mail.kind} to`, {
        reason: 'CUSTOMER_HAS_NO_EMAIL',
        customerId: customer.id,
      });
    }
    const settings = await this.deps.settingsOf(em);
    const pdf = await mail.pdf(customer, settings);
    await this.deps.outbox.enqueue(em, {
      ...mail.content({ customerName: customer.name, companyName: companyNameOf(settings) }),
      idempotencyKey: mail.idempotencyKey,
      to: customer.email,
      fromName: settings.legalName ?? undefined,
      replyTo: settings.supportEmail ?? undefined,
      attachments: [{ filename: pdf.filename, contentType: 'application/pdf', content: pdf.content }],
    });
  }
}
