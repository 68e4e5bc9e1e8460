import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { buildSchema } from 'graphql';
import pino from 'pino';
import { CreateCustomerDocument, CustomersDocument, SuspendTenantDocument } from '../../../test/generated/graphql';
import { startTestApp, TEST_ADMIN_SECRET, type TestApp } from '../../../test/support/test-app';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { openDatabase, type Database } from '../../app/database';
import { createHttpApp, type HttpApp } from '../../app/http-app';
import { buildAppSchema } from '../../app/schema';
import { createServices } from '../../app/services';
import { loadConfig } from '../config/config';
import { AppError, RateLimitedError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { createErrorFormatter } from '../errors/format-graphql-error';
import { REDACTED_PATHS } from '../logging/logger';
import { graphqlObservabilityPlugin } from './graphql-observability.plugin';
import { metricsRegistry, startMetricsServer } from './metrics';

/** A server like startTestApp's whose log lines are kept, to read what an operator would. */
async function startLoggedApp() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      raw.push(String(chunk));
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const database: TestDatabase = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    ADMIN_SECRET: TEST_ADMIN_SECRET,
    DATABASE_URL: database.url,
  });
  const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  const db: Database = await openDatabase(config, logger);
  const services = createServices(config, db.dataSource, db.url);
  const http: HttpApp = await createHttpApp({
    config,
    logger,
    dataSource: db.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  const url = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  return {
    url,
    lines,
    raw,
    services,
    close: async () => {
      await http.close();
      await db.close();
      await database.drop();
    },
  };
}

const post = (url: string, body: object, headers: Record<string, string>) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('request logs', () => {
  let app: Awaited<ReturnType<typeof startLoggedApp>>;
  beforeAll(async () => {
    app = await startLoggedApp();
  });
  afterAll(() => app?.close());

  it('writes one JSON line per request with request id, principal, tenant, operation, status and duration, and no secrets', async () => {
    const tenant = await app.services.tenants.provision({ slug: 'logged', name: 'Logged' });
    const res = await post(
      app.url,
      {
        query: 'mutation CreateCustomer($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
        variables: { input: { name: 'Ada' } },
      },
      {
        'x-admin-secret': TEST_ADMIN_SECRET,
        'x-organization-id': 'logged',
        'x-request-id': 'req-abc-123',
        authorization: 'Bearer not-for-logs',
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc-123');

    const line = app.lines.find((l) => l.requestId === 'req-abc-123');
    expect(line).toMatchObject({
      level: 30,
      msg: 'POST /graphql 200',
      principal: 'admin',
      tenantId: tenant.id,
      operationName: 'CreateCustomer',
      operationType: 'mutation',
      outcome: 'success',
      req: { method: 'POST', path: '/graphql' },
      res: { status: 200 },
    });
    expect(typeof line!.durationMs).toBe('number');
    const all = app.raw.join('');
    expect(all).not.toContain(TEST_ADMIN_SECRET);
    expect(all).not.toContain('not-for-logs');
  });

  it('replaces a malformed X-Request-Id and logs failures with their code at warn level', async () => {
    const res = await post(
      app.url,
      { query: 'query Broken { nope }' },
      { 'x-request-id': 'bad id with spaces', 'x-admin-secret': TEST_ADMIN_SECRET },
    );
    expect(res.status).toBe(400);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.lines.find((l) => l.requestId === id)).toMatchObject({
      level: 40,
      outcome: 'BAD_USER_INPUT',
      res: { status: 400 },
    });
  });
});

describe('GET /metrics', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.close());

  const scrape = async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return res.text();
  };
  /** The value of one sample, e.g. `tenantql_tenants{status="ACTIVE"}`. */
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('counts HTTP requests, GraphQL operations by name and outcome, and errors by code', async () => {
    const series = [
      'tenantql_graphql_operations_total{operation="CreateCustomer",type="mutation",outcome="success"}',
      'tenantql_graphql_operation_duration_seconds_count{operation="CreateCustomer",type="mutation",outcome="success"}',
      'tenantql_graphql_operations_total{operation="Customers",type="query",outcome="NOT_FOUND"}',
      'tenantql_graphql_errors_total{code="NOT_FOUND"}',
      'tenantql_http_requests_total{method="POST",route="/graphql",status="200"}',
    ];
    // The registry belongs to the process: compare with what it held before.
    const before = await scrape();
    const tenant = await app.createTenant('metered');
    await app.gql(CreateCustomerDocument, { input: { name: 'one' } }, { org: tenant.slug });
    await app.gql(CreateCustomerDocument, { input: { name: 'two' } }, { org: tenant.slug });
    await app.gql(CustomersDocument, {}, { org: 'no-such-org' });
    const after = await scrape();
    const increase = series.map((s) => (sample(after, s) ?? 0) - (sample(before, s) ?? 0));
    expect(increase).toEqual([2, 2, 1, 1, 3]);
    expect(sample(after, 'tenantql_logins_total{outcome="failure"}')).toBe(0);
  });

  it('reads pool usage, tenants by status and the job queue on scrape', async () => {
    const suspended = await app.createTenant('metered-suspended');
    await app.gql(SuspendTenantDocument, { id: suspended.id });
    await app.dataSource.query(
      `INSERT INTO public.agenda_jobs (name, next_run_at) VALUES ('test.overdue', now() - interval '90 seconds')`,
    );
    const text = await scrape();
    expect(sample(text, 'tenantql_tenants{status="ACTIVE"}')).toBe(1);
    expect(sample(text, 'tenantql_tenants{status="SUSPENDED"}')).toBe(1);
    expect(sample(text, 'tenantql_tenants{status="FAILED"}')).toBe(0);
    expect(sample(text, 'tenantql_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tenantql_db_pool_connections{state="waiting"}')).toBe(0);
    expect(sample(text, 'tenantql_jobs_due')).toBe(1);
    expect(sample(text, 'tenantql_job_queue_lag_seconds')).toBeGreaterThanOrEqual(90);
  });
});

describe('metrics access', () => {
  const get = (port: number, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}/metrics`, { headers });

  it('asks for the bearer token when one is configured', async () => {
    const server = await startMetricsServer({ enabled: true, token: 'metrics-token-0123456789abcdef' }, 0, '127.0.0.1');
    try {
      expect((await get(server.port)).status).toBe(401);
      expect((await get(server.port, { authorization: 'Bearer wrong' })).status).toBe(401);
      const ok = await get(server.port, { authorization: 'Bearer metrics-token-0123456789abcdef' });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('tenantql_process_cpu_seconds_total');
    } finally {
      await server.close();
    }
  });

  it('is disabled in production without a token', async () => {
    const production = loadConfig({
      NODE_ENV: 'production',
      SECRET_KEY: 'k'.repeat(40),
      ENCRYPTION_KEY: 'ab'.repeat(32),
      DATABASE_URL: 'postgres://db.internal/tenantql',
    });
    expect(production.metrics.enabled).toBe(false);
    const server = await startMetricsServer(production.metrics, 0, '127.0.0.1');
    try {
      expect((await get(server.port)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('GraphQL operation metrics', () => {
  const value = async (name: string, labels: Record<string, string>) =>
    (await metricsRegistry.getSingleMetric(name)!.get()).values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )?.value ?? 0;

  it('counts rate-limit refusals by limiter and every error by its final code', async () => {
    const apollo = new ApolloServer({
      schema: buildSchema('type Query { throttled: String, limited: String, fine: String }'),
      formatError: createErrorFormatter({ isProduction: true, logger: pino({ level: 'silent' }) }),
      plugins: [graphqlObservabilityPlugin()],
      rootValue: {
        throttled: () => Promise.reject(new RateLimitedError(30)),
        limited: () => Promise.reject(new AppError(ErrorCode.RATE_LIMITED, 'Too many requests', { limiter: 'login' })),
        fine: () => 'ok',
      },
    });
    await apollo.start();
    const before = {
      login: await value('tenantql_rate_limit_hits_total', { limiter: 'login' }),
      unspecified: await value('tenantql_rate_limit_hits_total', { limiter: 'unspecified' }),
      errors: await value('tenantql_graphql_errors_total', { code: 'RATE_LIMITED' }),
    };
    await apollo.executeOperation({ query: 'query Both { throttled limited fine }' });
    await apollo.executeOperation({ query: 'query Fine { fine }' });
    await apollo.stop();
    expect(await value('tenantql_rate_limit_hits_total', { limiter: 'login' })).toBe(before.login + 1);
    expect(await value('tenantql_rate_limit_hits_total', { limiter: 'unspecified' })).toBe(before.unspecified + 1);
    expect(await value('tenantql_graphql_errors_total', { code: 'RATE_LIMITED' })).toBe(before.errors + 2);
    expect(
      await value('tenantql_graphql_operations_total', { operation: 'Both', type: 'query', outcome: 'RATE_LIMITED' }),
    ).toBe(1);
    expect(
      await value('tenantql_graphql_operations_total', { operation: 'Fine', type: 'query', outcome: 'success' }),
    ).toBe(1);
  });
});
