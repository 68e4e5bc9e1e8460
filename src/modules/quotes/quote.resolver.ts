import { canRead, canWrite, Policy } from '../../core/authorization';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { selectsField } from '../../core/graphql/selection';
import { actorLabel } from '../../core/http/actor-label';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { defineBatchLoad, type OperationScope } from '../../core/tenancy/operation-scope';
import { CurrentTenant, OperationTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { Customer, customerById } from '../customers';
import { QuoteDocument, QuoteDocumentType } from './quote-document.entity';
import { QuoteDocumentService } from './quote-document.service';
import { Quote } from './quote.entity';
import { CreateQuoteInput, QuoteConnection, QuotesArgs, UpdateQuoteInput } from './quote.inputs';
import { QuoteService } from './quote.service';
import { QuoteSender } from './quote-sending.service';

@Resolver(() => Quote)
export class QuoteResolver {
  private readonly documentsOf;

  constructor(
    private readonly quoteService: QuoteService,
    private readonly documentService: QuoteDocumentService,
    private readonly sender: QuoteSender,
  ) {
    this.documentsOf = defineBatchLoad<string, QuoteDocument[]>(({ manager }, quoteIds) =>
      documentService.forQuotes(manager, quoteIds),
    );
  }

  @Policy(canRead('quotes'))
  @Query(() => Quote)
  quote(@TenantManager() em: EntityManager, @Arg('id', () => ID) id: string): Promise<Quote> {
    return this.quoteService.get(em, id);
  }

  @Policy(canRead('quotes'))
  @Query(() => QuoteConnection)
  quotes(
    @TenantManager() em: EntityManager,
    @Args() args: QuotesArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<QuoteConnection> {
    return this.quoteService.list(em, { ...args, withTotalCount: selectsField(info, 'totalCount') });
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => Quote, {
    description:
      "A DRAFT quote with server-side totals; LIMIT_EXCEEDED when the plan's monthly quotes limit is reached",
  })
  createQuote(
    @TenantManager() em: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() ctx: RequestContext,
    @Arg('input') input: CreateQuoteInput,
  ): Promise<Quote> {
    return this.quoteService.create(em, { tenantId: tenant.id, author: actorLabel(ctx.principal) }, input);
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => Quote, { description: 'CONFLICT unless the quote is DRAFT' })
  updateQuote(
    @TenantManager() em: EntityManager,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateQuoteInput,
  ): Promise<Quote> {
    return this.quoteService.update(em, id, input);
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => Quote, {
    description:
      "Emails the customer the quote's PDF and makes it SENT. CONFLICT (QUOTE_NOT_DRAFT, QUOTE_EXPIRED) unless it is a DRAFT; BAD_USER_INPUT (CUSTOMER_HAS_NO_EMAIL)",
  })
  sendQuote(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
  ): Promise<Quote> {
    return this.sender.send(em, id, actorLabel(ctx.principal));
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => Quote, {
    description: 'CONFLICT unless the quote is SENT (QUOTE_NOT_SENT for a DRAFT, QUOTE_EXPIRED)',
  })
  acceptQuote(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
  ): Promise<Quote> {
    return this.quoteService.accept(em, id, actorLabel(ctx.principal));
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => Quote, {
    description: 'CONFLICT unless the quote is SENT (QUOTE_NOT_SENT for a DRAFT, QUOTE_EXPIRED)',
  })
  rejectQuote(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
  ): Promise<Quote> {
    return this.quoteService.reject(em, id, reason, actorLabel(ctx.principal));
  }

  @Policy(canRead('quotes'))
  @Query(() => QuoteDocument)
  quoteDocument(
    @TenantManager() em: EntityManager,
    @Arg('quoteId', () => ID) quoteId: string,
    @Arg('type', () => QuoteDocumentType) type: QuoteDocumentType,
  ): Promise<QuoteDocument> {
    return this.documentService.get(em, quoteId, type);
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => QuoteDocument, { description: 'Adds a new version; CONFLICT unless the quote is DRAFT' })
  updateQuoteDocument(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('quoteId', () => ID) quoteId: string,
    @Arg('type', () => QuoteDocumentType) type: QuoteDocumentType,
    @Arg('content') content: string,
  ): Promise<QuoteDocument> {
    return this.documentService.update(em, quoteId, type, content, actorLabel(ctx.principal));
  }

  @Policy(canWrite('quotes'))
  @Mutation(() => QuoteDocument, {
    description: 'Copies an old version into a new one; CONFLICT unless the quote is DRAFT',
  })
  restoreQuoteDocumentVersion(
    @TenantManager() em: EntityManager,
    @Ctx() ctx: RequestContext,
    @Arg('quoteId', () => ID) quoteId: string,
    @Arg('type', () => QuoteDocumentType) type: QuoteDocumentType,
    @Arg('version', () => Int) version: number,
  ): Promise<QuoteDocument> {
    return this.documentService.restore(em, quoteId, type, version, actorLabel(ctx.principal));
  }

  @Policy(canRead('customers'))
  @FieldResolver(() => Customer, { nullable: true, description: 'FORBIDDEN (and null) without customers:read' })
  customer(@Root() quote: Quote, @OperationTenant() scope: OperationScope): Promise<Customer | null> {
    return scope.load(customerById, quote.customerId);
  }

  @Policy(canRead('quotes'))
  @FieldResolver(() => [QuoteDocument], {
    description: 'Every document of the quote with its history (quoteDocument reads one)',
  })
  documents(@Root() quote: Quote, @OperationTenant() scope: OperationScope): Promise<QuoteDocument[]> {
    return scope.load(this.documentsOf, quote.id);
  }
}
