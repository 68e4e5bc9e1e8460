import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { canRead, Policy } from '../../core/authorization';
import { BadUserInputError } from '../../core/errors/app-error';
import type { DomainEventType } from '../../core/events/domain-event';
import type { StoredEvent } from '../../core/events/event-feed';
import type { RequestContext } from '../../core/http/request-context';
import { metrics } from '../../core/observability/metrics';
import type { EventSubscriptionService } from './event-subscription.service';
import {
  InvoiceEvent,
  InvoiceEventFilter,
  InvoiceEventType,
  QuoteEvent,
  QuoteEventFilter,
  QuoteEventType,
  TicketEvent,
  TicketEventFilter,
  TicketEventType,
  toInvoiceEvent,
  toQuoteEvent,
  toTicketEvent,
} from './event.types';

/** What the subscription server adds to each operation's context: the process's event streams. */
export interface SubscriptionContext extends RequestContext {
  eventSubscriptions: EventSubscriptionService;
  /** Aborted when the connection's credentials end: its subscriptions fail with the reason (UNAUTHENTICATED). */
  credentialsEnded: AbortSignal;
}

interface FamilyFilter {
  types?: DomainEventType[] | null;
  entityId?: string | null;
}

/** An event id as a client sends it back: a positive integer. */
const EVENT_ID = /^[1-9][0-9]{0,18}$/;

/**
 * The `subscribe` of one event family: the operation's organization (its scope opened by the policy),
 * the filter's types (default: the whole family) and the optional resume point.
 */
function subscribeTo(family: string, allTypes: readonly string[], filterOf: (args: never) => FamilyFilter) {
  return async ({ args, context }: SubscribeResolverData<unknown, { after?: string | null }, SubscriptionContext>) => {
    const { types, entityId } = filterOf(args as never);
    const after = args.after ?? undefined;
    if (after !== undefined && !EVENT_ID.test(after)) {
      throw new BadUserInputError('`after` must be the id of an event you received', { reason: 'INVALID_EVENT_ID' });
    }
    const { tenant, manager } = context.tenantScope.require();
    const selector = {
      tenantId: tenant.id,
      types: (types?.length ? types : allTypes) as DomainEventType[],
      entityId: entityId ?? undefined,
    };
    return context.eventSubscriptions.open(family, selector, { after, until: context.credentialsEnded, manager });
  };
}

const delivered = (family: string) => metrics.subscriptionEvents.labels({ family });

/** Every subscriber of a process gets the same event object: it is shaped once, not once per subscriber. */
function shapedOnce<T extends object>(shape: (event: StoredEvent) => T): (event: StoredEvent) => T {
  const shaped = new WeakMap<StoredEvent, T>();
  return (event) => {
    let result = shaped.get(event);
    if (!result) shaped.set(event, (result = shape(event)));
    return result;
  };
}
const ticketEvent = shapedOnce(toTicketEvent);
const quoteEvent = shapedOnce(toQuoteEvent);
const invoiceEvent = shapedOnce(toInvoiceEvent);

/**
 * Live domain events of the caller's organization over graphql-ws (see docs/subscriptions.md), each
 * family authorized like reading its data: the same policies as the queries.
 */
@Resolver()
export class EventSubscriptionResolver {
  private readonly counted = {
    ticket: delivered('ticket'),
    quote: delivered('quote'),
    invoice: delivered('invoice'),
  };

  @Subscription(() => TicketEvent, {
    description: "The organization's ticket events as they commit; `after`: first replay those after this event id",
    subscribe: subscribeTo('ticket', Object.values(TicketEventType), (args: { filter?: TicketEventFilter | null }) => ({
      types: args.filter?.types as DomainEventType[] | null,
      entityId: args.filter?.ticketId,
    })),
  })
  @Policy(canRead('tickets'))
  ticketEvents(
    @Root() event: StoredEvent,
    @Arg('filter', () => TicketEventFilter, { nullable: true }) _filter?: TicketEventFilter,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): TicketEvent {
    this.counted.ticket.inc();
    return ticketEvent(event);
  }

  @Subscription(() => QuoteEvent, {
    description: "The organization's quote events as they commit; `after`: first replay those after this event id",
    subscribe: subscribeTo('quote', Object.values(QuoteEventType), (args: { filter?: QuoteEventFilter | null }) => ({
      types: args.filter?.types as DomainEventType[] | null,
      entityId: args.filter?.quoteId,
    })),
  })
  @Policy(canRead('quotes'))
  quoteEvents(
    @Root() event: StoredEvent,
    @Arg('filter', () => QuoteEventFilter, { nullable: true }) _filter?: QuoteEventFilter,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): QuoteEvent {
    this.counted.quote.inc();
    return quoteEvent(event);
  }

  @Subscription(() => InvoiceEvent, {
    description: "The organization's invoice events as they commit; `after`: first replay those after this event id",
    subscribe: subscribeTo(
      'invoice',
      Object.values(InvoiceEventType),
      (args: { filter?: InvoiceEventFilter | null }) => ({
        types: args.filter?.types as DomainEventType[] | null,
        entityId: args.filter?.invoiceId,
      }),
    ),
  })
  @Policy(canRead('invoices'))
  invoiceEvents(
    @Root() event: StoredEvent,
    @Arg('filter', () => InvoiceEventFilter, { nullable: true }) _filter?: InvoiceEventFilter,
    @Arg('after', () => ID, { nullable: true }) _after?: string,
  ): InvoiceEvent {
    this.counted.invoice.inc();
    return invoiceEvent(event);
  }
}
