import type { Logger } from 'pino';
import type { TenantTransaction } from '../../core/tenancy/tenant-request';
import { addDays, todayIn } from '../../core/calendar';
import type { EntityManager } from 'typeorm';
import { BadUserInputError } from '../../core/errors/app-error';
import type { LlmClient } from '../../integrations/llm';
import type { CustomerService } from '../customers';
import type { EntitlementService } from '../plans';
import type { CatalogMatch, ProductMatcher, ProposedLine } from './product-matcher';
import { fallbackReasonOf, parseAnswer, quotePrompt } from './quote-generation-llm';
import {
  QuoteGenerationFallback,
  QuoteGenerator,
  type GeneratedQuote,
  type GenerateQuoteInput,
} from './quote-generation.inputs';
import type { QuoteService } from './quote.service';

/** A generated quote stays valid this long unless the caller says otherwise. */
const DEFAULT_VALIDITY_DAYS = 30;

export interface QuoteGenerationDeps {
  quotes: Pick<QuoteService, 'create'>;
  customers: Pick<CustomerService, 'get'>;
  entitlements: Pick<EntitlementService, 'entitlement'>;
  matcher: ProductMatcher;
  /** Undefined when no LLM key is configured. */
  llm?: LlmClient;
  /** The organization's currency and IANA time zone. */
  settingsOf: (em: EntityManager) => Promise<{ currency: string; timezone: string }>;
  now: () => Date;
  logger: Pick<Logger, 'warn'>;
}

interface Draft {
  lines: ProposedLine[];
  generatedBy: QuoteGenerator;
  fallbackReason: QuoteGenerationFallback | null;
}

/**
 * generateQuote: a DRAFT quote from a free-text request. The matcher always drafts; with an
 * LLM configured and the plan's `ai_quote_generation`, the model picks from the matcher's
 * candidates instead, and any failure of it (error, timeout, bad JSON, a product it was not
 * offered) leaves the matcher's lines. Then QuoteService.create prices, numbers and counts
 * the quote as for any other. A request matching no product is BAD_USER_INPUT
 * (NO_MATCHING_PRODUCTS): a quote needs lines.
 */
export class QuoteGenerationService {
  constructor(private readonly deps: QuoteGenerationDeps) {}

  /**
   * Two short transactions around the model's answer, so no pooled connection waits on the
   * network (the field's released policy checked the caller in a scope that is closed again,
   * see QuoteGenerationResolver): the first reads the customer, settings, catalog match
   * and plan; the second creates the quote.
   */
  async generate(inTenant: TenantTransaction, author: string, input: GenerateQuoteInput): Promise<GeneratedQuote> {
    const request = await inTenant(async (em, tenant) => {
      // An unknown customer fails before anything is asked of a model.
      await this.deps.customers.get(em, input.customerId);
      const settings = await this.deps.settingsOf(em);
      const currency = input.currency ?? settings.currency;
      const match = await this.deps.matcher.match(em, input.customerRequest, currency);
      if (!match.lines.length) {
        throw new BadUserInputError(`No active ${currency} product in the catalog matches the request`, {
          reason: 'NO_MATCHING_PRODUCTS',
          field: 'customerRequest',
        });
      }
      return {
        tenantId: tenant.id,
        currency,
        validUntil: input.validUntil ?? addDays(todayIn(settings.timezone, this.deps.now()), DEFAULT_VALIDITY_DAYS),
        match,
        llmUse: await this.llmUse(em, tenant.id),
      };
    });
    const draft = await this.draft(request.tenantId, input.customerRequest, request.match, request.llmUse);
    const quote = await inTenant((em, tenant) =>
      this.deps.quotes.create(
        em,
        { tenantId: tenant.id, author },
        {
          customerId: input.customerId,
          title: input.quoteTitle,
          currency: request.currency,
          validUntil: request.validUntil,
          lineItems: draft.lines,
        },
      ),
    );
    return { quote, generatedBy: draft.generatedBy, fallbackReason: draft.fallbackReason };
  }

  /** Whether the model may be asked: configured, and in the organization's plan. */
  private async llmUse(em: EntityManager, tenantId: string): Promise<QuoteGenerationFallback | null> {
    if (!this.deps.llm) return QuoteGenerationFallback.LLM_NOT_CONFIGURED;
    const { allowed } = await this.deps.entitlements.entitlement(em, tenantId, 'ai_quote_generation');
    return allowed ? null : QuoteGenerationFallback.FEATURE_NOT_IN_PLAN;
  }

  /** `notAsked`: why the model is not asked (null: ask it). Runs outside any transaction. */
  private async draft(
    tenantId: string,
    request: string,
    match: CatalogMatch,
    notAsked: QuoteGenerationFallback | null,
  ): Promise<Draft> {
    const byMatcher = (fallbackReason: QuoteGenerationFallback): Draft => ({
      lines: match.lines,
      generatedBy: QuoteGenerator.MATCHER,
      fallbackReason,
    });
    const { llm } = this.deps;
    if (notAsked || !llm) return byMatcher(notAsked ?? QuoteGenerationFallback.LLM_NOT_CONFIGURED);
    try {
      const lines = parseAnswer(await llm.completeJson(quotePrompt(request, match.candidates)), match.candidates);
      return { lines, generatedBy: QuoteGenerator.LLM, fallbackReason: null };
    } catch (error) {
      const reason = fallbackReasonOf(error);
      this.deps.logger.warn(
        { tenantId, model: llm.model, reason, error: error instanceof Error ? error.message : String(error) },
        'generateQuote: LLM answer not used, the matcher drafted the quote',
      );
      return byMatcher(reason);
    }
  }
}
