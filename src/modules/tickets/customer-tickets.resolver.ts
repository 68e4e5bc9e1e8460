import { CustomerConnectionResolver } from '../customers';
import { TicketConnection, TicketsArgs } from './ticket.inputs';

/** Customer.tickets (TicketService.pagesForCustomers). */
export const CustomerTicketsResolver = CustomerConnectionResolver({
  name: 'tickets',
  resource: 'tickets',
  connection: TicketConnection,
  args: TicketsArgs,
});
