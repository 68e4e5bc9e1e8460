import autocannon from 'autocannon';
import type { GraphQLSchema } from 'graphql';
import type { CredentialChecks } from '../src/app/authenticate';
import { buildAppSchema } from '../src/app/schema';
import type { RevocationFeed } from '../src/core/revocation/revocation-feed';
import { runInSchema } from '../src/core/tenancy/tenant-scope';
import { signAccessToken } from '../src/modules/auth/access-token';
import { PlanCode } from '../src/modules/plans';
import type { Tenant } from '../src/modules/tenants';
import type { BenchContext, BenchSection } from './bench-context';
import { buildBenchSchema, ConstantCustomerResolver, UnscopedCustomerResolver } from './bench-resolvers';
import { provisionTenants } from './bench-tenants';
import { mainThreadCpuMs } from './cpu-usage';
import { startFloorServer } from './floor-server';
import { startProductionServer } from './production-server';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';
import { statementsDuring } from './round-trips';

const CONNECTIONS = 20;
const TENANTS = 20;
const CUSTOMERS_PER_TENANT = 50;
const SCOPED_TO_UNSCOPED_TARGET = 0.75;
/** Issue 18: the API-key read against the floor (2,000 of 5,287 req/s there), the JWT path against the API key. */
const API_KEY_TO_FLOOR_TARGET = 0.38;
const JWT_TO_API_KEY_TARGET = 0.9;
/** 1,200 of the floor's 5,287 req/s on the machine. */
const CREATE_TO_FLOOR_TARGET = 0.23;
const ROUND_TRIPS_TARGET = 3;
/** Ended sessions the JWT variants' processes hold (a busy day's logouts), none of them the bench user's. */
const ENDED_SESSIONS = 10_000;
const CHECK_CALLS = 1_000_000;

const PAGE_SIZE = 10;
const QUERY = `{ customers(first: ${PAGE_SIZE}) { edges { node { id name email } } pageInfo { hasNextPage endCursor } } }`;
/** No email: emails are unique per organization, and every request sends the same body. */
const CREATE = 'mutation { createCustomer(input: { name: "Load customer" }) { id name } }';
/**
 * The load tenants' plan: its customers limit (10,000) and API-key rate (12,000 a minute per organization) leave
 * room for every request of a full run, so each create passes the limit check instead of being refused by it.
 */
const LOAD_PLAN = PlanCode.PROFESSIONAL;

interface Variant {
  key: 'floor' | 'scoped' | 'unscoped' | 'constant' | 'api-key' | 'jwt-unchecked' | 'jwt' | 'create';
  label: string;
  /** Absent: the floor server (node:http + pg), no GraphQL. */
  schema?: GraphQLSchema;
  /** Default: the admin secret's requests. */
  requests?: autocannon.Request[];
  credentials?: CredentialChecks;
  /** A mutation: the answer is checked for its own shape. */
  mutation?: boolean;
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

/** Customers the createCustomer variant has created, in every load tenant. */
async function loadCustomersCreated(context: BenchContext): Promise<number> {
  const schemas: { schema_name: string }[] = await context.dataSource.query(
    "SELECT schema_name FROM public.tenants WHERE slug LIKE 'load-%'",
  );
  let total = 0;
  for (const { schema_name: schema } of schemas) {
    const [{ n }] = await runInSchema(context.dataSource, schema, (manager) =>
      manager.query("SELECT count(*)::int AS n FROM customers WHERE name = 'Load customer'"),
    );
    total += n as number;
  }
  return total;
}

/** One request per tenant; autocannon cycles through them on every connection. */
function tenantRequests(credential: Record<string, string>, slugs: string[]): autocannon.Request[] {
  return slugs.map((slug) => graphqlRequest(QUERY, { ...credential, 'x-organization-id': slug }));
}

function graphqlRequest(query: string, headers: Record<string, string>): autocannon.Request {
  const body = JSON.stringify({ query });
  return { method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', ...headers }, body };
}

/** One API key per tenant (a partner integration each), allowed to read and write customers. */
async function tenantApiKeys(context: BenchContext, tenants: Tenant[]): Promise<string[]> {
  const { services, dataSource } = context;
  const keys: string[] = [];
  for (const tenant of tenants) {
    const scoped = { id: tenant.id, slug: tenant.slug, status: 'ACTIVE' as const, schema: tenant.schemaName };
    const created = await runInSchema(dataSource, tenant.schemaName, (manager) =>
      services.apiKeys.create(
        manager,
        scoped,
        { kind: 'platform-admin' },
        {
          name: 'load',
          scopes: ['customers:read', 'customers:write'],
        },
      ),
    );
    keys.push(created.secret);
  }
  return keys;
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
  if (variant.mutation) {
    const created = (JSON.parse(response.body) as { data?: { createCustomer?: { id: string } } }).data?.createCustomer;
    if (response.status === 200 && created?.id) return '';
    throw new Error(`${variant.label} does not create a customer: ${response.status} ${response.body.slice(0, 500)}`);
  }
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

/** The server a variant measures: the floor, or the app with its production wiring (limits, metering, credentials). */
async function startServer(context: BenchContext, variant: Variant): Promise<{ url: string; close(): Promise<void> }> {
  if (!variant.schema) {
    const floor = await startFloorServer(context.dataSource, PAGE_SIZE);
    return { url: `http://127.0.0.1:${floor.port}`, close: () => floor.close() };
  }
  return startProductionServer(context, { schema: variant.schema, credentials: variant.credentials });
}

async function measure(context: BenchContext, variant: Variant, adminRequests: autocannon.Request[]) {
  const { options } = context;
  const requests = variant.requests ?? adminRequests;
  const server = await startServer(context, variant);
  try {
    const baseUrl = server.url;
    const page = expectPage(variant, await send(baseUrl, requests[0]));
    context.print(
      `  ${variant.label}: warm-up ${options.warmupSeconds} s, then ${options.loadSeconds} s at ${CONNECTIONS} connections`,
    );
    await fire(baseUrl, requests, options.warmupSeconds);
    // The warm-up's last requests finish before anything is counted.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const busyBefore = performance.eventLoopUtilization();
    const serverCpuBefore = mainThreadCpuMs();
    const databaseCpuBefore = context.databaseCpuMs?.();
    let result: autocannon.Result | undefined;
    // Every statement sent while under load, batched writes (metering, rate-limit shares) included: steady state.
    const createdBefore = variant.mutation ? await loadCustomersCreated(context) : 0;
    const statements = await statementsDuring(async () => {
      result = await fire(baseUrl, requests, options.loadSeconds);
    });
    // A refused mutation answers 200 with errors: every 2xx of the run must have created its customer.
    const unwritten = variant.mutation ? result!['2xx'] - ((await loadCustomersCreated(context)) - createdBefore) : 0;
    if (!result) throw new Error('the load run returned no result');
    const done = result.requests.total;
    // Per request sent: those still in flight at the end sent part of their statements (a slight underestimate).
    const roundTrips = result.requests.sent ? statements / result.requests.sent : 0;
    return {
      page,
      requestsPerSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts + Math.max(0, unwritten),
      roundTrips,
      // Against the load's own duration: starting the worker thread is not server idle time.
      serverBusy: Math.min(1, performance.eventLoopUtilization(busyBefore).active / (result.duration * 1000)),
      serverCpuMs: perRequest(serverCpuBefore, mainThreadCpuMs(), done),
      databaseCpuMs: perRequest(databaseCpuBefore, context.databaseCpuMs?.(), done),
    };
  } finally {
    await server.close();
  }
}

const optionalMs = (value: number | undefined) => (value === undefined ? 'n/a' : formatMs(value));

async function run(context: BenchContext): Promise<SectionResult> {
  const { options, config, services } = context;
  context.print(`  preparing ${TENANTS} tenants with ${CUSTOMERS_PER_TENANT} customers each`);
  const tenants = await provisionTenants(context, 'load', TENANTS);
  for (const tenant of tenants) await seedCustomers(context, tenant.schemaName);
  const period = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };
  for (const { id } of tenants)
    await context.dataSource.transaction((em) => services.plans.activatePlan(em, id, LOAD_PLAN, period));

  const appSchema = await buildAppSchema(services.container);
  const slugs = tenants.map((t) => t.slug);
  const member = await memberSession(
    context,
    tenants.map((t) => t.id),
  );
  const userRequests = tenantRequests({ authorization: `Bearer ${member.token}` }, slugs);
  const apiKeys = await tenantApiKeys(context, tenants);
  const keyRequests = apiKeys.map((key) => graphqlRequest(QUERY, { 'x-api-key': key }));
  const createRequests = apiKeys.map((key) => graphqlRequest(CREATE, { 'x-api-key': key }));
  await services.revocations.start();
  const checkNs = await checkCostNs(services.endedSessions, member.sessionId);
  // Without the ended-sessions check: the same credentials, minus the feed.
  const withoutSessionCheck: CredentialChecks = { authenticate: (key) => services.credentials.authenticate(key) };
  const variants: Variant[] = [
    { key: 'floor', label: 'f. floor: node:http + pg, same SQL and tenant switch' },
    { key: 'scoped', label: 'a. scoped, admin secret: X-Organization-ID → tenant transaction', schema: appSchema },
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
      credentials: withoutSessionCheck,
    },
    {
      key: 'jwt',
      label: `e. scoped, JWT member, ended-sessions check (${formatCount(ENDED_SESSIONS)} held)`,
      schema: appSchema,
      requests: userRequests,
    },
    { key: 'api-key', label: 'k. scoped, API key of the tenant', schema: appSchema, requests: keyRequests },
    {
      key: 'create',
      label: 'm. createCustomer by API key (customers limit checked)',
      schema: appSchema,
      requests: createRequests,
      mutation: true,
    },
  ];
  const requests = tenantRequests({ 'x-admin-secret': config.adminSecret! }, slugs);
  const figures = new Map<Variant['key'], LoadFigures>();
  // Scoped after the baselines: the tenant scope's AsyncLocalStorage, once used, taxes every promise in the
  // process, so measuring it first would charge part of the switch to them. The mutation last: it adds rows.
  const order: Variant['key'][] = [
    'floor',
    'constant',
    'unscoped',
    'scoped',
    'api-key',
    'jwt-unchecked',
    'jwt',
    'create',
  ];
  // BENCH_LOAD_ONLY=floor,api-key: only these variants, their table and no targets (e.g. under `node --cpu-prof`).
  const only = process.env.BENCH_LOAD_ONLY?.split(',');
  const ran = order.filter((k) => !only || only.includes(k));
  try {
    for (const key of ran)
      figures.set(
        key,
        await measure(
          context,
          variants.find((v) => v.key === key)!,
          requests,
        ),
      );
  } finally {
    await services.revocations.close();
  }
  const get = (key: Variant['key']) => figures.get(key)!;
  context.print(
    renderTable(
      [
        'variant',
        'req/s',
        'p50',
        'p99',
        'vs floor',
        'round trips/req',
        'server CPU/req',
        'PG CPU/req',
        'server busy',
        'failed',
      ],
      ran.map((key) => {
        const [v, f] = [variants.find((x) => x.key === key)!, get(key)];
        return [
          v.label,
          formatCount(f.requestsPerSecond),
          formatMs(f.p50),
          formatMs(f.p99),
          formatRatio(f.requestsPerSecond / get(ran[0]).requestsPerSecond),
          f.roundTrips.toFixed(2),
          optionalMs(f.serverCpuMs),
          optionalMs(f.databaseCpuMs),
          `${Math.round(f.serverBusy * 100)} %`,
          formatCount(f.failures),
        ];
      }),
    ),
  );

  if (only) return { rows: [], targets: [] };
  const [floor, scoped, unscoped, apiKey, jwt, jwtUnchecked, create] = (
    ['floor', 'scoped', 'unscoped', 'api-key', 'jwt', 'jwt-unchecked', 'create'] as const
  ).map(get);
  if (scoped.page !== unscoped.page || scoped.page !== floor.page)
    throw new Error('The floor, scoped and unscoped variants return different pages for the same tenant');
  if (jwt.page !== scoped.page || jwtUnchecked.page !== scoped.page || apiKey.page !== scoped.page) {
    throw new Error('The JWT and API-key variants return another page than the admin secret');
  }
  const vsFloor = (f: LoadFigures) => f.requestsPerSecond / floor.requestsPerSecond;
  const scopedRatio = scoped.requestsPerSecond / unscoped.requestsPerSecond;
  const jwtRatio = jwt.requestsPerSecond / apiKey.requestsPerSecond;

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
    `app variants run with the production wiring: request rate limiter (${config.redisUrl ? 'Redis' : 'no Redis'}), ` +
      `api_calls metering, API keys and ended sessions`,
  ];
  for (const variant of variants) {
    const failures = get(variant.key).failures;
    if (failures)
      notes.push(
        `WARNING: ${variant.label} had ${failures} failed or non-2xx responses; its figures are not comparable`,
      );
  }
  const section = `load (${CONNECTIONS} conn, ${options.loadSeconds} s)`;
  const figure = (f: LoadFigures) =>
    `${formatCount(f.requestsPerSecond)} req/s, p50 ${formatMs(f.p50)}, p99 ${formatMs(f.p99)}, ` +
    `${f.roundTrips.toFixed(2)} round trips`;
  const rows = order.map((key) => ({
    section,
    measurement: variants.find((v) => v.key === key)!.label,
    figure: figure(get(key)),
    comparison: key === 'floor' ? 'baseline' : `${formatRatio(vsFloor(get(key)))} floor`,
  }));
  rows.push({
    section,
    measurement: 'scoped / unscoped throughput',
    figure: formatRatio(scopedRatio),
    comparison: `target ≥ ${SCOPED_TO_UNSCOPED_TARGET}`,
  });
  const ok = (...f: LoadFigures[]) => f.every((x) => !x.failures);
  return {
    rows,
    targets: [
      {
        name: 'scoped / unscoped throughput',
        figure: `${formatRatio(scopedRatio)} (${formatCount(scoped.requestsPerSecond)} / ${formatCount(unscoped.requestsPerSecond)} req/s)`,
        goal: `≥ ${SCOPED_TO_UNSCOPED_TARGET}`,
        met: scopedRatio >= SCOPED_TO_UNSCOPED_TARGET && ok(scoped, unscoped),
      },
      {
        name: 'API-key read / floor throughput',
        figure: `${formatRatio(vsFloor(apiKey))} (${formatCount(apiKey.requestsPerSecond)} / ${formatCount(floor.requestsPerSecond)} req/s)`,
        goal: `≥ ${API_KEY_TO_FLOOR_TARGET}`,
        met: vsFloor(apiKey) >= API_KEY_TO_FLOOR_TARGET && ok(apiKey, floor),
      },
      {
        name: 'API-key read round trips per request',
        figure: apiKey.roundTrips.toFixed(2),
        goal: `≤ ${ROUND_TRIPS_TARGET}`,
        met: apiKey.roundTrips <= ROUND_TRIPS_TARGET,
      },
      {
        name: 'JWT read / API-key read throughput',
        figure: `${formatRatio(jwtRatio)} (${formatCount(jwt.requestsPerSecond)} / ${formatCount(apiKey.requestsPerSecond)} req/s)`,
        goal: `≥ ${JWT_TO_API_KEY_TARGET}`,
        met: jwtRatio >= JWT_TO_API_KEY_TARGET && ok(jwt, apiKey),
      },
      {
        name: 'createCustomer / floor throughput',
        figure: `${formatRatio(vsFloor(create))} (${formatCount(create.requestsPerSecond)} req/s)`,
        goal: `≥ ${CREATE_TO_FLOOR_TARGET}`,
        met: vsFloor(create) >= CREATE_TO_FLOOR_TARGET && ok(create),
      },
    ],
    notes,
  };
}

export const loadSection: BenchSection = {
  title: '1. GraphQL load: floor, tenant-scoped (admin, API key, JWT), unscoped, constant, createCustomer',
  run,
};
