import { z } from 'zod';
import { LlmRequestError, type LlmPrompt } from '../../integrations/llm';
import type { MatchedProduct, ProposedLine } from './product-matcher';
import { MAX_QUANTITY, MAX_REQUEST_PARTS } from './product-matcher-request';
import { QuoteGenerationFallback } from './quote-generation.inputs';

/**
 * What the model is asked for and checked against: the candidates' ids only, positive quantities of at most 3 decimals.
 */
const QUANTITY = /^\d{1,6}(\.\d{1,3})?$/;
const answerSchema = z.object({
  lineItems: z
    .array(
      z.object({
        productId: z.string(),
        quantity: z
          .union([z.number(), z.string()])
          .transform(String)
          .refine(
            (q) => QUANTITY.test(q) && Number(q) > 0 && Number(q) <= MAX_QUANTITY,
            'quantity must be positive, at most 3 decimals',
          ),
        description: z.string().trim().max(2000).nullish(),
      }),
    )
    .min(1)
    .max(MAX_REQUEST_PARTS),
});

/** The answer named a product it was not offered (another tenant's, an inactive one, an invention). */
class UnknownProductError extends Error {}

export function quotePrompt(request: string, candidates: MatchedProduct[]): LlmPrompt {
  const catalog = candidates.map((p) =>
    JSON.stringify({ id: p.id, sku: p.sku, name: p.name, unit: p.unit, unitPrice: p.unitPrice, own: p.isOwnProduct }),
  );
  return {
    system: [
      'You draft sales quotes from a customer request, choosing line items ONLY from the catalog products listed (by their id).',
      'Answer with one JSON object and nothing else: {"lineItems":[{"productId":"<id from the catalog>","quantity":<positive number>,"description":"<optional line text>"}]}.',
      "Use the quantities the request states, in the product's unit; otherwise a sensible quantity.",
      'When an own product ("own":true) and a resold one fit equally, choose the own product. Include only what the request needs.',
    ].join('\n'),
    user: `Customer request:\n"""\n${request}\n"""\n\nCatalog products (one JSON object per line):\n${catalog.join('\n')}`,
  };
}

/** The model's text as lines: strict JSON (a ```json fence is tolerated) naming offered products only. */
export function parseAnswer(text: string, candidates: MatchedProduct[]): ProposedLine[] {
  const json = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  const { lineItems } = answerSchema.parse(JSON.parse(json));
  const offered = new Set(candidates.map((p) => p.id));
  if (lineItems.some((line) => !offered.has(line.productId))) throw new UnknownProductError();
  return lineItems.map((line) => ({
    productId: line.productId,
    quantity: line.quantity,
    ...(line.description ? { description: line.description } : {}),
  }));
}

/** Any failure of the LLM path, as the reason the matcher answered. */
export function fallbackReasonOf(error: unknown): QuoteGenerationFallback {
  if (error instanceof UnknownProductError) return QuoteGenerationFallback.LLM_UNKNOWN_PRODUCT;
  if (error instanceof LlmRequestError) {
    if (error.failure === 'TIMEOUT') return QuoteGenerationFallback.LLM_TIMEOUT;
    if (error.failure === 'UNAVAILABLE') return QuoteGenerationFallback.LLM_UNAVAILABLE;
  }
  if (error instanceof LlmRequestError || error instanceof SyntaxError || error instanceof z.ZodError)
    return QuoteGenerationFallback.LLM_INVALID_OUTPUT;
  return QuoteGenerationFallback.LLM_UNAVAILABLE;
}
