import { createHttpApp } from '../../src/app/http-app';
import { buildAppSchema } from '../../src/app/schema';
import { createRequestRateLimiter } from '../../src/core/http/rate-limit';
import type { BenchContext } from '../bench-context';

/** Far above what one bench client sends: every request still pays for the counting, none is refused. */
const BENCH_RATE_MAX = 100_000_000;

export interface ScaleServer {
  url: string;
  close(): Promise<void>;
}

/** The API with its production wiring (rate limiter, metering, credentials), on a free port of this process. */
export async function startScaleServer(context: BenchContext): Promise<ScaleServer> {
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
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled' as const,
    credentials: services.credentials,
    rateLimiter,
    tenantRequestsPerMinute: services.tenantRequestsPerMinute,
    apiCalls: services.apiCalls,
  });
  const port = await http.listen(0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, close: () => http.close().then(() => rateLimiter.close()) };
}

/** One GraphQL POST as the platform admin, optionally in an organization. */
export function adminRequest(context: BenchContext, query: string, organization?: string) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-admin-secret': context.config.adminSecret!,
  };
  if (organization) headers['x-organization-id'] = organization;
  return { method: 'POST' as const, path: '/graphql', headers, body: JSON.stringify({ query }) };
}

/** Sends one request and returns its parsed answer; any error or non-200 is thrown (a bench of errors is worthless). */
export async function sendGraphql<T>(server: ScaleServer, request: ReturnType<typeof adminRequest>): Promise<T> {
  const response = await fetch(`${server.url}${request.path}`, request);
  const text = await response.text();
  const parsed = JSON.parse(text) as { data?: T; errors?: unknown };
  if (response.status !== 200 || parsed.errors || !parsed.data) {
    throw new Error(`GraphQL request failed: ${response.status} ${text.slice(0, 500)}`);
  }
  return parsed.data;
}
