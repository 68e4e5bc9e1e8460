import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import { ErrorCode } from '../errors/error-code';
import { findIllFormedText, INVALID_CHARACTERS, invalidCharactersMessage, isWellFormedText } from './well-formed-text';

/** A refusal of the whole operation before any resolver runs: 400 with a documented reason. */
const refusal = (message: string, reason: string, details: Record<string, unknown> = {}) =>
  new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, reason, ...details, http: { status: 400 } },
  });

/** `createCustomer.input.name` for a literal: the names of the fields, arguments and input fields around it. */
function literalPath(ancestors: readonly (ASTNode | readonly ASTNode[])[]): string {
  const names: string[] = [];
  for (const node of ancestors) {
    if (Array.isArray(node)) continue;
    const n = node as ASTNode;
    if (n.kind === Kind.FIELD) names.push(n.alias?.value ?? n.name.value);
    else if (n.kind === Kind.ARGUMENT || n.kind === Kind.OBJECT_FIELD) names.push(n.name.value);
    else if (n.kind === Kind.VARIABLE_DEFINITION) names.push(`$${n.variable.name.value}`);
  }
  return names.join('.') || 'document';
}

/** Documents are parsed once and cached by Apollo, so their literals are checked once too. */
const checkedDocuments = new WeakMap<DocumentNode, string | null>();

function illFormedLiteral(document: DocumentNode): string | null {
  let found = checkedDocuments.get(document);
  if (found !== undefined) return found;
  found = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (isWellFormedText(node.value)) return undefined;
      found = literalPath(parent ? [...ancestors, parent] : ancestors);
      return BREAK;
    },
  });
  checkedDocuments.set(document, found);
  return found;
}

type ResultData = Record<string, unknown> | null | undefined;

/** Nothing was answered: no data, or every root field null. */
const nothingAnswered = (data: ResultData) => !data || Object.values(data).every((value) => value === null);

/**
 * The GraphQL side of the request edge:
 * - NUL or ill-formed Unicode in any variable or literal (every String, ID and custom scalar) is
 *   BAD_USER_INPUT `INVALID_CHARACTERS` with the field path, before any resolver runs;
 * - a subscription over HTTP is `SUBSCRIPTIONS_NOT_SUPPORTED` (they are served over WebSocket, graphql-ws);
 * - an operation refused as a whole by rate limits answers HTTP 429 with Retry-After;
 * - every answer is `Cache-Control: no-store`.
 */
export function graphqlEdgePlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          if (operation?.operation === 'subscription') {
            throw refusal(
              'Subscriptions are served over WebSocket (graphql-ws) at /graphql',
              'SUBSCRIPTIONS_NOT_SUPPORTED',
            );
          }
          const field = findIllFormedText(request.variables, 'variables') ?? illFormedLiteral(document);
          if (field) throw refusal(invalidCharactersMessage(field), INVALID_CHARACTERS, { field });
        },
        async willSendResponse({ response }) {
          // Answers carry one caller's data: no shared cache keeps them.
          response.http.headers.set('cache-control', 'no-store');
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          const refused = !!errors?.length && errors.every((e) => e.extensions?.code === ErrorCode.RATE_LIMITED);
          if (!refused || !nothingAnswered(data)) return;
          const retryAfter = Math.max(1, ...errors!.map((e) => Number(e.extensions?.retryAfter) || 1));
          response.http.status = 429;
          response.http.headers.set('retry-after', String(Math.ceil(retryAfter)));
        },
      };
    },
  };
}
