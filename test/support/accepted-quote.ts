import {
  AcceptQuoteDocument,
  CreateQuoteDocument,
  SendQuoteDocument,
  type CreateQuoteInput,
} from '../generated/graphql';
import type { GraphQLResponse, TestApp } from './test-app';

function check<T>(step: string, res: GraphQLResponse<T>): T {
  if (res.errors) throw new Error(`${step} failed: ${JSON.stringify(res.errors)}`);
  return res.data!;
}

/**
 * Creates a quote, sends it and has the customer accept it (DRAFT → SENT → ACCEPTED): the one
 * place that knows how a quote reaches ACCEPTED. The customer needs an email address.
 */
export async function acceptedQuote(app: TestApp, org: string, input: CreateQuoteInput) {
  const quote = check('createQuote', await app.gql(CreateQuoteDocument, { input }, { org })).createQuote;
  check('sendQuote', await app.gql(SendQuoteDocument, { id: quote.id }, { org }));
  const { acceptQuote } = check('acceptQuote', await app.gql(AcceptQuoteDocument, { id: quote.id }, { org }));
  return { ...quote, status: acceptQuote.status };
}
