import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, ID, Info, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { Ticket, TicketMessage } from './ticket.entity';
import { AddTicketMessageArgs, CreateTicketInput, TicketConnection, TicketsArgs, UpdateTicketInput } from './ticket.inputs';
import { threadSelection } from './ticket-selection';
import type { TicketActor, TicketService } from './ticket.service';

const actorOf = (tenant: ScopedTenant, ctx: RequestContext): TicketActor => ({
  tenantId: tenant.id,
  userId: ctx.principal.kind === 'user' ? ctx.principal.userId : null,
});

@Resolver(() => Ticket)
@TenantScoped()
export class TicketResolver {
  constructor(private readonly ticketService: TicketService) {}

  @Query(() => Ticket)
  ticket(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string, @Info() info: GraphQLResolveInfo): Promise<Ticket> {
    return this.ticketService.get(em, id, threadSelection(info));
  }

  @Query(() => TicketConnection)
  tickets(@TenantManager() em: EntityManager, @Args() args: TicketsArgs, @Info() info: GraphQLResolveInfo): Promise<TicketConnection> {
    return this.ticketService.list(em, {
      ...args,
      withTotalCount: selectsField(info, 'totalCount'),
      thread: threadSelection(info, ['edges', 'node']),
    });
  }

  @Mutation(() => Ticket, { description: "Opens a ticket from the API channel; LIMIT_EXCEEDED when the plan's monthly tickets limit is reached" })
  createTicket(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('input') input: CreateTicketInput,
    @Info() info: GraphQLResolveInfo,
  ): Promise<Ticket> {
    return this.ticketService.create(em, actorOf(tenant, ctx), input, { thread: threadSelection(info) });
  }

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

  @Mutation(() => TicketMessage, { description: 'internal: a note for the team only; a public reply opens a NEW ticket' })
  addTicketMessage(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Args() { ticketId, body, internal }: AddTicketMessageArgs,
  ): Promise<TicketMessage> {
    return this.ticketService.addMessage(em, actorOf(tenant, ctx), ticketId, body, internal);
  }
}
