import { In, type EntityManager } from 'typeorm';
import { markAutomaticInbound, setEventActor } from '../../core/events';
import { ConflictError, LimitExceededError, NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, likePattern, toConnection } from '../../core/graphql/connection';
import { nodesOf, pagesPerParent } from '../../core/graphql/relations';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { Customer, type CustomerService } from '../customers';
import type { EntitlementService } from '../plans';
import { Membership } from '../users';
import type { BusinessCalendar } from './business-hours';
import { businessHoursCalendar, moveSlaOn, NO_SLA, slaOnOpening, WALL_CLOCK, type SlaCalendar } from './sla-calendar';
import { markSlaCheckDue } from './sla-due-work';
import { SLA_STATUS_SQL, SlaStatus, slaStatusOf } from './sla-status';
import { SlaPolicy } from './sla-policy.entity';
import { Ticket, TicketMessage, TicketStatusChange } from './ticket.entity';
import type { InboundMessage, InboundOutcome, TicketReplyChannel } from './ticket-channel';
import { DeliveryStatus, MessageAuthor, TicketChannel, TicketPriority, TicketStatus } from './ticket-enums';
import { findCustomerByContact, findThreadTicket } from './ticket-threading';
import type { CreateTicketInput, TicketFilter, UpdateTicketInput } from './ticket.inputs';
import { recordMessageAdded, recordTicketCreated, recordTicketUpdated, ticketSnapshot } from './ticket.events';

/** Who does something to a ticket: the organization, and the member (null for an API key or the platform admin). */
export interface TicketActor {
  tenantId: string;
  userId: string | null;
}

/** What of a ticket's thread the caller selected: loaded in the root resolver's transaction. */
export interface TicketThreadSelection {
  messages?: boolean;
  statusHistory?: boolean;
}

export interface TicketListOptions {
  first: number;
  after?: string;
  filter?: TicketFilter;
  withTotalCount?: boolean;
  thread?: TicketThreadSelection;
}

export interface TicketServiceDependencies {
  entitlements: Pick<EntitlementService, 'consume'>;
  /** Creates the customer a first message comes from (it counts toward the customers limit). */
  customers: Pick<CustomerService, 'create'>;
  /** The SLA clock (tests control it). */
  now?: () => Date;
  /** The organization's business hours and time zone, for business-hours SLA policies. */
  calendarOf: (em: EntityManager) => Promise<BusinessCalendar>;
}

const DONE = new Set([TicketStatus.RESOLVED, TicketStatus.CLOSED]);
const UNFINISHED_SLA_STATUSES = new Set([SlaStatus.AT_RISK, SlaStatus.ON_TRACK]);

const normalizeTags = (tags: string[]) => [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))];

/**
 * Helpdesk tickets of one tenant. Every method takes the tenant-scoped manager of the caller's
 * transaction. Each ticket counts toward the plan's monthly `tickets` limit, taken in the same
 * transaction as the insert (a create that fails takes nothing).
 */
export class TicketService {
  private readonly entitlements: Pick<EntitlementService, 'consume'>;
  private readonly customers: Pick<CustomerService, 'create'>;
  private readonly now: () => Date;
  private readonly calendarOf: (em: EntityManager) => Promise<BusinessCalendar>;
  private readonly replyChannels = new Map<TicketChannel, TicketReplyChannel>();

  constructor(deps: TicketServiceDependencies) {
    this.entitlements = deps.entitlements;
    this.customers = deps.customers;
    this.now = deps.now ?? (() => new Date());
    this.calendarOf = deps.calendarOf;
  }

  /** Channel modules register how their tickets' public replies are sent. */
  registerReplyChannel(channel: TicketReplyChannel): void {
    this.replyChannels.set(channel.channel, channel);
  }

  async create(
    em: EntityManager,
    actor: TicketActor,
    input: CreateTicketInput,
    options: { channel?: TicketChannel; contactAddress?: string; thread?: TicketThreadSelection } = {},
  ): Promise<Ticket> {
    await this.assertCustomer(em, input.customerId ?? null);
    await this.assertAssignee(em, actor.tenantId, input.assigneeId ?? null);
    await this.entitlements.consume(em, actor.tenantId, 'tickets');
    const [{ number }]: { number: string }[] = await em.query(`SELECT nextval('ticket_number_seq') AS number`);
    const policy = await em.findOneBy(SlaPolicy, { priority: input.priority });
    const sla = policy
      ? slaOnOpening(policy, await this.slaCalendar(em, policy.businessHoursOnly), this.now())
      : NO_SLA;
    const ticket = await em.save(
      em.create(Ticket, {
        number: Number(number),
        subject: input.subject.trim(),
        description: input.description,
        status: TicketStatus.NEW,
        priority: input.priority,
        channel: options.channel ?? TicketChannel.API,
        customerId: input.customerId ?? null,
        assigneeId: input.assigneeId ?? null,
        tags: normalizeTags(input.tags),
        contactAddress: options.contactAddress ?? null,
        ...sla,
        firstRespondedAt: null,
        resolvedAt: null,
        slaPausedAt: null,
      }),
    );
    await markSlaCheckDue(em, ticket);
    await this.recordStatus(em, ticket.id, null, TicketStatus.NEW, actor.userId);
    if (await recordTicketCreated(em, ticket)) await this.refresh(em, ticket);
    return this.withThread(em, ticket, options.thread);
  }

  async update(
    em: EntityManager,
    actor: TicketActor,
    id: string,
    input: UpdateTicketInput,
    thread?: TicketThreadSelection,
  ): Promise<Ticket> {
    const ticket = await this.lock(em, id);
    const before = ticketSnapshot(ticket);
    if (input.customerId !== undefined) {
      await this.assertCustomer(em, input.customerId);
      ticket.customerId = input.customerId;
    }
    if (input.subject !== undefined) ticket.subject = input.subject.trim();
    if (input.description !== undefined) ticket.description = input.description ?? '';
    if (input.priority !== undefined) ticket.priority = input.priority;
    if (input.tags !== undefined) ticket.tags = normalizeTags(input.tags ?? []);
    if (input.status !== undefined) await this.changeStatus(em, ticket, input.status, actor.userId);
    await em.save(ticket);
    if (await recordTicketUpdated(em, before, ticket)) await this.refresh(em, ticket);
    return this.withThread(em, ticket, thread);
  }

  /** `assigneeId: null` unassigns. */
  async assign(
    em: EntityManager,
    actor: TicketActor,
    id: string,
    assigneeId: string | null,
    thread?: TicketThreadSelection,
  ): Promise<Ticket> {
    const ticket = await this.lock(em, id);
    const before = ticketSnapshot(ticket);
    await this.assertAssignee(em, actor.tenantId, assigneeId);
    ticket.assigneeId = assigneeId;
    await em.save(ticket);
    if (await recordTicketUpdated(em, before, ticket)) await this.refresh(em, ticket);
    return this.withThread(em, ticket, thread);
  }

  /**
   * Puts the ticket under a policy's targets, counted from its opening (an automation action): NOT_FOUND for an
   * unknown policy. Time already spent PENDING is not credited.
   */
  async applySlaPolicy(em: EntityManager, id: string, policyId: string): Promise<Ticket> {
    const ticket = await this.lock(em, id);
    const policy = isUuid(policyId) ? await em.findOneBy(SlaPolicy, { id: policyId }) : null;
    if (!policy) throw new NotFoundError('SlaPolicy', policyId);
    const calendar = await this.slaCalendar(em, policy.businessHoursOnly);
    Object.assign(ticket, slaOnOpening(policy, calendar, ticket.createdAt));
    await em.save(ticket);
    await markSlaCheckDue(em, ticket);
    return this.withThread(em, ticket);
  }

  /**
   * A team reply (not an internal note) on a NEW ticket opens it. A public reply on an email or
   * WhatsApp ticket is queued on that channel in this transaction (CONFLICT when it has none).
   */
  async addMessage(
    em: EntityManager,
    actor: TicketActor,
    ticketId: string,
    body: string,
    internal: boolean,
  ): Promise<TicketMessage> {
    const ticket = await this.lock(em, ticketId);
    const before = ticketSnapshot(ticket);
    const sendsThroughChannel = !internal && ticket.channel !== TicketChannel.API;
    const channel = sendsThroughChannel ? this.replyChannels.get(ticket.channel) : undefined;
    if (sendsThroughChannel && !channel) {
      throw new ConflictError(`Replies on ${ticket.channel} tickets cannot be sent: the channel is not available`, {
        reason: 'CHANNEL_NOT_CONFIGURED',
      });
    }
    const message = await em.save(
      em.create(TicketMessage, {
        ticketId,
        body,
        internal,
        authorUserId: actor.userId,
        author: MessageAuthor.TEAM,
        deliveryStatus: channel ? DeliveryStatus.QUEUED : null,
      }),
    );
    if (channel) {
      const earlier: { externalId: string }[] = await em
        .createQueryBuilder(TicketMessage, 'm')
        .select('m.externalId', 'externalId')
        .where('m.ticketId = :ticketId AND m.externalId IS NOT NULL', { ticketId })
        .orderBy('m.createdAt', 'ASC')
        .getRawMany();
      const { externalId } = await channel.queueReply(em, {
        tenantId: actor.tenantId,
        ticket,
        message,
        threadExternalIds: earlier.map((m) => m.externalId),
      });
      if (externalId) await em.update(TicketMessage, message.id, { externalId: (message.externalId = externalId) });
    }
    if (!internal) {
      ticket.firstRespondedAt ??= this.now();
      if (ticket.status === TicketStatus.NEW) await this.changeStatus(em, ticket, TicketStatus.OPEN, actor.userId);
      await em.save(ticket);
    }
    await recordMessageAdded(em, ticket, message);
    await recordTicketUpdated(em, before, ticket);
    return message;
  }

  /**
   * A customer's message from a channel: appended to the ticket it answers (ticket number in the
   * subject, In-Reply-To/References, or the sender's open WhatsApp ticket), else a new ticket
   * (counted toward the tickets limit: LIMIT_EXCEEDED leaves the message to the caller). The
   * sender becomes a customer when none has that address, unless the customers limit is reached.
   * A reply reopens a PENDING or RESOLVED ticket; a CLOSED one gets a new ticket.
   */
  async receiveFromCustomer(em: EntityManager, tenantId: string, inbound: InboundMessage): Promise<InboundOutcome> {
    // Two deliveries of one message at once (webhook retries) wait for each other here.
    await em.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ticket-message:${inbound.externalId}`]);
    if (await em.existsBy(TicketMessage, { externalId: inbound.externalId })) return { kind: 'duplicate' };
    // The channel acts for what follows (the customer, the ticket, the message): its events say so.
    await setEventActor(em, inbound.channel === TicketChannel.EMAIL ? 'channel:email' : 'channel:whatsapp');
    if (inbound.automatic) await markAutomaticInbound(em);
    const threadId = await findThreadTicket(em, inbound);
    const existing = threadId ? await this.lock(em, threadId) : null;
    const before = existing && ticketSnapshot(existing);
    const customerId = existing?.customerId ?? (await this.customerFor(em, tenantId, inbound));
    const ticket =
      existing ??
      (await this.create(
        em,
        { tenantId, userId: null },
        {
          subject: inbound.subject.slice(0, 300) || '(no subject)',
          description: inbound.body,
          priority: TicketPriority.NORMAL,
          customerId,
          tags: [],
        },
        { channel: inbound.channel, contactAddress: inbound.from.address },
      ));
    const message = await em.save(
      em.create(TicketMessage, {
        ticketId: ticket.id,
        body: inbound.body,
        internal: false,
        authorUserId: null,
        author: MessageAuthor.CUSTOMER,
        externalId: inbound.externalId,
      }),
    );
    // A rule may have reopened or changed it already: the reopening below works on what is stored.
    if ((await recordMessageAdded(em, ticket, message)) && existing) await this.refresh(em, existing);
    if (existing && (existing.status === TicketStatus.PENDING || existing.status === TicketStatus.RESOLVED)) {
      await this.changeStatus(em, existing, TicketStatus.OPEN, null);
      await em.save(existing);
      await recordTicketUpdated(em, before!, existing);
    }
    return {
      kind: existing ? 'appended' : 'created',
      ticketId: ticket.id,
      ticketNumber: ticket.number,
      messageId: message.id,
      customerId: ticket.customerId,
    };
  }

  /**
   * What a channel learnt about a team reply it sent: found by our message id (a sender that
   * now knows the channel's id passes it as `externalId` to store) or by the channel's id
   * (WhatsApp statuses). Returns false for an unknown message.
   */
  async recordDelivery(
    em: EntityManager,
    ref: { messageId: string } | { externalId: string },
    status: DeliveryStatus,
    details: { error?: string; externalId?: string } = {},
  ): Promise<boolean> {
    const where = 'messageId' in ref ? { id: ref.messageId } : { externalId: ref.externalId };
    const change = {
      deliveryStatus: status,
      deliveryError: details.error ?? null,
      deliveryUpdatedAt: this.now(),
      ...(details.externalId ? { externalId: details.externalId } : {}),
    };
    const result = await em.update(TicketMessage, { ...where, author: MessageAuthor.TEAM }, change);
    return (result.affected ?? 0) > 0;
  }

  private async customerFor(em: EntityManager, tenantId: string, inbound: InboundMessage): Promise<string | null> {
    const known = await findCustomerByContact(em, inbound.channel, inbound.from.address);
    if (known) return known;
    const contact =
      inbound.channel === TicketChannel.EMAIL ? { email: inbound.from.address } : { phone: `+${inbound.from.address}` };
    try {
      return (
        await this.customers.create(em, tenantId, {
          name: inbound.from.name?.trim() || inbound.from.address,
          ...contact,
        })
      ).id;
    } catch (error) {
      // A full customer list must not lose the customer's message: the ticket is kept without one.
      if (error instanceof LimitExceededError) return null;
      throw error;
    }
  }

  async get(em: EntityManager, id: string, thread?: TicketThreadSelection): Promise<Ticket> {
    const ticket = isUuid(id) ? await em.findOneBy(Ticket, { id }) : null;
    if (!ticket) throw new NotFoundError('Ticket', id);
    return this.withThread(em, ticket, thread);
  }

  /** Keyset page ordered by (createdAt, id); the count is only run when asked for. */
  async list(em: EntityManager, options: TicketListOptions) {
    const query = this.filtered(em, options.filter);
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(t.createdAt, t.id) > (:createdAt, :id)', decodeCursor(options.after));
    const rows = await query
      .orderBy('t.createdAt', 'ASC')
      .addOrderBy('t.id', 'ASC')
      .limit(options.first + 1)
      .getMany();
    await this.loadThreads(em, rows.slice(0, options.first), options.thread);
    return { ...toConnection(this.withSlaStatus(rows), options.first), totalCount };
  }

  /** `list` for many customers at once (Customer.tickets): one query for all their pages (threads load on demand). */
  async pagesForCustomers(em: EntityManager, customerIds: readonly string[], options: TicketListOptions) {
    const pages = await pagesPerParent(this.filtered(em, options.filter), 't', 'customerId', customerIds, options);
    this.withSlaStatus(nodesOf(pages));
    return pages;
  }

  /** Tickets by id, in one query (Article.tickets). */
  async byIds(em: EntityManager, ids: readonly string[]): Promise<Ticket[]> {
    return ids.length ? this.withSlaStatus(await em.findBy(Ticket, { id: In([...ids]) })) : [];
  }

  private withSlaStatus(tickets: Ticket[]): Ticket[] {
    const now = this.now();
    for (const ticket of tickets) ticket.slaStatus = slaStatusOf(ticket, now);
    return tickets;
  }

  private filtered(em: EntityManager, filter: TicketFilter = {}) {
    const query = em.createQueryBuilder(Ticket, 't');
    if (filter.status) query.andWhere('t.status = :status', { status: filter.status });
    if (filter.priority) query.andWhere('t.priority = :priority', { priority: filter.priority });
    if (filter.channel) query.andWhere('t.channel = :channel', { channel: filter.channel });
    if (typeof filter.number === 'number') query.andWhere('t.number = :number', { number: filter.number });
    // A malformed id matches nothing (rather than a database error on the uuid cast).
    for (const key of ['assigneeId', 'customerId'] as const) {
      const value = filter[key];
      if (value !== undefined && value !== null) {
        if (isUuid(value)) query.andWhere(`t.${key} = :${key}`, { [key]: value });
        else query.andWhere('false');
      }
    }
    if (filter.slaStatus)
      query.andWhere(`(${SLA_STATUS_SQL}) = :slaStatus`, { slaStatus: filter.slaStatus, slaNow: this.now() });
    // Only unfinished SLA tickets are AT_RISK or ON_TRACK: said outright, the planner can use their partial index
    // (tickets_sla_open_idx).
    if (filter.slaStatus && UNFINISHED_SLA_STATUSES.has(filter.slaStatus))
      query.andWhere('t.resolvedAt IS NULL AND t.slaResolutionMinutes IS NOT NULL');
    if (filter.search?.trim()) {
      query.andWhere('(t.subject ILIKE :pattern OR t.description ILIKE :pattern)', {
        pattern: likePattern(filter.search.trim()),
      });
    }
    return query;
  }

  /**
   * Also runs the SLA clock: PENDING stops it (unmet deadlines move on by the pause), RESOLVED/CLOSED stop it for good.
   */
  private async changeStatus(
    em: EntityManager,
    ticket: Ticket,
    status: TicketStatus,
    userId: string | null,
  ): Promise<void> {
    if (ticket.status === status) return;
    const now = this.now();
    if (ticket.slaPausedAt) {
      moveSlaOn(ticket, await this.slaCalendar(em, ticket.slaBusinessHoursOnly), ticket.slaPausedAt, now);
      ticket.slaPausedAt = null;
    }
    if (status === TicketStatus.PENDING) ticket.slaPausedAt = now;
    if (DONE.has(status)) ticket.resolvedAt ??= now;
    else ticket.resolvedAt = null;
    // Reopened or resumed: the clock runs again (the caller saves the ticket in this transaction).
    await markSlaCheckDue(em, ticket);
    await this.recordStatus(em, ticket.id, ticket.status, status, userId);
    ticket.status = status;
  }

  /** Business-hours SLAs count in the organization's hours as they are now. */
  private async slaCalendar(em: EntityManager, businessHoursOnly: boolean): Promise<SlaCalendar> {
    return businessHoursOnly ? businessHoursCalendar(await this.calendarOf(em)) : WALL_CLOCK;
  }

  private async recordStatus(
    em: EntityManager,
    ticketId: string,
    fromStatus: TicketStatus | null,
    toStatus: TicketStatus,
    userId: string | null,
  ) {
    await em.insert(TicketStatusChange, { ticketId, fromStatus, toStatus, changedByUserId: userId });
  }

  /** What event hooks (automation rules) changed, into the caller's entity. */
  private async refresh(em: EntityManager, ticket: Ticket): Promise<void> {
    Object.assign(ticket, await em.findOneByOrFail(Ticket, { id: ticket.id }));
  }

  /** Row lock: concurrent changes to one ticket queue, so the status history stays a chain. */
  private async lock(em: EntityManager, id: string): Promise<Ticket> {
    const ticket = isUuid(id) ? await em.findOne(Ticket, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!ticket) throw new NotFoundError('Ticket', id);
    return ticket;
  }

  private async assertCustomer(em: EntityManager, customerId: string | null): Promise<void> {
    if (customerId === null) return;
    if (!isUuid(customerId) || !(await em.existsBy(Customer, { id: customerId })))
      throw new NotFoundError('Customer', customerId);
  }

  /** Only a member of this organization can be assigned. */
  private async assertAssignee(em: EntityManager, tenantId: string, userId: string | null): Promise<void> {
    if (userId === null) return;
    if (!isUuid(userId) || !(await em.existsBy(Membership, { tenantId, userId })))
      throw new NotFoundError('Member', userId);
  }

  /** What every read of one ticket returns: its SLA status now, and the selected thread. */
  private async withThread(em: EntityManager, ticket: Ticket, thread?: TicketThreadSelection): Promise<Ticket> {
    await this.loadThreads(em, [ticket], thread);
    ticket.slaStatus = slaStatusOf(ticket, this.now());
    return ticket;
  }

  /** One query per selected part for the whole page. */
  private async loadThreads(em: EntityManager, tickets: Ticket[], thread: TicketThreadSelection = {}): Promise<void> {
    if (!tickets.length) return;
    const ticketId = In(tickets.map((t) => t.id));
    if (thread.messages) {
      const messages = await em.find(TicketMessage, { where: { ticketId }, order: { createdAt: 'ASC', id: 'ASC' } });
      for (const ticket of tickets) ticket.messages = messages.filter((m) => m.ticketId === ticket.id);
    }
    if (thread.statusHistory) {
      const changes = await em.find(TicketStatusChange, {
        where: { ticketId },
        order: { changedAt: 'ASC', id: 'ASC' },
      });
      for (const ticket of tickets) ticket.statusHistory = changes.filter((c) => c.ticketId === ticket.id);
    }
  }
}
