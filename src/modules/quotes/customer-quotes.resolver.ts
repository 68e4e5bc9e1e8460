import { CustomerConnectionResolver } from '../customers';
import { QuoteConnection, QuotesArgs } from './quote.inputs';

/** Customer.quotes (QuoteService.pagesForCustomers). */
export const CustomerQuotesResolver = CustomerConnectionResolver({
  name: 'quotes',
  resource: 'quotes',
  connection: QuoteConnection,
  args: QuotesArgs,
});
