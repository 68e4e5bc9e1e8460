import { CustomerConnectionResolver } from '../customers';
import { InvoiceConnection, InvoicesArgs } from './invoice.inputs';

/** Customer.invoices (InvoiceService.pagesForCustomers). */
export const CustomerInvoicesResolver = CustomerConnectionResolver({
  name: 'invoices',
  resource: 'invoices',
  connection: InvoiceConnection,
  args: InvoicesArgs,
});
