import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { ErrorCode } from '../core/errors/error-code';
import { createErrorFormatter } from '../core/errors/format-graphql-error';
import { healthHandler, readinessHandler, type JobsState } from '../core/http/health';
import type { RequestContext } from '../core/http/request-context';
import { reportInternalError } from '../core/observability/error-reporting';
import { graphqlObservabilityPlugin } from '../core/observability/graphql-observability.plugin';
import { metricsHandler, observeDataSource } from '../core/observability/metrics';
import {
  currentRequestObservation,
  describePrincipal,
  observeRequests,
  requestObservation,
  withRequestObservation,
} from '../core/observability/request-observation';
import { authenticate, tenantAuthorizer, type ApiKeyAuthenticator } from './authenticate';

export interface HttpAppDependencies {
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  schema: GraphQLSchema;
  jobsState: () => JobsState;
  /** Checks `tq_` API keys; without it they are refused (401). */
  apiKeys?: ApiKeyAuthenticator;
}

export interface HttpApp {
  app: express.Express;
  httpServer: http.Server;
  /** Starts listening; resolves with the bound port (0 picks a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops taking requests and waits for in-flight ones (bounded by the drain plugin). */
  close(): Promise<void>;
  isShuttingDown(): boolean;
}

/** Body parser failures (bad JSON, too large) answered in GraphQL's error shape with a documented code. */
function bodyErrorHandler(error: Error & { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) {
  if (!error.type?.startsWith('entity.') && error.type !== 'encoding.unsupported' && error.type !== 'charset.unsupported') {
    return next(error);
  }
  const tooLarge = error.type === 'entity.too.large';
  res.status(tooLarge ? 413 : 400).json({
    errors: [
      {
        message: tooLarge ? 'Request body is too large' : 'Request body is not valid JSON',
        extensions: { code: ErrorCode.BAD_USER_INPUT, reason: tooLarge ? 'PAYLOAD_TOO_LARGE' : 'MALFORMED_JSON' },
      },
    ],
  });
}

export async function createHttpApp(deps: HttpAppDependencies): Promise<HttpApp> {
  const { config, logger, dataSource, schema } = deps;
  let shuttingDown = false;
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For decides req.ip (per-IP throttling) only when it comes from a proxy TRUST_PROXY names.
  app.set('trust proxy', config.trustProxy);
  app.use(observeRequests(logger));
  const httpServer = http.createServer(app);
  const stopObservingDatabase = observeDataSource(dataSource);

  const armor = new ApolloArmor({
    maxDepth: { n: config.graphql.maxDepth },
    maxAliases: { n: config.graphql.maxAliases },
    costLimit: { maxCost: config.graphql.maxCost },
    maxDirectives: { n: 50 },
    // Token limit is enforced by graphql's own parser (parseOptions) so it answers 400, not 500.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: config.isProduction },
  });
  const protection = armor.protect();

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
    formatError: createErrorFormatter({
      isProduction: config.isProduction,
      logger,
      onInternalError: (error) => reportInternalError(error, currentRequestObservation()),
    }),
    plugins: [
      ...protection.plugins,
      graphqlObservabilityPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.graphql.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  const health = { dataSource, version: config.version, jobsState: deps.jobsState, isShuttingDown: () => shuttingDown };
  app.get('/health', healthHandler(health));
  app.get('/ready', readinessHandler(health));
  app.get('/metrics', metricsHandler(config.metrics));

  app.use(
    '/graphql',
    cors<cors.CorsRequest>(),
    express.json({ limit: config.maxRequestSize }),
    withRequestObservation,
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const observation = requestObservation(res);
        const principal = await authenticate(req, config, deps.apiKeys);
        observation.principal = describePrincipal(principal);
        const authorize = tenantAuthorizer(principal);
        return {
          requestId: observation.requestId,
          principal,
          organizationRef: req.get('x-organization-id') || undefined,
          client: { ip: req.ip ?? req.socket.remoteAddress ?? 'unknown', userAgent: req.get('user-agent')?.slice(0, 500) },
          logger: logger.child({ requestId: observation.requestId }),
          dataSource,
          // The tenant is known once its scope opens: note it for the request log and error reports.
          authorizeTenant: (tenant) => {
            observation.tenantId = tenant.id;
            return authorize(tenant);
          },
        };
      },
    }),
  );
  app.use(bodyErrorHandler);

  return {
    app,
    httpServer,
    isShuttingDown: () => shuttingDown,
    listen: (port, host = config.host) =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => resolve((httpServer.address() as AddressInfo).port));
      }),
    close: async () => {
      shuttingDown = true;
      await apollo.stop();
      stopObservingDatabase();
    },
  };
}
