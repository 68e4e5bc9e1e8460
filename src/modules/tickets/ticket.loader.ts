import { In } from 'typeorm';
import { allEach } from '../../core/graphql/relations';
import { defineBatchLoad } from '../../core/tenancy/operation-scope';
import { TicketMessage, TicketStatusChange } from './ticket.entity';

/** Messages of many tickets, oldest first: one query per batch (a thread not preloaded by the root resolver). */
export const messagesByTicket = defineBatchLoad<string, TicketMessage[]>(async ({ manager }, ticketIds) => {
  const rows = await manager.find(TicketMessage, {
    where: { ticketId: In([...ticketIds]) },
    order: { createdAt: 'ASC', id: 'ASC' },
  });
  return allEach(ticketIds, rows, (message) => message.ticketId);
});

/** Status changes of many tickets, oldest first: one query per batch. */
export const statusHistoryByTicket = defineBatchLoad<string, TicketStatusChange[]>(async ({ manager }, ticketIds) => {
  const rows = await manager.find(TicketStatusChange, {
    where: { ticketId: In([...ticketIds]) },
    order: { changedAt: 'ASC', id: 'ASC' },
  });
  return allEach(ticketIds, rows, (change) => change.ticketId);
});
