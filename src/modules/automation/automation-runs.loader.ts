import { In } from 'typeorm';
import { allEach } from '../../core/graphql/relations';
import { defineBatchLoad } from '../../core/tenancy/operation-scope';
import { AutomationRun } from './automation-run.entity';

/** Ticket.automationRuns: the runs of many tickets in recording order, one query per batch. */
export const automationRunsByTicket = defineBatchLoad<string, AutomationRun[]>(async ({ manager }, ticketIds) => {
  const rows = await manager.find(AutomationRun, {
    where: { ticketId: In([...ticketIds]) },
    order: { seq: 'ASC' },
  });
  return allEach(ticketIds, rows, (run) => run.ticketId);
});
