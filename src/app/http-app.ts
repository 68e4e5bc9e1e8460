import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import cors from 'cors';
import express, { type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { ErrorCode } from '../core/errors/error-code';
import { createErrorFormatter } from '../core/errors/format-graphql-error';
import { finalErrorHandler, notFoundHandler, refuseOversizeBody } from '../core/http/error-handler';
import { graphqlEdgePlugin } from '../core/http/graphql-edge.plugin';
import { healthHandler, readinessHandler, versionVisibility, type JobsState } from '../core/http/health';
import { rawJsonBody } from '../core/http/raw-json-body';
import { queryCostPlugin } from '../core/graphql/query-cost';
import { rateLimitKey, type RequestRateLimiter } from '../core/http/rate-limit';
import { ServerDrain } from '../core/http/server-drain';
import type { Principal, RequestContext } from '../core/http/request-context';
import { refuseIllFormedUrl } from '../core/http/well-formed-text';
import { reportInternalError } from '../core/observability/error-reporting';
import { OperationScope } from '../core/tenancy/operation-scope';
import { operationScopePlugin } from '../core/tenancy/operation-scope.plugin';
import type { ScopedTenant } from '../core/tenancy/tenant-scope';
import { graphqlObservabilityPlugin } from '../core/observability/graphql-observability.plugin';
import { metrics, metricsHandler, observeDataSource } from '../core/observability/metrics';
import {
  currentRequestObservation,
  describePrincipal,
  observeRequests,
  requestObservation,
  withRequestObservation,
} from '../core/observability/request-observation';
import { McpCatalog, mcpEndpoint, type McpCaller, type RunOperation } from '../modules/mcp';
import { stripeWebhookHandler, type StripeWebhookService } from '../modules/payments';
import type { ApiCallMeter } from '../modules/plans';
import type { EventSubscriptionService } from '../modules/subscriptions';
import { authenticate, requestError, tenantAuthorizer, type CredentialChecks } from './authenticate';
import { createHttpRouteKit, type HttpRouteMount } from './http-routes';
import { startSubscriptionServer } from './subscription-server';

export interface HttpAppDependencies {
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  schema: GraphQLSchema;
  jobsState: () => JobsState;
  /** Checks `tq_` API keys and ended sessions; without it API keys are refused (401). */
  credentials?: CredentialChecks;
  /** Limits requests per API key's organization, user or IP before anything runs; without it, none are limited. */
  rateLimiter?: RequestRateLimiter;
  /** An organization's API-key requests per minute (its plan's; null: unlimited); without it, RATE_LIMIT_MAX. */
  tenantRequestsPerMinute?: (tenantId: string) => Promise<number | null | undefined>;
  /** Counts requests toward their tenant's `api_calls`; without it, none are counted. */
  apiCalls?: Pick<ApiCallMeter, 'forRequest'>;
  /** Applies Stripe's events at POST /webhooks/stripe; without it the route does not exist. */
  stripeWebhooks?: StripeWebhookService;
  /** Modules' REST routes (webhooks, downloads), authenticated and tenant-scoped like GraphQL through the kit. */
  routes?: HttpRouteMount[];
  /** Serves MCP at /mcp (src/modules/mcp), gated by the plan's `mcp_access`; without it the route does not exist. */
  mcp?: Pick<McpCaller, 'requireAccess'>;
  /** GraphQL subscriptions over graphql-ws on /graphql (the event feed started); without it, none. */
  eventSubscriptions?: EventSubscriptionService;
}

export interface HttpApp {
  app: express.Express;
  httpServer: http.Server;
  /** Starts listening; resolves with the bound port (0 picks a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** Shutdown, first step: /ready answers 503 and responses close their connections; requests are still served. */
  beginDrain(): void;
  /** Stops accepting, closes idle keep-alive sockets and waits for in-flight requests (at most SHUTDOWN_GRACE_MS). */
  close(): Promise<void>;
  isShuttingDown(): boolean;
}

export async function createHttpApp(deps: HttpAppDependencies): Promise<HttpApp> {
  const { config, logger, dataSource, schema } = deps;
  const app = express();
  app.disable('x-powered-by');
  // An ETag hashes every answer: GraphQL POSTs are never revalidated, and the REST routes send files.
  app.set('etag', false);
  // X-Forwarded-For decides req.ip (per-IP throttling) only when it comes from a proxy TRUST_PROXY names.
  app.set('trust proxy', config.trustProxy);
  app.use(observeRequests(logger));
  // The request edge, before any route: a body over the limit on its Content-Length alone, ill-formed URLs.
  app.use(refuseOversizeBody(config.maxRequestSize), refuseIllFormedUrl);
  const httpServer = http.createServer(app);
  const drain = new ServerDrain(httpServer);
  const stopObservingDatabase = observeDataSource(dataSource);

  const armor = new ApolloArmor({
    maxDepth: { n: config.graphql.maxDepth },
    maxAliases: { n: config.graphql.maxAliases },
    // Replaced by queryCostPlugin: armor's cost ignores list sizes (`first`) and grows with depth.
    costLimit: { enabled: false },
    maxDirectives: { n: 50 },
    // Token limit is enforced by graphql's own parser (parseOptions) so it answers 400, not 500.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.isProduction },
  });
  const protection = armor.protect();

  const formatError = createErrorFormatter({
    isProduction: config.isProduction,
    logger,
    onInternalError: (error) => {
      const observation = currentRequestObservation();
      if (observation) observation.internalError = true; // the request line is then logged as an error
      reportInternalError(error, observation);
    },
  });
  const apollo = new ApolloServer<RequestContext>({
    schema,
    ...protection,
    includeStacktraceInErrorResponses: !config.isProduction,
    introspection: config.graphql.sandbox,
    parseOptions: { maxTokens: config.graphql.maxTokens },
    csrfPrevention: true,
    // bootstrap owns SIGTERM: Apollo's own handler would stop the server, then re-raise the signal and kill
    // the process before jobs are drained, the pool closed and error reports flushed.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      // First, so the other plugins see the outcome of the commit (the operation's tenant scope closes here).
      operationScopePlugin(),
      queryCostPlugin(config.graphql.maxCost),
      ...protection.plugins,
      graphqlEdgePlugin(),
      graphqlObservabilityPlugin(),
      // Apollo's defaults hook every field resolution (cache hints, federated traces), used by neither our schema
      // nor our clients; the edge plugin sends `Cache-Control: no-store` instead.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      config.graphql.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  /**
   * RATE_LIMITED (HTTP 429 with Retry-After) when `key` has used its allowance for the window.
   * Counted here: Apollo's plugins never see an error thrown while the context is built.
   */
  const limitRate = async (res: Response, key: string | undefined, max?: number) => {
    if (!key || !deps.rateLimiter) return;
    const retryAfter = await deps.rateLimiter.consume(key, max);
    if (retryAfter === undefined) return;
    metrics.rateLimitHits.inc({ limiter: 'requests' });
    res.setHeader('Retry-After', String(retryAfter));
    throw requestError(ErrorCode.RATE_LIMITED, 'Too many requests', 429, { retryAfter, limiter: 'requests' });
  };

  const health = {
    dataSource,
    version: config.version,
    jobsState: deps.jobsState,
    isShuttingDown: () => drain.isDraining(),
    showsVersionTo: versionVisibility(config),
    mcpEndpoint: deps.mcp ? '/mcp' : undefined,
  };
  app.get('/health', healthHandler(health));
  app.get('/ready', readinessHandler(health));
  app.get('/metrics', metricsHandler(config.metrics));
  if (deps.stripeWebhooks) {
    // Before any JSON parser: the signature is over the exact bytes Stripe sent.
    app.post('/webhooks/stripe', rawJsonBody(config.maxRequestSize), stripeWebhookHandler(deps.stripeWebhooks, logger));
  }

  /**
   * Who is calling and what they may do, for /graphql and the REST routes alike: authentication,
   * the request rate limit, and the tenant check that also counts the call toward `api_calls`.
   */
  const admitRequest = async (req: Request, res: Response) => {
    const observation = requestObservation(res);
    const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let principal: Principal;
    try {
      principal = await authenticate((name) => req.get(name), config, deps.credentials);
    } catch (error) {
      await limitRate(res, `ip:${ip}`); // failed authentications use the IP's allowance
      throw error;
    }
    observation.principal = describePrincipal(principal);
    const perMinute =
      principal.kind === 'api-key' ? await deps.tenantRequestsPerMinute?.(principal.tenantId) : undefined;
    // A plan's per-minute rate, in the limiter's window.
    const max = typeof perMinute === 'number' ? Math.ceil((perMinute * config.rateLimit.windowMs) / 60_000) : undefined;
    if (perMinute !== null) await limitRate(res, rateLimitKey(principal, ip), max);
    const authorize = tenantAuthorizer(principal);
    const meterRequest = deps.apiCalls?.forRequest(principal);
    return {
      principal,
      ip,
      observation,
      // The tenant is known once its scope opens: note it for the request log and error reports, count the call.
      authorizeTenant: async (tenant: ScopedTenant) => {
        observation.tenantId = tenant.id;
        await authorize(tenant);
        meterRequest?.(tenant.id);
      },
    };
  };

  const routeKit = createHttpRouteKit({ config, logger, dataSource, admit: admitRequest, formatError });
  for (const mount of deps.routes ?? []) mount(app, routeKit);

  /** One GraphQL operation's context: the admitted caller, and a tenant scope of its own. */
  const contextOf = (req: Request, admitted: Awaited<ReturnType<typeof admitRequest>>): RequestContext => ({
    requestId: admitted.observation.requestId,
    principal: admitted.principal,
    organizationRef: req.get('x-organization-id') || undefined,
    client: { ip: admitted.ip, userAgent: req.get('user-agent')?.slice(0, 500) },
    logger, // its lines carry the request id, tenant, principal and operation (the logger's mixin)
    dataSource,
    authorizeTenant: admitted.authorizeTenant,
    tenantScope: new OperationScope(),
  });

  if (deps.mcp) {
    const catalog = new McpCatalog(schema, config.version);
    // A tool is a GraphQL operation run through Apollo itself: the same plugins (tenant scope, cost, edge checks),
    // policies and services as POST /graphql, and the same admission, once per MCP request.
    app.use(
      '/mcp',
      cors<cors.CorsRequest>({ exposedHeaders: ['mcp-session-id', 'retry-after', 'x-request-id'] }),
      express.json({ limit: config.maxRequestSize }),
      withRequestObservation,
      ...mcpEndpoint({
        catalog,
        logger,
        formatError,
        requireAccess: deps.mcp.requireAccess,
        admit: async (req, res) => {
          const admitted = await admitRequest(req, res);
          const run: RunOperation = async (query, variables) => {
            const { body } = await apollo.executeOperation(
              { query, variables },
              { contextValue: contextOf(req, admitted) },
            );
            return body.kind === 'single'
              ? body.singleResult
              : { errors: [{ message: 'Incremental delivery is not served over MCP' }] };
          };
          return { principal: admitted.principal, run };
        },
      }),
    );
  }

  app.use(
    '/graphql',
    cors<cors.CorsRequest>(),
    express.json({ limit: config.maxRequestSize }),
    withRequestObservation,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => contextOf(req, await admitRequest(req, res)),
    }),
  );
  app.use(notFoundHandler);
  app.use(finalErrorHandler(formatError, logger));
  const { eventSubscriptions, credentials, rateLimiter, apiCalls } = deps;
  const subscriptions =
    eventSubscriptions &&
    startSubscriptionServer({
      httpServer,
      schema,
      config,
      logger,
      dataSource,
      formatError,
      eventSubscriptions,
      credentials,
      rateLimiter,
      apiCalls,
    });

  return {
    app,
    httpServer,
    isShuttingDown: () => drain.isDraining(),
    beginDrain: () => drain.begin(),
    listen: (port, host = config.host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: async () => {
      await subscriptions?.close(); // WebSockets would hold the server open: they end first (1001)
      await drain.close(config.shutdownGraceMs);
      await apollo.stop();
      stopObservingDatabase();
    },
  };
}
