import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { OperationScope } from '../../core/tenancy/operation-scope';
import { CurrentTenant, OperationTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Customer, customerById } from '../customers';
import { Member, memberByUserId } from '../memberships';
import { Ticket, TicketMessage, TicketStatusChange } from './ticket.entity';
import {
  AddTicketMessageArgs,
  CreateTicketInput,
  TicketConnection,
  TicketsArgs,
  UpdateTicketInput,
} from './ticket.inputs';
import { messagesByTicket, statusHistoryByTicket } from './ticket.loader';
import { threadSelection } from './ticket-selection';
import type { TicketActor, TicketService } from './ticket.service';

const actorOf = (tenant: ScopedTenant, ctx: RequestContext): TicketActor => ({
  tenantId: tenant.id,
  userId: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
});

@Resolver(() => Ticket)
export class TicketResolver {
  constructor(private readonly ticketService: TicketService) {}

  @Policy(canRead('tickets'))
  @Query(() => Ticket)
  ticket(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Ticket> {
    return this.ticketService.get(em, id, threadSelection(info));
  }

  @Policy(canRead('tickets'))
  @Query(() => TicketConnection)
  tickets(
    @TenantManager() em: EntityManager,
    @Args() args: TicketsArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<TicketConnection> {
    return this.ticketService.list(em, {
      ...args,
      withTotalCount: selectsField(info, 'totalCount'),
      thread: threadSelection(info, ['edges', 'node']),
    });
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => Ticket, {
    description: "Opens a ticket from the API channel; LIMIT_EXCEEDED when the plan's monthly tickets limit is reached",
  })
  createTicket(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('input') input: CreateTicketInput,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Ticket> {
    return this.ticketService.create(em, actorOf(tenant, ctx), input, { thread: threadSelection(info) });
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => Ticket)
  updateTicket(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateTicketInput,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Ticket> {
    return this.ticketService.update(em, actorOf(tenant, ctx), id, input, threadSelection(info));
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => Ticket, { description: 'assigneeId null unassigns; NOT_FOUND unless the assignee is a member' })
  assignTicket(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('assigneeId', () => ID, { nullable: true }) assigneeId: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Ticket> {
    return this.ticketService.assign(em, actorOf(tenant, ctx), id, assigneeId ?? null, threadSelection(info));
  }

  @Policy(canWrite('tickets'))
  @Mutation(() => TicketMessage, {
    description: 'internal: a note for the team only; a public reply opens a NEW ticket',
  })
  addTicketMessage(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Args() { ticketId, body, internal }: AddTicketMessageArgs,
  ): Promise<TicketMessage> {
    return this.ticketService.addMessage(em, actorOf(tenant, ctx), ticketId, body, internal);
  }

  @Policy(canRead('customers'))
  @FieldResolver(() => Customer, {
    nullable: true,
    description: 'Null without a customer; FORBIDDEN (and null) without customers:read',
  })
  customer(@Root() ticket: Ticket, @OperationTenant() scope: OperationScope): Promise<Customer | null> | null {
    return ticket.customerId ? scope.load(customerById, ticket.customerId) : null;
  }

  @Policy(canRead('members'))
  @FieldResolver(() => Member, {
    nullable: true,
    description: 'The assignee as a member of this organization; null when unassigned or no longer a member',
  })
  assignee(@Root() ticket: Ticket, @OperationTenant() scope: OperationScope): Promise<Member | null> | null {
    return ticket.assigneeId ? scope.load(memberByUserId, ticket.assigneeId) : null;
  }

  @Policy(canRead('tickets'))
  @FieldResolver(() => [TicketMessage])
  messages(
    @Root() ticket: Ticket,
    @OperationTenant() scope: OperationScope,
  ): TicketMessage[] | Promise<TicketMessage[]> {
    return ticket.messages ?? scope.load(messagesByTicket, ticket.id);
  }

  @Policy(canRead('tickets'))
  @FieldResolver(() => [TicketStatusChange])
  statusHistory(
    @Root() ticket: Ticket,
    @OperationTenant() scope: OperationScope,
  ): TicketStatusChange[] | Promise<TicketStatusChange[]> {
    return ticket.statusHistory ?? scope.load(statusHistoryByTicket, ticket.id);
  }
}

@Resolver(() => TicketMessage)
export class TicketMessageResolver {
  @Policy(canRead('members'))
  @FieldResolver(() => Member, {
    nullable: true,
    description: 'The team member who wrote it, as a member of this organization; null for the customer or an API key',
  })
  authorMember(
    @Root() message: TicketMessage,
    @OperationTenant() scope: OperationScope,
  ): Promise<Member | null> | null {
    return message.authorUserId ? scope.load(memberByUserId, message.authorUserId) : null;
  }
}
