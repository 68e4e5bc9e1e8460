export { Invoice, InvoiceLineItem } from './invoice.entity';
export { InvoiceStatus } from './invoice-status';
export { InvoiceService } from './invoice.service';
export { InvoiceSender } from './invoice-sending.service';
export { InvoiceResolver } from './invoice.resolver';
export { invoicePdfRoute } from './invoice-pdf.route';
export { InvoiceRelationsResolver, QuoteInvoicesResolver } from './quote-invoices.resolver';
export { CustomerInvoicesResolver } from './customer-invoices.resolver';
