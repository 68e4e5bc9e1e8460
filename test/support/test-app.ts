import 'reflect-metadata';
import { print } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/app/database';
import { createHttpApp, type HttpApp } from '../../src/app/http-app';
import { buildAppSchema } from '../../src/app/schema';
import { createServices, type Services } from '../../src/app/services';
import { loadConfig, type AppConfig } from '../../src/core/config/config';
import { createRequestRateLimiter } from '../../src/core/http/rate-limit';
import { createLogger } from '../../src/core/logging/logger';
import { createTestDatabase } from './test-database';

export const TEST_ADMIN_SECRET = 'test-admin-secret-0123456789abcdef';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions: { code: string; [key: string]: unknown } }[];
}

export interface RequestOptions {
  /** X-Organization-ID (tenant id or slug). */
  org?: string;
  /** Send the platform admin secret (default true, false when `bearer` is given). */
  admin?: boolean;
  /** `Authorization: Bearer <token>` (an access token). */
  bearer?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  url: string;
  config: AppConfig;
  dataSource: DataSource;
  databaseUrl: string;
  services: Services;
  http: HttpApp;
  gql<T, V>(
    document: TypedDocumentNode<T, V> | string,
    variables?: V,
    options?: RequestOptions,
  ): Promise<GraphQLResponse<T>>;
  createTenant(slug: string, name?: string): Promise<{ id: string; slug: string; schemaName: string }>;
  close(): Promise<void>;
}

/** A full server (Express + Apollo + real PostgreSQL database of its own) on a free port. */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { now?: () => Date; logger?: Logger; rateLimited?: boolean; sharedDatabaseOf?: TestApp } = {},
): Promise<TestApp> {
  // `sharedDatabaseOf`: a second instance (another API process) on the first one's database, which that one drops.
  const database = options.sharedDatabaseOf
    ? { url: options.sharedDatabaseOf.databaseUrl, drop: async () => undefined }
    : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ADMIN_SECRET: TEST_ADMIN_SECRET,
    DATABASE_URL: database.url,
    ...env,
  });
  const logger = options.logger ?? createLogger(config.logLevel); // `logger`: a test that reads the log lines
  const db = await openDatabase(config, logger);
  // `now`: the services' clock (SLA, reminders, trials), for tests that move time on.
  const services = createServices(config, db.dataSource, db.url, { now: options.now });
  const schema = await buildAppSchema(services.container);
  await services.revocations.start();
  await services.eventFeed.start();
  // `rateLimited`: the request rate limit of RATE_LIMIT_MAX / RATE_LIMIT_WINDOW, on the database as without Redis.
  const rateLimiter = options.rateLimited
    ? createRequestRateLimiter({ ...config.rateLimit, dataSource: db.dataSource, logger })
    : undefined;
  await rateLimiter?.ready();
  const http = await createHttpApp({
    config,
    logger,
    dataSource: db.dataSource,
    schema,
    jobsState: () => services.jobs.state(),
    credentials: services.credentials,
    apiCalls: services.apiCalls,
    stripeWebhooks: services.payments.stripeWebhooks,
    routes: services.httpRoutes,
    mcp: services.mcp,
    rateLimiter,
    eventSubscriptions: services.eventSubscriptions,
  });
  const port = await http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;

  const gql: TestApp['gql'] = async (document, variables, options = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.admin ?? !options.bearer) headers['x-admin-secret'] = TEST_ADMIN_SECRET;
    if (options.org) headers['x-organization-id'] = options.org;
    const query = typeof document === 'string' ? document : print(document);
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };

  return {
    url,
    config,
    dataSource: db.dataSource,
    databaseUrl: db.url,
    services,
    http,
    gql,
    createTenant: async (slug, name = slug) => {
      const tenant = await services.tenants.provision({ slug, name });
      return { id: tenant.id, slug: tenant.slug, schemaName: tenant.schemaName };
    },
    close: async () => {
      await http.close();
      await rateLimiter?.close();
      await services.jobs.stop();
      await services.auth.whenIdle();
      await services.whatsApp.inbound.whenIdle();
      await services.revocations.close();
      await services.eventFeed.close();
      await services.apiKeys.flushUsage();
      await services.apiCalls.flush();
      await db.close();
      await database.drop();
    },
  };
}
