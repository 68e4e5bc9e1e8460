import autocannon from 'autocannon';
import type { GraphQLSchema } from 'graphql';
import { createHttpApp } from '../src/app/http-app';
import type { CredentialChecks } from '../src/app/authenticate';
import { buildAppSchema } from '../src/app/schema';
import type { RevocationFeed } from '../src/core/revocation/revocation-feed';
import { runInSchema } from '../src/core/tenancy/tenant-scope';
import { signAccessToken } from '../src/modules/auth/access-token';
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
/** Ended sessions the JWT variants' processes hold (a busy day's logouts), none of them the bench user's. */
const ENDED_SESSIONS = 10_000;
const CHECK_CALLS = 1_000_000;

const QUERY = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage endCursor } } }';

interface Variant {
  key: 'scoped' | 'unscoped' | 'constant' | 'jwt-unchecked' | 'jwt';
  label: string;
  schema: GraphQLSchema;
  /** Default: the admin secret's requests. */
  requests?: autocannon.Request[];
  credentials?: CredentialChecks;
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
function tenantRequests(credential: Record<string, string>, slugs: string[]): autocannon.Request[] {
  const body = JSON.stringify({ query: QUERY });
  return slugs.map((slug) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', ...credential, 'x-organization-id': slug },
    body,
  }));
}

/** What one check of a live feed costs, timed over many calls (the request-level figures are noisier). */
async function checkCostNs(feed: Pick<RevocationFeed, 'isRevoked'>, sessionId: string): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < CHECK_CALLS; i++) {
    if (await feed.isRevoked(sessionId)) throw new Error('the bench session is live, yet refused');
  }
  return Number(process.hrtime.bigint() - started) / CHECK_CALLS;
}

/** A signed-in user who is a MEMBER of every bench tenant, with one live session, among many ended ones. */
async function memberSession(context: BenchContext, tenantIds: string[]) {
  const { dataSource, config } = context;
  const [{ id: userId }] = await dataSource.query(
    `INSERT INTO public.users (email, password_hash, first_name, last_name, email_verified_at)
     VALUES ('load-member@bench.test', 'not used', 'Load', 'Member', now()) RETURNING id`,
  );
  await dataSource.query(
    `INSERT INTO public.memberships (tenant_id, user_id, role) SELECT unnest($1::uuid[]), $2, 'MEMBER'`,
    [tenantIds, userId],
  );
  const [{ id: sessionId }] = await dataSource.query(
    `INSERT INTO public.auth_sessions (user_id, expires_at) VALUES ($1, now() + interval '1 day') RETURNING id`,
    [userId],
  );
  await dataSource.query(
    `INSERT INTO public.ended_sessions (session_id, user_id) SELECT gen_random_uuid(), $1 FROM generate_series(1, $2)`,
    [userId, ENDED_SESSIONS],
  );
  return { token: (await signAccessToken(config.jwt, { userId, sessionId, emailVerified: true })).token, sessionId };
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
  const parsed = JSON.parse(response.body) as {
    data?: { customers?: { edges: unknown[]; pageInfo: { hasNextPage: boolean } } };
    errors?: unknown;
  };
  const page = parsed.data?.customers;
  if (response.status !== 200 || parsed.errors || page?.edges.length !== 10 || !page.pageInfo.hasNextPage) {
    throw new Error(
      `${variant.label} does not answer the bench query as expected: ${response.status} ${response.body.slice(0, 500)}`,
    );
  }
  return JSON.stringify(page);
}

/** The load generator runs in a worker thread so it does not share the server's event loop. */
function fire(baseUrl: string, requests: autocannon.Request[], seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, workers: 1, requests });
}

const perRequest = (before: number | undefined, after: number | undefined, requests: number) =>
  before === undefined || after === undefined || !requests ? undefined : (after - before) / requests;

async function measure(context: BenchContext, variant: Variant, adminRequests: autocannon.Request[]) {
  const { options, config, logger, dataSource } = context;
  const requests = variant.requests ?? adminRequests;
  const { schema, credentials } = variant;
  const jobsState = () => 'disabled' as const;
  const http = await createHttpApp({ config, logger, dataSource, schema, jobsState, credentials });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const page = expectPage(variant, await send(baseUrl, requests[0]));
    const roundTrips = await roundTripsPerRequest(ROUND_TRIP_SAMPLE, (i) =>
      send(baseUrl, requests[i % requests.length]),
    );
    context.print(
      `  ${variant.label}: warm-up ${options.warmupSeconds} s, then ${options.loadSeconds} s at ${CONNECTIONS} connections`,
    );
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

  const appSchema = await buildAppSchema(services.container);
  const slugs = tenants.map((t) => t.slug);
  const member = await memberSession(
    context,
    tenants.map((t) => t.id),
  );
  const userRequests = tenantRequests({ authorization: `Bearer ${member.token}` }, slugs);
  await services.endedSessions.start();
  const checkNs = await checkCostNs(services.endedSessions, member.sessionId);
  const variants: Variant[] = [
    { key: 'scoped', label: 'a. scoped: X-Organization-ID → tenant transaction', schema: appSchema },
    {
      key: 'unscoped',
      label: 'b. unscoped: qualified table, no transaction',
      schema: await buildBenchSchema(new UnscopedCustomerResolver(new Map(tenants.map((t) => [t.slug, t.schemaName])))),
    },
    {
      key: 'constant',
      label: 'c. constant resolver, no database',
      schema: await buildBenchSchema(new ConstantCustomerResolver(CUSTOMERS_PER_TENANT)),
    },
    // The same read by a member with an access token: without, then with the ended-sessions check (issue 16).
    {
      key: 'jwt-unchecked',
      label: 'd. scoped, JWT member, no session check',
      schema: appSchema,
      requests: userRequests,
    },
    {
      key: 'jwt',
      label: `e. scoped, JWT member, ended-sessions check (${formatCount(ENDED_SESSIONS)} held)`,
      schema: appSchema,
      requests: userRequests,
      credentials: services.credentials,
    },
  ];
  const requests = tenantRequests({ 'x-admin-secret': config.adminSecret! }, slugs);
  const figures = new Map<Variant['key'], LoadFigures>();
  // Scoped last: the tenant scope's AsyncLocalStorage, once used, taxes every promise in the
  // process, so measuring it first would charge part of the switch to the baselines.
  const order: Variant['key'][] = ['constant', 'unscoped', 'scoped', 'jwt-unchecked', 'jwt'];
  try {
    for (const key of order)
      figures.set(
        key,
        await measure(
          context,
          variants.find((v) => v.key === key)!,
          requests,
        ),
      );
  } finally {
    await services.endedSessions.close();
  }
  const scoped = figures.get('scoped')!;
  const unscoped = figures.get('unscoped')!;
  const constant = figures.get('constant')!;
  const [jwtUnchecked, jwt] = [figures.get('jwt-unchecked')!, figures.get('jwt')!];
  if (scoped.page !== unscoped.page)
    throw new Error('The scoped and unscoped variants return different pages for the same tenant');
  if (jwt.page !== scoped.page || jwtUnchecked.page !== scoped.page) {
    throw new Error('The JWT variants return another page than the admin secret');
  }
  const vsConstant = (f: LoadFigures) => f.requestsPerSecond / constant.requestsPerSecond;
  const scopedRatio = scoped.requestsPerSecond / unscoped.requestsPerSecond;

  context.print(
    renderTable(
      [
        'variant',
        'req/s',
        'p50',
        'p99',
        'vs constant',
        'round trips/req',
        'server CPU/req',
        'PG CPU/req',
        'server busy',
        'failed',
      ],
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
  const checkedRatio = jwt.requestsPerSecond / jwtUnchecked.requestsPerSecond;
  const signed = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(2)}`;
  const notes = [
    `the tenant switch per request (scoped − unscoped): round trips +${(scoped.roundTrips - unscoped.roundTrips).toFixed(2)}, ` +
      `server CPU ${difference((f) => f.serverCpuMs)}, PostgreSQL CPU ${difference((f) => f.databaseCpuMs)}, p50 ${difference((f) => f.p50)}`,
    `the ended-sessions check alone: ${checkNs.toFixed(0)} ns per call (${formatCount(CHECK_CALLS)} calls, live set)`,
    `the ended-sessions check per JWT request (e − d): ` +
      `round trips ${signed(jwt.roundTrips - jwtUnchecked.roundTrips)}, ` +
      `throughput ${formatRatio(checkedRatio)} of unchecked`,
  ];
  for (const variant of variants) {
    const failures = figures.get(variant.key)!.failures;
    if (failures)
      notes.push(
        `WARNING: ${variant.label} had ${failures} failed or non-2xx responses; its figures are not comparable`,
      );
  }
  const section = `load (${CONNECTIONS} conn, ${options.loadSeconds} s)`;
  const figure = (f: LoadFigures) =>
    `${formatCount(f.requestsPerSecond)} req/s, p50 ${formatMs(f.p50)}, p99 ${formatMs(f.p99)}`;
  return {
    rows: [
      {
        section,
        measurement: variants[0].label,
        figure: figure(scoped),
        comparison: `${formatRatio(vsConstant(scoped))} constant`,
      },
      {
        section,
        measurement: variants[1].label,
        figure: figure(unscoped),
        comparison: `${formatRatio(vsConstant(unscoped))} constant`,
      },
      { section, measurement: variants[2].label, figure: figure(constant), comparison: 'baseline' },
      {
        section,
        measurement: variants[3].label,
        figure: figure(jwtUnchecked),
        comparison: `${formatRatio(vsConstant(jwtUnchecked))} constant`,
      },
      { section, measurement: variants[4].label, figure: figure(jwt), comparison: `${formatRatio(checkedRatio)} d` },
      {
        section,
        measurement: 'scoped / unscoped throughput',
        figure: formatRatio(scopedRatio),
        comparison: `target ≥ ${SCOPED_TO_UNSCOPED_TARGET}`,
      },
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
