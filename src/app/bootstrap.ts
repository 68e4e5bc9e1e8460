import type { Logger } from 'pino';
import { loadProcessConfig, type AppConfig } from '../core/config/config';
import { PublicMigrator } from '../core/database/public-migrator';
import { createRequestRateLimiter } from '../core/http/rate-limit';
import { createLogger } from '../core/logging/logger';
import { flushErrorReports, initErrorReporting } from '../core/observability/error-reporting';
import { observeDataSource, startMetricsServer } from '../core/observability/metrics';
import { createJobDefinitions } from '../jobs';
import { openDatabase, type Database } from './database';
import { createHttpApp, type HttpApp } from './http-app';
import { buildAppSchema } from './schema';
import { createServices, type Services } from './services';

export interface BootstrapOptions {
  role: 'api' | 'worker';
}

async function migrateOnStart(db: Database, services: Services, logger: Logger): Promise<void> {
  const applied = await new PublicMigrator(db.dataSource).migrate();
  if (applied.length) logger.info({ applied }, 'public migrations applied');
  const summary = await services.tenantMigrator.migrateAll();
  if (summary.total)
    logger.info({ ...summary, failed: summary.failed.map((f) => f.tenant.slug) }, 'tenant migrations applied');
}

/** After the drain: flushing what was batched in memory, closing the pool and the embedded database. */
const FINAL_STEPS_MS = 5000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts one process: the API (HTTP + jobs unless JOBS_ENABLED=false) or a worker (jobs only).
 * On SIGTERM/SIGINT it drains, in this order: /ready answers 503 for SHUTDOWN_READY_DELAY_MS while
 * requests are still served; then the listener closes, in-flight requests and jobs finish (at most
 * SHUTDOWN_GRACE_MS); then what is batched in memory is written; the pool ends last, then the embedded
 * database stops; exit 0.
 */
export async function bootstrap({ role }: BootstrapOptions): Promise<void> {
  const config: AppConfig = loadProcessConfig();
  const logger = createLogger(config.logLevel, { role });
  let http: HttpApp | undefined;
  /** Stopped together once no new request can arrive: they are independent. */
  const drains: Drains = [];
  /** Then one after the other: the pool and the database last. */
  const finalSteps: (() => Promise<void>)[] = [];
  let startup: Promise<void> | undefined;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return logger.info({ signal }, 'already shutting down');
    stopping = true;
    const force = setTimeout(
      () => {
        logger.error('shutdown grace period exceeded; exiting');
        process.exit(1);
      },
      config.shutdownReadyDelayMs + config.shutdownGraceMs + FINAL_STEPS_MS,
    );
    force.unref();
    await startup?.catch(() => undefined);
    const log = (error: unknown) => logger.error({ err: error }, 'error while stopping');
    if (http) {
      http.beginDrain();
      const readyDelayMs = config.shutdownReadyDelayMs;
      logger.info({ signal, readyDelayMs }, 'shutting down: /ready answers 503, still serving');
      await sleep(config.shutdownReadyDelayMs);
    }
    logger.info({ signal }, 'shutting down: no new connections, draining requests and jobs');
    await Promise.all(drains.map((drain) => drain().catch(log)));
    for (const step of finalSteps) await step().catch(log);
    logger.info('stopped');
    process.exit(0);
  };
  // Ours from the start (a signal while starting stops what started), and every repeat is ignored:
  // Ctrl-C under npm delivers SIGINT twice (the terminal's and npm's forwarded one).
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(signal));

  startup = (async () => {
    if (initErrorReporting(config)) logger.info('internal errors are reported to Sentry');
    const db = await openDatabase(config, logger, `tenantql-${role}`);
    const services = createServices(config, db.dataSource, db.url);
    finalSteps.push(
      () => services.auth.whenIdle(), // mails decided after an answer was sent (password reset)
      () => services.whatsApp.inbound.whenIdle(), // webhook events applied after their 200 was sent
      // API keys' lastUsedAt and API calls are batched in memory: write the last batch before the pool closes.
      () => services.apiKeys.flushUsage(),
      () => services.apiCalls.flush(),
      () => db.close(),
      () => flushErrorReports().then(() => undefined),
    );
    drains.push(() => services.jobs.stop());
    if (config.migrateOnStart) await migrateOnStart(db, services, logger);
    // Every process can enqueue; workers always run jobs, the API unless JOBS_ENABLED=false.
    if (role === 'worker' || config.jobsEnabled) {
      await services.jobs.start({ definitions: createJobDefinitions(services), logger });
      // Webhooks' fast path: committed events are attempted at once (the job catches up on anything missed).
      await services.webhooks.dispatcher.listen();
      drains.push(() => services.webhooks.dispatcher.close());
    }
    if (role === 'api') http = await startApi(config, logger, db, services, drains);
    if (role === 'worker' && config.metrics.port) {
      // Workers have no HTTP server: Prometheus scrapes them (job counters, queue lag, pool) on a port of their own.
      observeDataSource(db.dataSource);
      const metricsServer = await startMetricsServer(config.metrics, config.metrics.port, config.host);
      logger.info({ port: metricsServer.port }, 'metrics listener started');
      drains.push(() => metricsServer.close());
    }
  })();
  await startup;
}

type Drains = (() => Promise<void>)[];

async function startApi(config: AppConfig, logger: Logger, db: Database, services: Services, drains: Drains) {
  const schema = await buildAppSchema(services.container);
  const { rateLimit, redisUrl } = config;
  const rateLimiter = createRequestRateLimiter({ ...rateLimit, redisUrl, dataSource: db.dataSource, logger });
  await rateLimiter.ready();
  await services.revocations.start(); // before serving: sessions ended and keys revoked earlier are refused at once
  await services.eventFeed.start();
  const http = await createHttpApp({
    config,
    logger,
    dataSource: db.dataSource,
    schema,
    jobsState: () => services.jobs.state(),
    credentials: services.credentials,
    rateLimiter,
    tenantRequestsPerMinute: services.tenantRequestsPerMinute,
    apiCalls: services.apiCalls,
    stripeWebhooks: services.payments.stripeWebhooks,
    routes: services.httpRoutes,
    mcp: services.mcp,
    eventSubscriptions: services.eventSubscriptions,
  });
  // The rate limiter answers every request: it closes once the last one was answered.
  drains.push(() =>
    http
      .close()
      .then(() => Promise.all([rateLimiter.close(), services.revocations.close(), services.eventFeed.close()]))
      .then(() => undefined),
  );
  const port = await http.listen(config.port);
  logger.info(
    { port, embeddedDatabase: db.embedded, sandbox: config.graphql.sandbox, rateLimits: rateLimiter.store },
    `tenantql ${config.version} listening on http://localhost:${port}/graphql`,
  );
  return http;
}
