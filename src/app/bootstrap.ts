import type { Logger } from 'pino';
import { loadProcessConfig, type AppConfig } from '../core/config/config';
import { PublicMigrator } from '../core/database/public-migrator';
import { createRequestRateLimiter } from '../core/http/rate-limit';
import { createLogger } from '../core/logging/logger';
import { flushErrorReports, initErrorReporting } from '../core/observability/error-reporting';
import { observeDataSource, startMetricsServer } from '../core/observability/metrics';
import { createJobDefinitions } from '../jobs';
import { openDatabase, type Database } from './database';
import { createHttpApp } from './http-app';
import { buildAppSchema } from './schema';
import { createServices, type Services } from './services';

export interface BootstrapOptions {
  role: 'api' | 'worker';
}

async function migrateOnStart(db: Database, services: Services, logger: Logger): Promise<void> {
  const applied = await new PublicMigrator(db.dataSource).migrate();
  if (applied.length) logger.info({ applied }, 'public migrations applied');
  const summary = await services.tenantMigrator.migrateAll();
  if (summary.total) logger.info({ ...summary, failed: summary.failed.map((f) => f.tenant.slug) }, 'tenant migrations applied');
}

/** Starts one process: the API (HTTP + jobs unless JOBS_ENABLED=false) or a worker (jobs only). Exits cleanly on SIGTERM/SIGINT. */
export async function bootstrap({ role }: BootstrapOptions): Promise<void> {
  const config: AppConfig = loadProcessConfig();
  const logger = createLogger(config.logLevel, { role });
  if (initErrorReporting(config)) logger.info('internal errors are reported to Sentry');
  const db = await openDatabase(config, logger, `tenantql-${role}`);
  const services = createServices(config, db.dataSource, db.url);
  if (config.migrateOnStart) await migrateOnStart(db, services, logger);
  // Every process can enqueue; workers always run jobs, the API unless JOBS_ENABLED=false.
  if (role === 'worker' || config.jobsEnabled) await services.jobs.start({ definitions: createJobDefinitions(services), logger });

  const stops: (() => Promise<void>)[] = [];
  if (role === 'api') {
    const schema = await buildAppSchema(services.container);
    const rateLimiter = createRequestRateLimiter({ ...config.rateLimit, redisUrl: config.redisUrl, dataSource: db.dataSource, logger });
    await rateLimiter.ready();
    await services.endedSessions.start(); // before serving: tokens of sessions ended earlier are refused at once
    const http = await createHttpApp({
      config,
      logger,
      dataSource: db.dataSource,
      schema,
      jobsState: () => services.jobs.state(),
      apiKeys: services.credentials,
      rateLimiter,
      apiCalls: services.apiCalls,
      stripeWebhooks: services.payments.stripeWebhooks,
      routes: services.httpRoutes,
    });
    const port = await http.listen(config.port);
    logger.info(
      { port, embeddedDatabase: db.embedded, sandbox: config.graphql.sandbox, rateLimits: rateLimiter.store },
      `tenantql ${config.version} listening on http://localhost:${port}/graphql`,
    );
    stops.push(() => http.close());
    stops.push(() => rateLimiter.close());
    stops.push(() => services.endedSessions.close());
  }
  if (role === 'worker' && config.metrics.port) {
    // Workers have no HTTP server: Prometheus scrapes them (job counters, queue lag, pool) on a port of their own.
    observeDataSource(db.dataSource);
    const metricsServer = await startMetricsServer(config.metrics, config.metrics.port, config.host);
    logger.info({ port: metricsServer.port }, 'metrics listener started');
    stops.push(() => metricsServer.close());
  }
  stops.push(() => services.auth.whenIdle()); // mails decided after an answer was sent (password reset)
  stops.push(() => services.whatsApp.inbound.whenIdle()); // webhook events applied after their 200 was sent
  stops.push(() => services.jobs.stop());
  // API keys' lastUsedAt is batched in memory: write the last batch before the pool closes.
  stops.push(() => services.apiKeys.flushUsage());
  // API calls are counted in memory too: add the last counts to the usage counters.
  stops.push(() => services.apiCalls.flush());
  stops.push(() => db.close());
  stops.push(() => flushErrorReports().then(() => undefined));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new requests, draining');
    const force = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    for (const stop of stops) await stop().catch((error) => logger.error({ err: error }, 'error while stopping'));
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
