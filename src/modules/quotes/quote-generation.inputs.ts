import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { IsOptional, Length, Matches } from 'class-validator';
import { CalendarDate, NotBlank } from '../../core/validation/input-rules.decorators';
import { Quote } from './quote.entity';

export enum QuoteGenerator {
  MATCHER = 'MATCHER',
  LLM = 'LLM',
}

/** Why the deterministic matcher drafted the lines instead of the LLM. */
export enum QuoteGenerationFallback {
  LLM_NOT_CONFIGURED = 'LLM_NOT_CONFIGURED',
  FEATURE_NOT_IN_PLAN = 'FEATURE_NOT_IN_PLAN',
  LLM_UNAVAILABLE = 'LLM_UNAVAILABLE',
  LLM_TIMEOUT = 'LLM_TIMEOUT',
  LLM_INVALID_OUTPUT = 'LLM_INVALID_OUTPUT',
  LLM_UNKNOWN_PRODUCT = 'LLM_UNKNOWN_PRODUCT',
}

registerEnumType(QuoteGenerator, { name: 'QuoteGenerator', description: 'What chose the lines of a generated quote' });
registerEnumType(QuoteGenerationFallback, {
  name: 'QuoteGenerationFallback',
  description: 'Why the matcher drafted the lines',
  valuesConfig: {
    LLM_NOT_CONFIGURED: { description: 'No LLM key is configured on this server' },
    FEATURE_NOT_IN_PLAN: { description: 'The plan lacks ai_quote_generation (the LLM was not called)' },
    LLM_UNAVAILABLE: { description: 'The LLM answered with an error or could not be reached' },
    LLM_TIMEOUT: { description: 'The LLM did not answer within LLM_TIMEOUT_MS' },
    LLM_INVALID_OUTPUT: { description: 'The answer was not the JSON asked for (or had no usable line)' },
    LLM_UNKNOWN_PRODUCT: { description: 'The answer named a product that is not among the catalog products offered' },
  },
});

@InputType()
export class GenerateQuoteInput {
  @Field(() => ID)
  customerId: string;

  @Field({
    description:
      'Free text, e.g. "50 metres of Cat6 cable, 3 access points"; each part separated by a comma, "and" or a line becomes a line',
  })
  @Length(1, 4000)
  @NotBlank()
  customerRequest: string;

  @Field()
  @Length(1, 200)
  @NotBlank()
  quoteTitle: string;

  @Field(() => String, {
    nullable: true,
    description: "Defaults to the organization's currency; only products priced in it are proposed",
  })
  @IsOptional()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a 3-letter ISO 4217 code' })
  currency?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Last valid day, YYYY-MM-DD; defaults to 30 days from today (the organization's calendar)",
  })
  @IsOptional()
  @CalendarDate()
  validUntil?: string | null;
}

@ObjectType()
export class GeneratedQuote {
  @Field(() => Quote, { description: 'The DRAFT quote created, priced from the catalog' })
  quote: Quote;

  @Field(() => QuoteGenerator)
  generatedBy: QuoteGenerator;

  @Field(() => QuoteGenerationFallback, { nullable: true, description: 'Set exactly when generatedBy is MATCHER' })
  fallbackReason: QuoteGenerationFallback | null;
}
