import { In, type EntityManager } from 'typeorm';
import { NotFoundError } from '../../core/errors/app-error';
import { decodeCursor, likePattern, toConnection } from '../../core/graphql/connection';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { Customer } from '../customers';
import type { EntitlementService } from '../plans';
import { Membership } from '../users';
import { addMinutes, SLA_STATUS_SQL, slaStatusOf } from './sla-status';
import { SlaPolicy } from './sla-policy.entity';
import { Ticket, TicketMessage, TicketStatusChange } from './ticket.entity';
import { TicketChannel, TicketStatus } from './ticket-enums';
import type { CreateTicketInput, TicketFilter, UpdateTicketInput } from './ticket.inputs';

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
  /** The SLA clock (tests control it). */
  now?: () => Date;
}

const DONE = new Set([TicketStatus.RESOLVED, TicketStatus.CLOSED]);

const normalizeTags = (tags: string[]) => [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))];

/**
 * Helpdesk tickets of one tenant. Every method takes the tenant-scoped manager of the caller's
 * transaction. Each ticket counts toward the plan's monthly `tickets` limit, taken in the same
 * transaction as the insert (a create that fails takes nothing).
 */
export class TicketService {
  private readonly entitlements: Pick<EntitlementService, 'consume'>;
  private readonly now: () => Date;

  constructor(deps: TicketServiceDependencies) {
    this.entitlements = deps.entitlements;
    this.now = deps.now ?? (() => new Date());
  }

  async create(
    em: EntityManager,
    actor: TicketActor,
    input: CreateTicketInput,
    options: { channel?: TicketChannel; thread?: TicketThreadSelection } = {},
  ): Promise<Ticket> {
    await this.assertCustomer(em, input.customerId ?? null);
    await this.assertAssignee(em, actor.tenantId, input.assigneeId ?? null);
    await this.entitlements.consume(em, actor.tenantId, 'tickets');
    const [{ number }]: { number: string }[] = await em.query(`SELECT nextval('ticket_number_seq') AS number`);
    const policy = await em.findOneBy(SlaPolicy, { priority: input.priority });
    const openedAt = this.now();
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
        slaFirstResponseMinutes: policy?.firstResponseMinutes ?? null,
        slaResolutionMinutes: policy?.resolutionMinutes ?? null,
        firstResponseDueAt: policy ? addMinutes(openedAt, policy.firstResponseMinutes) : null,
        resolutionDueAt: policy ? addMinutes(openedAt, policy.resolutionMinutes) : null,
        firstRespondedAt: null,
        resolvedAt: null,
        slaPausedAt: null,
      }),
    );
    await this.recordStatus(em, ticket.id, null, TicketStatus.NEW, actor.userId);
    return this.withThread(em, ticket, options.thread);
  }

  async update(em: EntityManager, actor: TicketActor, id: string, input: UpdateTicketInput, thread?: TicketThreadSelection): Promise<Ticket> {
    const ticket = await this.lock(em, id);
    if (input.customerId !== undefined) {
      await this.assertCustomer(em, input.customerId);
      ticket.customerId = input.customerId;
    }
    if (input.subject !== undefined) ticket.subject = input.subject.trim();
    if (input.description !== undefined) ticket.description = input.description;
    if (input.priority) ticket.priority = input.priority;
    if (input.tags) ticket.tags = normalizeTags(input.tags);
    if (input.status) await this.changeStatus(em, ticket, input.status, actor.userId);
    await em.save(ticket);
    return this.withThread(em, ticket, thread);
  }

  /** `assigneeId: null` unassigns. */
  async assign(em: EntityManager, actor: TicketActor, id: string, assigneeId: string | null, thread?: TicketThreadSelection): Promise<Ticket> {
    const ticket = await this.lock(em, id);
    await this.assertAssignee(em, actor.tenantId, assigneeId);
    ticket.assigneeId = assigneeId;
    await em.save(ticket);
    return this.withThread(em, ticket, thread);
  }

  /** A team reply (not an internal note) on a NEW ticket opens it. */
  async addMessage(em: EntityManager, actor: TicketActor, ticketId: string, body: string, internal: boolean): Promise<TicketMessage> {
    const ticket = await this.lock(em, ticketId);
    const message = await em.save(em.create(TicketMessage, { ticketId, body, internal, authorUserId: actor.userId }));
    if (!internal) {
      ticket.firstRespondedAt ??= this.now();
      if (ticket.status === TicketStatus.NEW) await this.changeStatus(em, ticket, TicketStatus.OPEN, actor.userId);
      await em.save(ticket);
    }
    return message;
  }

  async get(em: EntityManager, id: string, thread?: TicketThreadSelection): Promise<Ticket> {
    const ticket = isUuid(id) ? await em.findOneBy(Ticket, { id }) : null;
    if (!ticket) throw new NotFoundError('Ticket', id);
    return this.withThread(em, ticket, thread);
  }

  /** Keyset page ordered by (createdAt, id); the count is only run when asked for. */
  async list(em: EntityManager, options: TicketListOptions) {
    const query = em.createQueryBuilder(Ticket, 't');
    const filter = options.filter ?? {};
    if (filter.status) query.andWhere('t.status = :status', { status: filter.status });
    if (filter.priority) query.andWhere('t.priority = :priority', { priority: filter.priority });
    if (filter.channel) query.andWhere('t.channel = :channel', { channel: filter.channel });
    // A malformed id matches nothing (rather than a database error on the uuid cast).
    for (const key of ['assigneeId', 'customerId'] as const) {
      const value = filter[key];
      if (value !== undefined && value !== null) {
        if (isUuid(value)) query.andWhere(`t.${key} = :${key}`, { [key]: value });
        else query.andWhere('false');
      }
    }
    if (filter.slaStatus) query.andWhere(`(${SLA_STATUS_SQL}) = :slaStatus`, { slaStatus: filter.slaStatus, slaNow: this.now() });
    if (filter.search?.trim()) {
      query.andWhere('(t.subject ILIKE :pattern OR t.description ILIKE :pattern)', { pattern: likePattern(filter.search.trim()) });
    }
    const totalCount = options.withTotalCount ? await query.clone().getCount() : 0;
    if (options.after) query.andWhere('(t.createdAt, t.id) > (:createdAt, :id)', decodeCursor(options.after));
    const rows = await query.orderBy('t.createdAt', 'ASC').addOrderBy('t.id', 'ASC').limit(options.first + 1).getMany();
    await this.loadThreads(em, rows.slice(0, options.first), options.thread);
    const now = this.now();
    for (const ticket of rows) ticket.slaStatus = slaStatusOf(ticket, now);
    return { ...toConnection(rows, options.first), totalCount };
  }

  /** Also runs the SLA clock: PENDING stops it (unmet deadlines move on by the pause), RESOLVED/CLOSED stop it for good. */
  private async changeStatus(em: EntityManager, ticket: Ticket, status: TicketStatus, userId: string | null): Promise<void> {
    if (ticket.status === status) return;
    const now = this.now();
    if (ticket.slaPausedAt) {
      const pausedMinutes = (now.getTime() - ticket.slaPausedAt.getTime()) / 60_000;
      if (ticket.firstResponseDueAt && !ticket.firstRespondedAt) ticket.firstResponseDueAt = addMinutes(ticket.firstResponseDueAt, pausedMinutes);
      if (ticket.resolutionDueAt) ticket.resolutionDueAt = addMinutes(ticket.resolutionDueAt, pausedMinutes);
      ticket.slaPausedAt = null;
    }
    if (status === TicketStatus.PENDING) ticket.slaPausedAt = now;
    if (DONE.has(status)) ticket.resolvedAt ??= now;
    else ticket.resolvedAt = null;
    await this.recordStatus(em, ticket.id, ticket.status, status, userId);
    ticket.status = status;
  }

  private async recordStatus(em: EntityManager, ticketId: string, fromStatus: TicketStatus | null, toStatus: TicketStatus, userId: string | null) {
    await em.insert(TicketStatusChange, { ticketId, fromStatus, toStatus, changedByUserId: userId });
  }

  /** Row lock: concurrent changes to one ticket queue, so the status history stays a chain. */
  private async lock(em: EntityManager, id: string): Promise<Ticket> {
    const ticket = isUuid(id) ? await em.findOne(Ticket, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!ticket) throw new NotFoundError('Ticket', id);
    return ticket;
  }

  private async assertCustomer(em: EntityManager, customerId: string | null): Promise<void> {
    if (customerId === null) return;
    if (!isUuid(customerId) || !(await em.existsBy(Customer, { id: customerId }))) throw new NotFoundError('Customer', customerId);
  }

  /** Only a member of this organization can be assigned. */
  private async assertAssignee(em: EntityManager, tenantId: string, userId: string | null): Promise<void> {
    if (userId === null) return;
    if (!isUuid(userId) || !(await em.existsBy(Membership, { tenantId, userId }))) throw new NotFoundError('Member', userId);
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
      const changes = await em.find(TicketStatusChange, { where: { ticketId }, order: { changedAt: 'ASC', id: 'ASC' } });
      for (const ticket of tickets) ticket.statusHistory = changes.filter((c) => c.ticketId === ticket.id);
    }
  }
}
