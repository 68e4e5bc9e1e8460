import type { ApolloServerPlugin } from '@apollo/server';
import { metrics } from './metrics';
import { currentRequestObservation } from './request-observation';

/**
 * Distinct operation names kept as metric labels; later newcomers share `(other)` so clients cannot explode the series
 * count.
 */
const MAX_OPERATION_LABELS = 200;
const knownOperations = new Set<string>();

function operationLabel(name: string | null | undefined, resolved: boolean): string {
  if (!resolved) return '(invalid)';
  if (!name) return '(anonymous)';
  if (knownOperations.has(name)) return name;
  if (knownOperations.size >= MAX_OPERATION_LABELS) return '(other)';
  knownOperations.add(name);
  return name;
}

/**
 * Counts and times every GraphQL operation by name, type and outcome, counts errors
 * by their final code (after the error formatter) and rate-limit refusals by limiter,
 * and hands the operation and its outcome to the request's observation (log line,
 * error reports). Outcome is `success` or the first error's code.
 */
export function graphqlObservabilityPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        // Before resolvers run, so error reports of this operation carry its name.
        async didResolveOperation({ operation, operationName }) {
          const observation = currentRequestObservation();
          if (observation)
            Object.assign(observation, {
              operationName: operationName?.slice(0, 100) ?? '(anonymous)',
              operationType: operation?.operation,
            });
        },
        async willSendResponse({ response, operation, operationName }) {
          const errors = (response.body.kind === 'single' ? response.body.singleResult.errors : undefined) ?? [];
          const codes = errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          const labels = {
            operation: operationLabel(operationName, !!operation),
            type: operation?.operation ?? 'unknown',
            outcome: codes[0] ?? 'success',
          };
          metrics.graphqlOperations.inc(labels);
          metrics.graphqlOperationDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
          for (const code of codes) metrics.graphqlErrors.inc({ code });
          // Every limiter answers with the one RATE_LIMITED code; its detail names the limiter.
          for (const { extensions } of errors.filter((e) => e.extensions?.code === 'RATE_LIMITED')) {
            metrics.rateLimitHits.inc({
              limiter: String(extensions?.limiter ?? extensions?.reason ?? 'unspecified').slice(0, 40),
            });
          }
          const observation = currentRequestObservation();
          if (observation) observation.outcome = labels.outcome;
        },
      };
    },
  };
}
