import type { EntityManager } from 'typeorm';
import { changedByHooks, fieldChanges, recordEvent, type NewDomainEvent } from '../../core/events';
import type { Ticket, TicketMessage } from './ticket.entity';
import type { TicketChannel } from './ticket-enums';
import { SlaStatus, type SlaTarget } from './sla-status';

/** What a ticket's events carry about it (payload v1): enough to route and show it, no thread text. */
function ticketPayload(ticket: Ticket) {
  return {
    ticketId: ticket.id,
    number: ticket.number,
    subject: ticket.subject,
    status: ticket.status,
    priority: ticket.priority,
    channel: ticket.channel,
    customerId: ticket.customerId,
    assigneeId: ticket.assigneeId,
  };
}

/** The fields whose change is a `ticket.updated` (the description is not: it carries no state). */
const TRACKED = ['status', 'priority', 'assigneeId', 'customerId', 'subject', 'tags'] as const;

export type TicketSnapshot = Pick<Ticket, (typeof TRACKED)[number]>;

/** The tracked fields as they are now, to compare with after a change (`recordTicketUpdated`). */
export function ticketSnapshot(ticket: Ticket): TicketSnapshot {
  return {
    status: ticket.status,
    priority: ticket.priority,
    assigneeId: ticket.assigneeId,
    customerId: ticket.customerId,
    subject: ticket.subject,
    tags: [...ticket.tags],
  };
}

async function recordReacting(em: EntityManager, event: NewDomainEvent): Promise<boolean> {
  await recordEvent(em, event);
  return changedByHooks(event);
}

/** These answer true when an event hook (automation rules) changed the ticket: the caller reads it again. */
export function recordTicketCreated(em: EntityManager, ticket: Ticket): Promise<boolean> {
  return recordReacting(em, { type: 'ticket.created', entityId: ticket.id, payload: ticketPayload(ticket) });
}

/** One `ticket.updated` naming what changed since `before` (before/after in the payload too); none when nothing did. */
export async function recordTicketUpdated(em: EntityManager, before: TicketSnapshot, ticket: Ticket): Promise<boolean> {
  const changes = fieldChanges(before, ticketSnapshot(ticket), TRACKED);
  if (!changes.length) return false;
  return recordReacting(em, {
    type: 'ticket.updated',
    entityId: ticket.id,
    payload: { ...ticketPayload(ticket), changed: changes.map((c) => c.field), changes },
    changes,
  });
}

export function recordMessageAdded(
  em: EntityManager,
  ticket: { id: string; number: number; channel: TicketChannel },
  message: TicketMessage,
): Promise<boolean> {
  return recordReacting(em, {
    type: 'ticket.message_added',
    entityId: ticket.id,
    payload: {
      ticketId: ticket.id,
      number: ticket.number,
      channel: ticket.channel,
      messageId: message.id,
      author: message.author,
      authorUserId: message.authorUserId,
      internal: message.internal,
    },
  });
}

/** An SLA target that newly became AT_RISK or BREACHED (recorded once per target and state, as sla_events is). */
export function recordSlaAlert(
  em: EntityManager,
  alert: {
    ticketId: string;
    number: number;
    assigneeId: string | null;
    target: SlaTarget;
    status: SlaStatus.AT_RISK | SlaStatus.BREACHED;
    dueAt: Date;
  },
): Promise<boolean> {
  return recordReacting(em, {
    type: alert.status === SlaStatus.BREACHED ? 'ticket.sla_breached' : 'ticket.sla_at_risk',
    entityId: alert.ticketId,
    payload: {
      ticketId: alert.ticketId,
      number: alert.number,
      assigneeId: alert.assigneeId,
      target: alert.target,
      status: alert.status,
      dueAt: alert.dueAt.toISOString(),
    },
  });
}
