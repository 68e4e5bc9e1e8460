/** generateQuote's public pieces, re-exported by index.ts in one line. */
export { ProductMatcher } from './product-matcher';
export { QuoteGenerationResolver } from './quote-generation.resolver';
export { QuoteGenerationService } from './quote-generation.service';
