import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { loadMigrations, migrationDirs } from '../database/migration-set';
import { countMigrationStates, MIGRATION_STATES } from '../database/tenant-migration-state';
import { ErrorCode } from '../errors/error-code';
import { matchesAdminSecret } from '../http/admin-secret';
import { sendJsonError } from '../http/json-error';
import { readJobQueueLag, type JobQueueLag } from './job-queue';
import { withTimeout } from './deadline';

/**
 * The process's Prometheus registry and every metric it exports. Domain code
 * increments the counters below directly (`metrics.logins.inc({ outcome: 'success' })`);
 * gauges that describe shared state (pool, tenants, job queue) are read on scrape.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'tenantql_' });

const registers = [metricsRegistry];
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const JOB_BUCKETS = [0.01, 0.1, 0.5, 1, 5, 15, 60, 300];
/** Statuses of `public.tenants`, reported even at zero so alerts see the series. */
const TENANT_STATUSES = ['PROVISIONING', 'ACTIVE', 'SUSPENDED', 'FAILED', 'ARCHIVED'];
/** A scrape must answer while the database is down: its queries give up after this. */
const SCRAPE_QUERY_TIMEOUT_MS = 1000;

const observedDataSources = new Set<DataSource>();

export const metrics = {
  httpRequests: new Counter({
    name: 'tenantql_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  }),
  httpRequestDuration: new Histogram({
    name: 'tenantql_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  graphqlOperations: new Counter({
    name: 'tenantql_graphql_operations_total',
    help: 'GraphQL operations by operation name, type and outcome (success or the first error code)',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers,
  }),
  graphqlOperationDuration: new Histogram({
    name: 'tenantql_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by operation name, type and outcome',
    labelNames: ['operation', 'type', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  graphqlErrors: new Counter({
    name: 'tenantql_graphql_errors_total',
    help: 'GraphQL errors returned to clients, by extensions.code',
    labelNames: ['code'] as const,
    registers,
  }),
  mcpToolCalls: new Counter({
    name: 'tenantql_mcp_tool_calls_total',
    help: 'MCP tool calls by tool and outcome (success, or the error code the tool answered)',
    labelNames: ['tool', 'outcome'] as const,
    registers,
  }),
  rateLimitHits: new Counter({
    name: 'tenantql_rate_limit_hits_total',
    help: "Requests refused with RATE_LIMITED, by limiter (the error's `limiter` or `reason` detail)",
    labelNames: ['limiter'] as const,
    registers,
  }),
  registrations: new Counter({
    name: 'tenantql_registrations_total',
    help: 'Completed sign-ups (user and organization created)',
    registers,
  }),
  oidcVerifications: new Counter({
    name: 'tenantql_oidc_verifications_total',
    help: 'Identity-provider access tokens checked, by outcome (success or the refusal reason)',
    labelNames: ['outcome'] as const,
    registers,
  }),
  logins: new Counter({
    name: 'tenantql_logins_total',
    help: 'Login attempts by outcome (success, failure)',
    labelNames: ['outcome'] as const,
    registers,
  }),
  emails: new Counter({
    name: 'tenantql_emails_total',
    help: 'Outgoing email delivery attempts by outcome (sent, retry, failed: given up)',
    labelNames: ['outcome'] as const,
    registers,
  }),
  webhookDeliveries: new Counter({
    name: 'tenantql_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (success: 2xx, http_error: another status, network_error: no answer)',
    labelNames: ['outcome'] as const,
    registers,
  }),
  webhookLatency: new Histogram({
    name: 'tenantql_webhook_delivery_duration_seconds',
    help: 'Time from sending a webhook to its answer (or failure), by outcome',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  }),
  onboardingCompletions: new Counter({
    name: 'tenantql_onboarding_completions_total',
    help: 'Organizations that completed onboarding',
    registers,
  }),
  jobs: new Counter({
    name: 'tenantql_jobs_total',
    help: 'Job runs by job name and outcome (success, failure)',
    labelNames: ['name', 'outcome'] as const,
    registers,
  }),
  jobDuration: new Histogram({
    name: 'tenantql_job_duration_seconds',
    help: 'Job run time by job name',
    labelNames: ['name'] as const,
    buckets: JOB_BUCKETS,
    registers,
  }),
  // `name`, like the other job series: a `job` label would clash with the one Prometheus sets on every target.
  jobTenantFailures: new Counter({
    name: 'tenantql_job_tenant_failures_total',
    help: 'Tenants a job run failed for, by job name (the run itself may still count as a success)',
    labelNames: ['name'] as const,
    registers,
  }),
  jobTenantsSkipped: new Counter({
    name: 'tenantql_job_tenants_skipped_total',
    help: 'Tenants a job left alone because their schema is behind or ahead of the code, by job name (retried later)',
    labelNames: ['name'] as const,
    registers,
  }),
  // Counted when recordEvent writes the row: a change that then rolls back (an error) is counted too.
  eventsEmitted: new Counter({
    name: 'tenantql_events_emitted_total',
    help: 'Domain events written, by type (at record time, in the transaction of their change)',
    labelNames: ['type'] as const,
    registers,
  }),
  subscriptionsActive: new Gauge({
    name: 'tenantql_subscriptions_active',
    help: 'GraphQL subscriptions open on this process, by event family (ticket, quote, invoice)',
    labelNames: ['family'] as const,
    registers,
  }),
  subscriptionEvents: new Counter({
    name: 'tenantql_subscription_events_delivered_total',
    help: 'Domain events sent to GraphQL subscribers (one per subscriber reached), by event family',
    labelNames: ['family'] as const,
    registers,
  }),
  // Before the gauges that query: a scrape reads the pool before its own queries occupy it.
  dbPool: new Gauge({
    name: 'tenantql_db_pool_connections',
    help: 'Database pool of this process: total and idle connections, and checkouts waiting for one',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      for (const dataSource of observedDataSources) {
        const pool = poolOf(dataSource);
        if (!pool) continue;
        this.inc({ state: 'total' }, pool.totalCount);
        this.inc({ state: 'idle' }, pool.idleCount);
        this.inc({ state: 'waiting' }, pool.waitingCount);
      }
    },
  }),
  jobQueueLag: new Gauge({
    name: 'tenantql_job_queue_lag_seconds',
    help: 'How long the oldest due, unlocked job has been waiting (0 when none); read from the job table on scrape',
    registers,
    async collect() {
      const queue = await jobQueueSnapshot();
      this.reset();
      if (queue) this.set(queue.lagSeconds);
    },
  }),
  jobsDue: new Gauge({
    name: 'tenantql_jobs_due',
    help: 'Jobs due and not yet picked up by a worker; read from the job table on scrape',
    registers,
    async collect() {
      const queue = await jobQueueSnapshot();
      this.reset();
      if (queue) this.set(queue.due);
    },
  }),
  tenants: new Gauge({
    name: 'tenantql_tenants',
    help: 'Organizations by status; read from public.tenants on scrape',
    labelNames: ['status'] as const,
    registers,
    collect: () => collectTenants(),
  }),
  tenantMigrations: new Gauge({
    name: 'tenantql_tenant_migrations',
    help: 'Organizations by migration state against this code (up_to_date, behind, ahead, failed), read on scrape',
    labelNames: ['state'] as const,
    registers,
    collect: () => collectTenantMigrations(),
  }),
};

// Series that alerts compare against exist from the start, at zero.
for (const outcome of ['success', 'failure']) metrics.logins.inc({ outcome }, 0);
for (const outcome of ['sent', 'retry', 'failed']) metrics.emails.inc({ outcome }, 0);

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

function poolOf(dataSource: DataSource): PgPool | undefined {
  return dataSource.isInitialized ? ((dataSource.driver as PostgresDriver).master as PgPool | undefined) : undefined;
}

/** Sums over the observed databases; a database that does not answer in time is left out of this scrape. */
async function queryObserved<T>(query: (dataSource: DataSource) => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(
    [...observedDataSources].filter((d) => d.isInitialized).map((d) => withTimeout(query(d), SCRAPE_QUERY_TIMEOUT_MS)),
  );
  return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

async function collectTenants(): Promise<void> {
  const counts = await queryObserved<{ status: string; count: number }[]>((d) =>
    d.query('SELECT status, count(*)::int AS count FROM public.tenants GROUP BY status'),
  );
  metrics.tenants.reset();
  if (!counts.length) return;
  for (const status of TENANT_STATUSES) metrics.tenants.set({ status }, 0);
  for (const rows of counts) for (const { status, count } of rows) metrics.tenants.inc({ status }, count);
}

let tenantMigrationNames: string[] | undefined;

async function collectTenantMigrations(): Promise<void> {
  tenantMigrationNames ??= loadMigrations(migrationDirs.tenant).map((m) => m.name);
  const names = tenantMigrationNames;
  const counts = await queryObserved((d) => countMigrationStates(d, names));
  metrics.tenantMigrations.reset();
  if (!counts.length) return;
  for (const state of MIGRATION_STATES) {
    metrics.tenantMigrations.set(
      { state },
      counts.reduce((sum, c) => sum + c[state], 0),
    );
  }
}

let pendingJobQueueRead: Promise<JobQueueLag | undefined> | undefined;

/** One read of the job table per scrape, shared by the two gauges that report it (undefined: no job table answered). */
function jobQueueSnapshot(): Promise<JobQueueLag | undefined> {
  pendingJobQueueRead ??= queryObserved((d) => readJobQueueLag(d))
    .then((reads) => {
      const queues = reads.filter((q): q is JobQueueLag => !!q);
      if (!queues.length) return undefined;
      return {
        lagSeconds: Math.max(...queues.map((q) => q.lagSeconds)),
        due: queues.reduce((sum, q) => sum + q.due, 0),
      };
    })
    .finally(() => (pendingJobQueueRead = undefined));
  return pendingJobQueueRead;
}

/**
 * Pool usage, tenant counts and queue lag are read from this data source on scrape until the returned function is
 * called.
 */
export function observeDataSource(dataSource: DataSource): () => void {
  observedDataSources.add(dataSource);
  return () => observedDataSources.delete(dataSource);
}

export interface MetricsAccess {
  enabled: boolean;
  token?: string;
}

/**
 * `GET /metrics` for Express or a bare `http` server. Without a token it is open
 * (development, or a port only the scraper reaches); with one, `Authorization:
 * Bearer <token>` is compared in constant time.
 */
export function metricsHandler(access: MetricsAccess) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!access.enabled) {
      sendJsonError(res, 404, 'Not found', { code: ErrorCode.NOT_FOUND, reason: 'METRICS_DISABLED' });
      return;
    }
    if (access.token) {
      const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      // The admin-secret comparison is a generic constant-time one (both sides hashed first).
      if (!matchesAdminSecret(presented, access.token)) {
        sendJsonError(
          res,
          401,
          'Unauthorized',
          { code: ErrorCode.UNAUTHENTICATED },
          { 'www-authenticate': 'Bearer realm="metrics"' },
        );
        return;
      }
    }
    const body = await metricsRegistry.metrics();
    res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body);
  };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** A listener serving only `/metrics`, for processes without an HTTP server (workers). */
export async function startMetricsServer(
  access: MetricsAccess,
  port: number,
  host = '0.0.0.0',
): Promise<MetricsServer> {
  const handle = metricsHandler(access);
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      handle(req, res).catch(() =>
        sendJsonError(res, 500, 'Metrics unavailable', { code: ErrorCode.INTERNAL_SERVER_ERROR }),
      );
      return;
    }
    sendJsonError(res, 404, 'Not found', { code: ErrorCode.NOT_FOUND, reason: 'ROUTE_NOT_FOUND' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
