import { canWrite, checkedThenReleased, type PermissionTree } from '../memberships';

/**
 * Generating creates a quote: the same rule as createQuote, decided before the resolver runs
 * in its own transactions (a model may take seconds to answer; no connection waits for it).
 */
export const quoteGenerationPermissions: PermissionTree = {
  Mutation: {
    generateQuote: checkedThenReleased(canWrite('quotes')),
  },
};
