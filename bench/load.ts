import autocannon from 'autocannon';
import type { GraphQLSchema } from 'graphql';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { runInSchema } from '../src/core/tenancy/tenant-scope';
import type { BenchContext, BenchSection } from './bench-context';
import { buildBenchSchema, ConstantCustomerResolver, UnscopedCustomerResolver } from './bench-resolvers';
import { provisionTenants } from './bench-tenants';
import { mainThreadCpuMs } from './cpu-usage';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';
import { roundTripsPerRequest } from './round-trips';

const CONNECTIONS = 20;
const TENANTS = 20;
const CUSTOMERS_PER_TENANT = 50;
/** Sequential requests per variant whose PostgreSQL round trips are counted. */
const ROUND_TRIP_SAMPLE = 40;
const SCOPED_TO_UNSCOPED_TARGET = 0.75;

const QUERY = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage endCursor } } }';

interface Variant {
  key: 'scoped' | 'unscoped' | 'constant';
  label: string;
  schema: GraphQLSchema;
}

interface LoadFigures {
  /** The page returned, to check that scoped and unscoped read the same rows. */
  page: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  roundTrips: number;
  /** Share of the run the server's event loop was busy: near 1 means the server thread is the bottleneck. */
  serverBusy: number;
  /** Per request: CPU of the server's main thread (not the load generator), and of PostgreSQL when local. */
  serverCpuMs?: number;
  databaseCpuMs?: number;
}

async function seedCustomers(context: BenchContext, schema: string): Promise<void> {
  await runInSchema(context.dataSource, schema, (manager) =>
    manager.query(
      `INSERT INTO customers (name, email, created_at, updated_at)
       SELECT 'Customer ' || g, 'customer' || g || '@example.com', now() + make_interval(secs => g), now()
         FROM generate_series(1, $1) AS g`,
      [CUSTOMERS_PER_TENANT],
    ),
  );
}

/** One request per tenant; autocannon cycles through them on every connection. */
function tenantRequests(adminSecret: string, slugs: string[]): autocannon.Request[] {
  const body = JSON.stringify({ query: QUERY });
  return slugs.map((slug) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', 'x-admin-secret': adminSecret, 'x-organization-id': slug },
    body,
  }));
}

async function send(baseUrl: string, request: autocannon.Request): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers as Record<string, string>,
    body: request.body as string,
  });
  return { status: response.status, body: await response.text() };
}

/** A bench that measured error responses would be worthless: check the answer before loading. */
function expectPage(variant: Variant, response: { status: number; body: string }): string {
  const parsed = JSON.parse(response.body) as { data?: { customers?: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } }; errors?: unknown };
  const page = parsed.data?.customers;
  if (response.status !== 200 || parsed.errors || page?.edges.length !== 10 || !page.pageInfo.hasNextPage) {
    throw new Error(`${variant.label} does not answer the bench query as expected: ${response.status} ${response.body.slice(0, 500)}`);
  }
  return JSON.stringify(page);
}


/** The load generator runs in a worker thread so it does not share the server's event loop. */
function fire(baseUrl: string, requests: autocannon.Request[], seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, workers: 1, requests });
}

const perRequest = (before: number | undefined, after: number | undefined, requests: number) =>
  before === undefined || after === undefined || !requests ? undefined : (after - before) / requests;

async function measure(context: BenchContext, variant: Variant, requests: autocannon.Request[]): Promise<LoadFigures> {
  const { options, config, logger, dataSource } = context;
  const http = await createHttpApp({ config, logger, dataSource, schema: variant.schema, jobsState: () => 'disabled' });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const page = expectPage(variant, await send(baseUrl, requests[0]));
    const roundTrips = await roundTripsPerRequest(ROUND_TRIP_SAMPLE, (i) => send(baseUrl, requests[i % requests.length]));
    context.print(`  ${variant.label}: warm-up ${options.warmupSeconds} s, then ${options.loadSeconds} s at ${CONNECTIONS} connections`);
    await fire(baseUrl, requests, options.warmupSeconds);

    const busyBefore = performance.eventLoopUtilization();
    const serverCpuBefore = mainThreadCpuMs();
    const databaseCpuBefore = context.databaseCpuMs?.();
    const result = await fire(baseUrl, requests, options.loadSeconds);
    const done = result.requests.total;
    return {
      page,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts,
      roundTrips,
      // Against the load's own duration: starting the worker thread is not server idle time.
      serverBusy: Math.min(1, performance.eventLoopUtilization(busyBefore).active / (result.duration * 1000)),
      serverCpuMs: perRequest(serverCpuBefore, mainThreadCpuMs(), done),
      databaseCpuMs: perRequest(databaseCpuBefore, context.databaseCpuMs?.(), done),
    };
  } finally {
    await http.close();
  }
}

const optionalMs = (value: number | undefined) => (value === undefined ? 'n/a' : formatMs(value));

async function run(context: BenchContext): Promise<SectionResult> {
  const { options, config, services } = context;
  context.print(`  preparing ${TENANTS} tenants with ${CUSTOMERS_PER_TENANT} customers each`);
  const tenants = await provisionTenants(context, 'load', TENANTS);
  for (const tenant of tenants) await seedCustomers(context, tenant.schemaName);

  const variants: Variant[] = [
    { key: 'scoped', label: 'a. scoped: X-Organization-ID → tenant transaction', schema: await buildAppSchema(services.container) },
    {
      key: 'unscoped',
      label: 'b. unscoped: qualified table, no transaction',
      schema: await buildBenchSchema(new UnscopedCustomerResolver(new Map(tenants.map((t) => [t.slug, t.schemaName])))),
    },
    { key: 'constant', label: 'c. constant resolver, no database', schema: await buildBenchSchema(new ConstantCustomerResolver(CUSTOMERS_PER_TENANT)) },
  ];
  const requests = tenantRequests(config.adminSecret!, tenants.map((t) => t.slug));
  const figures = new Map<Variant['key'], LoadFigures>();
  // Scoped last: the tenant scope's AsyncLocalStorage, once used, taxes every promise in the
  // process, so measuring it first would charge part of the switch to the baselines.
  for (const variant of [...variants].reverse()) figures.set(variant.key, await measure(context, variant, requests));
  const scoped = figures.get('scoped')!;
  const unscoped = figures.get('unscoped')!;
  const constant = figures.get('constant')!;
  if (scoped.page !== unscoped.page) throw new Error('The scoped and unscoped variants return different pages for the same tenant');
  const vsConstant = (f: LoadFigures) => f.requestsPerSecond / constant.requestsPerSecond;
  const scopedRatio = scoped.requestsPerSecond / unscoped.requestsPerSecond;

  context.print(
    renderTable(
      ['variant', 'req/s', 'p50', 'p99', 'vs constant', 'round trips/req', 'server CPU/req', 'PG CPU/req', 'server busy', 'failed'],
      variants.map((v) => {
        const f = figures.get(v.key)!;
        return [
          v.label,
          formatCount(f.requestsPerSecond),
          formatMs(f.p50),
          formatMs(f.p99),
          formatRatio(vsConstant(f)),
          f.roundTrips.toFixed(2),
          optionalMs(f.serverCpuMs),
          optionalMs(f.databaseCpuMs),
          `${Math.round(f.serverBusy * 100)} %`,
          formatCount(f.failures),
        ];
      }),
    ),
  );

  const difference = (pick: (f: LoadFigures) => number | undefined) => {
    const [a, b] = [pick(scoped), pick(unscoped)];
    return a === undefined || b === undefined ? 'n/a' : `${a >= b ? '+' : '−'}${formatMs(Math.abs(a - b))}`;
  };
  const notes = [
    `the tenant switch per request (scoped − unscoped): round trips +${(scoped.roundTrips - unscoped.roundTrips).toFixed(2)}, ` +
      `server CPU ${difference((f) => f.serverCpuMs)}, PostgreSQL CPU ${difference((f) => f.databaseCpuMs)}, p50 ${difference((f) => f.p50)}`,
  ];
  for (const variant of variants) {
    const failures = figures.get(variant.key)!.failures;
    if (failures) notes.push(`WARNING: ${variant.label} had ${failures} failed or non-2xx responses; its figures are not comparable`);
  }
  const section = `load (${CONNECTIONS} conn, ${options.loadSeconds} s)`;
  const figure = (f: LoadFigures) => `${formatCount(f.requestsPerSecond)} req/s, p50 ${formatMs(f.p50)}, p99 ${formatMs(f.p99)}`;
  return {
    rows: [
      { section, measurement: variants[0].label, figure: figure(scoped), comparison: `${formatRatio(vsConstant(scoped))} constant` },
      { section, measurement: variants[1].label, figure: figure(unscoped), comparison: `${formatRatio(vsConstant(unscoped))} constant` },
      { section, measurement: variants[2].label, figure: figure(constant), comparison: 'baseline' },
      { section, measurement: 'scoped / unscoped throughput', figure: formatRatio(scopedRatio), comparison: `target ≥ ${SCOPED_TO_UNSCOPED_TARGET}` },
    ],
    targets: [
      {
        name: 'scoped / unscoped throughput',
        figure: `${formatRatio(scopedRatio)} (${formatCount(scoped.requestsPerSecond)} / ${formatCount(unscoped.requestsPerSecond)} req/s)`,
        goal: `≥ ${SCOPED_TO_UNSCOPED_TARGET}`,
        met: scopedRatio >= SCOPED_TO_UNSCOPED_TARGET && !scoped.failures && !unscoped.failures,
      },
    ],
    notes,
  };
}

export const loadSection: BenchSection = { title: '1. GraphQL load: tenant-scoped vs unscoped vs constant', run };
