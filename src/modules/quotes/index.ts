export { Quote, QuoteLineItem } from './quote.entity';
export { QuoteStatus } from './quote-status';
export { QuoteService } from './quote.service';
export { QuoteDocumentService } from './quote-document.service';
export { QuoteDocumentVersion } from './quote-document.entity';
export { QuoteResolver } from './quote.resolver';
export { quotePermissions } from './quote.permissions';
