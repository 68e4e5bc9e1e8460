import { registerEnumType } from 'type-graphql';

/** DRAFT → SENT → PAID; DRAFT or SENT → VOID. PAID and VOID are final. */
export enum InvoiceStatus {
  DRAFT = 'DRAFT',
  SENT = 'SENT',
  PAID = 'PAID',
  VOID = 'VOID',
}

registerEnumType(InvoiceStatus, { name: 'InvoiceStatus' });

/** Invoices still waiting for payment: they can be paid or voided. */
export const OPEN_INVOICE_STATUSES: readonly InvoiceStatus[] = [InvoiceStatus.DRAFT, InvoiceStatus.SENT];
