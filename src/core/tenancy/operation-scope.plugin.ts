import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../errors/error-code';
import type { RequestContext } from '../http/request-context';

/** Why the operation's transaction rolls back: the result carries at least one error. */
class OperationFailed extends Error {}

/**
 * Owns the lifetime of each operation's tenant scope (`context.tenantScope`, opened lazily by the
 * first field whose policy needs the organization): once the whole result is resolved, and before
 * it is sent, commit when it has no error at any path, roll back otherwise — so a mutation is
 * all-or-nothing, nested FORBIDDEN included — and release the connection. A failed commit
 * answers INTERNAL_SERVER_ERROR instead of the data it did not store.
 */
export function operationScopePlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const body = response.body;
          const failed = body.kind !== 'single' || !!body.singleResult.errors?.length;
          try {
            await contextValue.tenantScope.close(failed ? new OperationFailed() : undefined);
          } catch (error) {
            contextValue.logger.error({ err: error }, 'Committing the operation failed');
            response.http.status = 500;
            const message = 'The operation could not be committed';
            response.body = {
              kind: 'single',
              singleResult: {
                errors: [{ message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, reason: 'COMMIT_FAILED' } }],
              },
            };
          }
        },
      };
    },
  };
}
