import { canWrite, Policy } from '../../core/authorization';
import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { actorLabel } from '../../core/http/actor-label';
import type { RequestContext } from '../../core/http/request-context';
import { requestTenantTransaction } from '../../core/tenancy/tenant-request';
import { GeneratedQuote, GenerateQuoteInput } from './quote-generation.inputs';
import { QuoteGenerationService } from './quote-generation.service';

/** Released policy: the service opens its own short transactions around the model's answer. */
@Resolver()
export class QuoteGenerationResolver {
  constructor(private readonly generation: QuoteGenerationService) {}

  @Policy(canWrite('quotes'), { released: true })
  @Mutation(() => GeneratedQuote, {
    description:
      'A DRAFT quote drafted from a free-text request: by the catalog matcher, or by the LLM when configured and the plan has ai_quote_generation (the matcher answers whenever the LLM fails). BAD_USER_INPUT NO_MATCHING_PRODUCTS when no product matches; LIMIT_EXCEEDED as createQuote',
  })
  generateQuote(@Ctx() ctx: RequestContext, @Arg('input') input: GenerateQuoteInput): Promise<GeneratedQuote> {
    // Attributed like createQuote's documents (QuoteDocumentVersion.createdBy).
    return this.generation.generate(requestTenantTransaction(ctx), actorLabel(ctx.principal), input);
  }
}
