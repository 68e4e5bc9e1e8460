import type { GraphQLSchema } from 'graphql';
import type { CredentialChecks } from '../src/app/authenticate';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createRequestRateLimiter } from '../src/core/http/rate-limit';
import type { BenchContext } from './bench-context';

/**
 * The per-user/IP allowance of the bench's limiter: high enough that the load is never refused (one bench user,
 * one IP), so each request still pays for the counting, as in production.
 */
const BENCH_RATE_MAX = 100_000_000;

export interface ProductionServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The API with its production wiring (rate limiter, per-plan request limits, API-call metering, credentials) on a
 * free port of this process, jobs off. `schema` and `credentials` default to the app's own.
 */
export async function startProductionServer(
  context: BenchContext,
  overrides: { schema?: GraphQLSchema; credentials?: CredentialChecks } = {},
): Promise<ProductionServer> {
  const { config, logger, dataSource, services } = context;
  const rateLimiter = createRequestRateLimiter({
    ...config.rateLimit,
    max: BENCH_RATE_MAX,
    redisUrl: config.redisUrl,
    dataSource,
    logger,
  });
  await rateLimiter.ready();
  const http = await createHttpApp({
    config,
    logger,
    dataSource,
    schema: overrides.schema ?? (await buildAppSchema(services.container)),
    jobsState: () => 'disabled' as const,
    credentials: overrides.credentials ?? services.credentials,
    rateLimiter,
    tenantRequestsPerMinute: services.tenantRequestsPerMinute,
    apiCalls: services.apiCalls,
  });
  const port = await http.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => http.close().then(() => rateLimiter.close()) };
}
