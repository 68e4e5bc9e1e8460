import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, ID, Info, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import { actorLabel } from '../../core/http/actor-label';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Invoice } from './invoice.entity';
import { CreateInvoiceArgs, InvoiceConnection, InvoicesArgs } from './invoice.inputs';
import type { InvoiceSender } from './invoice-sending.service';
import type { InvoiceService } from './invoice.service';

@Resolver(() => Invoice)
export class InvoiceResolver {
  constructor(
    private readonly invoiceService: InvoiceService,
    private readonly sender: InvoiceSender,
  ) {}

  @Policy(canRead('invoices'))
  @Query(() => Invoice)
  invoice(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Invoice> {
    return this.invoiceService.get(em, id);
  }

  @Policy(canRead('invoices'))
  @Query(() => InvoiceConnection)
  invoices(
    @TenantManager() em: EntityManager,
    @Args() args: InvoicesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<InvoiceConnection> {
    return this.invoiceService.list(em, { ...args, withTotalCount: selectsField(info, 'totalCount') });
  }

  @Policy(canWrite('invoices'))
  @Mutation(() => Invoice, {
    description:
      "A DRAFT invoice with the quote's lines and totals, due on dueDate or after the organization's paymentTermsDays; BAD_USER_INPUT (DUE_BEFORE_ISSUE); CONFLICT unless the quote is ACCEPTED and has no invoice that is not VOID; LIMIT_EXCEEDED when the plan's monthly invoices limit is reached",
  })
  createInvoiceFromQuote(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Args() { quoteId, dueDate }: CreateInvoiceArgs,
  ): Promise<Invoice> {
    return this.invoiceService.createFromQuote(em, tenant.id, quoteId, dueDate);
  }

  @Policy(canWrite('invoices'))
  @Mutation(() => Invoice, {
    description:
      "Emails the customer the invoice's PDF and makes it SENT. CONFLICT (INVOICE_NOT_DRAFT) unless it is a DRAFT; BAD_USER_INPUT (CUSTOMER_HAS_NO_EMAIL)",
  })
  sendInvoice(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
  ): Promise<Invoice> {
    return this.sender.send(em, id, actorLabel(ctx.principal));
  }

  @Policy(canWrite('invoices'))
  @Mutation(() => Invoice, {
    description: 'DRAFT or SENT → PAID; paidAt defaults to now (PAID_AT_FUTURE, PAID_BEFORE_ISSUE); CONFLICT otherwise',
  })
  markInvoicePaid(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('paidAt', () => Date, { nullable: true }) paidAt: Date | null,
  ): Promise<Invoice> {
    return this.invoiceService.markPaid(em, id, paidAt);
  }

  @Policy(canWrite('invoices'))
  @Mutation(() => Invoice, {
    description: 'DRAFT or SENT → VOID; CONFLICT otherwise. A voided invoice still counts toward the monthly limit',
  })
  voidInvoice(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Invoice> {
    return this.invoiceService.void(em, id);
  }
}
