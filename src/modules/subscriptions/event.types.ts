import { Field, ID, InputType, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import type { StoredEvent } from '../../core/events/event-feed';
import { InvoiceStatus } from '../invoices';
import { QuoteStatus } from '../quotes';
import { MessageAuthor, SlaStatus, TicketChannel, TicketPriority, TicketStatus } from '../tickets';

/** GraphQL names of catalogue types: `ticket.message_added` is TICKET_MESSAGE_ADDED. */
export enum TicketEventType {
  TICKET_CREATED = 'ticket.created',
  TICKET_UPDATED = 'ticket.updated',
  TICKET_MESSAGE_ADDED = 'ticket.message_added',
  TICKET_SLA_AT_RISK = 'ticket.sla_at_risk',
  TICKET_SLA_BREACHED = 'ticket.sla_breached',
}
registerEnumType(TicketEventType, { name: 'TicketEventType', description: 'The ticket events of the catalogue' });

export enum QuoteEventType {
  QUOTE_CREATED = 'quote.created',
  QUOTE_SENT = 'quote.sent',
  QUOTE_ACCEPTED = 'quote.accepted',
  QUOTE_REJECTED = 'quote.rejected',
  QUOTE_EXPIRED = 'quote.expired',
}
registerEnumType(QuoteEventType, { name: 'QuoteEventType', description: 'The quote events of the catalogue' });

export enum InvoiceEventType {
  INVOICE_CREATED = 'invoice.created',
  INVOICE_SENT = 'invoice.sent',
  INVOICE_PAID = 'invoice.paid',
  INVOICE_VOIDED = 'invoice.voided',
}
registerEnumType(InvoiceEventType, { name: 'InvoiceEventType', description: 'The invoice events of the catalogue' });

export enum EventActorKind {
  USER = 'user',
  API_KEY = 'api_key',
  PLATFORM_ADMIN = 'platform_admin',
  SYSTEM = 'system',
  CHANNEL = 'channel',
}
registerEnumType(EventActorKind, { name: 'EventActorKind', description: 'What kind of actor caused an event' });

@ObjectType({ description: 'Who caused an event' })
export class EventActor {
  @Field(() => EventActorKind)
  kind: EventActorKind;

  @Field(() => String, {
    nullable: true,
    description: 'The user or API key id; the job name (SYSTEM); email or whatsapp (CHANNEL)',
  })
  id: string | null;
}

export function eventActor(actor: string): EventActor {
  const [kind, ...rest] = actor.split(':');
  const known = Object.values(EventActorKind).includes(kind as EventActorKind);
  return { kind: known ? (kind as EventActorKind) : EventActorKind.SYSTEM, id: rest.length ? rest.join(':') : null };
}

/** What every event type carries, whatever its family. */
@InterfaceType('DomainEvent', { description: 'A committed change of the organization (a row of the catalogue)' })
export abstract class DomainEventFields {
  @Field(() => ID, { description: 'Increasing per organization: resume a subscription `after` the last one seen' })
  id: string;

  @Field(() => Int, { description: 'Version of `data` (a change that breaks readers bumps it)' })
  version: number;

  @Field({ description: 'When the change committed its transaction' })
  occurredAt: Date;

  @Field(() => EventActor)
  actor: EventActor;

  @Field(() => [String], { description: 'The fields the change touched (empty when the event records none)' })
  changedFields: string[];
}

const payloadOf = (event: StoredEvent) => event.payload as Record<string, unknown>;
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const common = (event: StoredEvent) => ({
  id: event.id,
  version: event.version,
  occurredAt: new Date(event.occurredAt),
  actor: eventActor(event.actor),
  changedFields: (event.changes ?? []).map((change) => change.field),
});

@ObjectType({ description: 'The ticket as it was before a TICKET_UPDATED (only the fields that changed are set)' })
export class TicketEventPrevious {
  @Field(() => String, { nullable: true }) subject?: string | null;
  @Field(() => TicketStatus, { nullable: true }) status?: TicketStatus | null;
  @Field(() => TicketPriority, { nullable: true }) priority?: TicketPriority | null;
  @Field(() => ID, { nullable: true }) customerId?: string | null;
  @Field(() => ID, { nullable: true }) assigneeId?: string | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
}

@ObjectType({ description: 'The message of a TICKET_MESSAGE_ADDED' })
export class TicketEventMessage {
  @Field(() => ID) id: string;
  @Field(() => MessageAuthor) author: MessageAuthor;
  @Field(() => ID, { nullable: true }) authorUserId: string | null;
  @Field({ description: 'An internal note (never sent to the customer)' }) internal: boolean;
}

@ObjectType({ description: 'The SLA target of a TICKET_SLA_AT_RISK or TICKET_SLA_BREACHED' })
export class TicketEventSla {
  @Field({ description: 'FIRST_RESPONSE or RESOLUTION' }) target: string;
  @Field(() => SlaStatus) status: SlaStatus;
  @Field() dueAt: Date;
}

@ObjectType({ description: 'A ticket event (payload version 1)', implements: DomainEventFields })
export class TicketEvent extends DomainEventFields {
  @Field(() => TicketEventType) type: TicketEventType;
  @Field(() => ID) ticketId: string;
  @Field(() => Int, { nullable: true }) number: number | null;
  @Field(() => String, { nullable: true }) subject: string | null;
  @Field(() => TicketStatus, { nullable: true }) status: TicketStatus | null;
  @Field(() => TicketPriority, { nullable: true }) priority: TicketPriority | null;
  @Field(() => TicketChannel, { nullable: true }) channel: TicketChannel | null;
  @Field(() => ID, { nullable: true }) customerId: string | null;
  @Field(() => ID, { nullable: true }) assigneeId: string | null;
  @Field(() => TicketEventPrevious, { nullable: true }) previous: TicketEventPrevious | null;
  @Field(() => TicketEventMessage, { nullable: true }) message: TicketEventMessage | null;
  @Field(() => TicketEventSla, { nullable: true }) sla: TicketEventSla | null;
}

export function toTicketEvent(event: StoredEvent): TicketEvent {
  const p = payloadOf(event);
  const previous = event.type === 'ticket.updated' && event.changes?.length ? new TicketEventPrevious() : null;
  for (const change of event.changes ?? []) if (previous) Object.assign(previous, { [change.field]: change.before });
  return {
    ...common(event),
    type: event.type as TicketEventType,
    ticketId: event.entityId,
    number: typeof p.number === 'number' ? p.number : null,
    subject: text(p.subject),
    status: text(p.status) as TicketStatus | null,
    priority: text(p.priority) as TicketPriority | null,
    channel: text(p.channel) as TicketChannel | null,
    customerId: text(p.customerId),
    assigneeId: text(p.assigneeId),
    previous,
    message:
      event.type === 'ticket.message_added' && text(p.messageId)
        ? {
            id: text(p.messageId)!,
            author: p.author as MessageAuthor,
            authorUserId: text(p.authorUserId),
            internal: p.internal === true,
          }
        : null,
    sla:
      (event.type === 'ticket.sla_at_risk' || event.type === 'ticket.sla_breached') && text(p.dueAt)
        ? { target: String(p.target), status: p.status as SlaStatus, dueAt: new Date(String(p.dueAt)) }
        : null,
  };
}

/** The state of a quote or invoice an event reports, shared by both families. */
@InterfaceType('DocumentEvent', { description: 'An event about a quote or an invoice', implements: DomainEventFields })
export abstract class DocumentEventFields extends DomainEventFields {
  @Field(() => String, { nullable: true }) number: string | null;
  @Field(() => ID, { nullable: true }) customerId: string | null;
  @Field(() => String, { nullable: true, description: 'Decimal string, as on the document' }) total: string | null;
  @Field(() => String, { nullable: true }) currency: string | null;
}

const documentFields = (event: StoredEvent) => {
  const p = payloadOf(event);
  return {
    ...common(event),
    number: text(p.number),
    customerId: text(p.customerId),
    total: text(p.total),
    currency: text(p.currency),
  };
};

@ObjectType({ description: 'A quote event (payload version 1)', implements: [DomainEventFields, DocumentEventFields] })
export class QuoteEvent extends DocumentEventFields {
  @Field(() => QuoteEventType) type: QuoteEventType;
  @Field(() => ID) quoteId: string;
  @Field(() => QuoteStatus, { nullable: true }) status: QuoteStatus | null;
}

export const toQuoteEvent = (event: StoredEvent): QuoteEvent => ({
  ...documentFields(event),
  type: event.type as QuoteEventType,
  quoteId: event.entityId,
  status: text(payloadOf(event).status) as QuoteStatus | null,
});

@ObjectType({
  description: 'An invoice event (payload version 1)',
  implements: [DomainEventFields, DocumentEventFields],
})
export class InvoiceEvent extends DocumentEventFields {
  @Field(() => InvoiceEventType) type: InvoiceEventType;
  @Field(() => ID) invoiceId: string;
  @Field(() => InvoiceStatus, { nullable: true }) status: InvoiceStatus | null;
}

export const toInvoiceEvent = (event: StoredEvent): InvoiceEvent => ({
  ...documentFields(event),
  type: event.type as InvoiceEventType,
  invoiceId: event.entityId,
  status: text(payloadOf(event).status) as InvoiceStatus | null,
});

@InputType({ description: 'Which ticket events to receive (all of the organization by default)' })
export class TicketEventFilter {
  @Field(() => [TicketEventType], { nullable: true, description: 'Default: every ticket event type' })
  types?: TicketEventType[] | null;

  @Field(() => ID, { nullable: true, description: "Only this ticket's events" })
  ticketId?: string | null;
}

@InputType({ description: 'Which quote events to receive' })
export class QuoteEventFilter {
  @Field(() => [QuoteEventType], { nullable: true }) types?: QuoteEventType[] | null;
  @Field(() => ID, { nullable: true }) quoteId?: string | null;
}

@InputType({ description: 'Which invoice events to receive' })
export class InvoiceEventFilter {
  @Field(() => [InvoiceEventType], { nullable: true }) types?: InvoiceEventType[] | null;
  @Field(() => ID, { nullable: true }) invoiceId?: string | null;
}
