import { canRead, canWrite, type PermissionTree } from '../memberships';

/** Quotes are tenant data: VIEWER reads, MEMBER writes; API keys need quotes:read / quotes:write. */
export const quotePermissions: PermissionTree = {
  Query: {
    quote: canRead('quotes'),
    quotes: canRead('quotes'),
    quoteDocument: canRead('quotes'),
  },
  Mutation: {
    createQuote: canWrite('quotes'),
    updateQuote: canWrite('quotes'),
    sendQuote: canWrite('quotes'),
    acceptQuote: canWrite('quotes'),
    rejectQuote: canWrite('quotes'),
    updateQuoteDocument: canWrite('quotes'),
    restoreQuoteDocumentVersion: canWrite('quotes'),
  },
};
