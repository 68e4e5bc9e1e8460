import type { EntityManager } from 'typeorm';
import type { CustomerService } from '../customers';
import { pdfDownloadRoute } from '../quotes';
import type { TenantSettings } from '../settings';
import { renderInvoicePdf } from './invoice-pdf';
import type { InvoiceService } from './invoice.service';

export interface InvoicePdfDeps {
  invoices: Pick<InvoiceService, 'get'>;
  customers: Pick<CustomerService, 'get'>;
  settingsOf: (em: EntityManager) => Promise<TenantSettings>;
}

/** GET /invoices/:id/pdf (invoices:read). */
export const invoicePdfRoute = (deps: InvoicePdfDeps) =>
  pdfDownloadRoute('/invoices/:id/pdf', 'invoices', async (em, id) => {
    const invoice = await deps.invoices.get(em, id);
    return renderInvoicePdf(await deps.settingsOf(em), invoice, await deps.customers.get(em, invoice.customerId));
  });
