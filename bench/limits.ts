import autocannon from 'autocannon';
import type { ContainerType } from 'type-graphql';
import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createServices, type Services } from '../src/app/services';
import type { AppConfig } from '../src/core/config/config';
import { CustomerResolver, CustomerService } from '../src/modules/customers';
import { PlanCode, type CountedWrite, type EntitlementService } from '../src/modules/plans';
import type { BenchContext, BenchSection } from './bench-context';
import { provisionTenants } from './bench-tenants';
import { runHttpLoad } from './http-load';
import { formatCount, formatMs, renderTable, type SectionResult } from './report';
import { roundTripsPerRequest } from './round-trips';

const CONNECTIONS = 10;
const ROUND_TRIP_SAMPLE = 40;
/** Organizations the spread-out creates go to, in turn. */
const TENANTS = 20;
const CREATE = 'mutation { createCustomer(input: { name: "Bench customer" }) { id } }';
const READ = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage } } }';

interface Variant {
  label: string;
  /** Sent in turn (one per organization) by every connection. */
  requests: autocannon.Request[];
  /** The createCustomer path without any limit check (a CustomerService whose entitlements take nothing). */
  unchecked?: boolean;
  metered?: boolean;
}

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  /** 2xx answers, warm-up included: what the meter must have counted. */
  answered: number;
  roundTrips: number;
  serverCpuMs?: number;
}

/** Limits that take nothing: the baseline of the limit check (the write alone; a counter row of no table). */
const noLimits: Pick<EntitlementService, 'consumeWith' | 'release'> = {
  consumeWith: async <R extends object>(
    em: EntityManager,
    _tenantId: string,
    _metric: string,
    write?: CountedWrite,
  ) => {
    const [row] = (await em.query(
      'WITH counted AS (SELECT $1::int AS a, $2::int AS b, $3::int AS c, $4::int AS d, $5::int AS e), ' +
        `${write!.ctes} SELECT * FROM ${write!.from}`,
      [0, 0, 0, 0, 0, ...write!.params],
    )) as R[];
    return { used: 0, limit: null, row };
  },
  release: async () => undefined,
};

function containerFor(services: Services, unchecked: boolean): ContainerType {
  if (!unchecked) return services.container;
  const customers = new CustomerResolver(new CustomerService(noLimits));
  return {
    get: (resolverClass) =>
      resolverClass === CustomerResolver ? customers : services.container.get(resolverClass, {} as never),
  };
}

const requestsFor = (query: string, headerSets: Record<string, string>[]): autocannon.Request[] =>
  headerSets.map((headers) => ({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  }));

async function post(baseUrl: string, query: string, headers: Record<string, string>, variables: object = {}) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (response.status !== 200 || body.errors)
    throw new Error(`unexpected answer ${response.status}: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data!;
}

/**
 * Requests a load run left behind (autocannon hangs up, the server carries on with them,
 * queued on the counter row) must finish before the next round trips are counted.
 */
async function poolIdle(dataSource: DataSource, timeoutMs = 30_000): Promise<void> {
  const pool = (dataSource.driver as PostgresDriver).master as Pool;
  const deadline = Date.now() + timeoutMs;
  while ((pool.idleCount < pool.totalCount || pool.waitingCount > 0) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

function postRequest(baseUrl: string, request: autocannon.Request) {
  return post(baseUrl, JSON.parse(request.body as string).query, request.headers as Record<string, string>);
}

async function measure(context: BenchContext, services: Services, variant: Variant): Promise<Figures> {
  const { config, logger, dataSource } = context;
  const http = await createHttpApp({
    config,
    logger,
    dataSource,
    schema: await buildAppSchema(containerFor(services, !!variant.unchecked)),
    jobsState: () => 'disabled',
    apiCalls: variant.metered ? services.apiCalls : undefined,
  });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    // A batch left by the previous metered run must not be written while this one's round trips are counted.
    await services.apiCalls.flush();
    await poolIdle(dataSource);
    const roundTrips = await roundTripsPerRequest(ROUND_TRIP_SAMPLE, (i) =>
      postRequest(baseUrl, variant.requests[i % variant.requests.length]),
    );
    const figures = await runHttpLoad(context, {
      label: variant.label,
      url: baseUrl,
      connections: CONNECTIONS,
      requests: variant.requests,
    });
    return { ...figures, answered: ROUND_TRIP_SAMPLE + figures.answered, roundTrips };
  } finally {
    await http.close();
  }
}

const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;

function averageOf(runs: Figures[]): Figures {
  const cpu = runs.map((r) => r.serverCpuMs);
  return {
    requestsPerSecond: mean(runs.map((r) => r.requestsPerSecond)),
    p50: mean(runs.map((r) => r.p50)),
    p99: mean(runs.map((r) => r.p99)),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    answered: runs.reduce((sum, r) => sum + r.answered, 0),
    roundTrips: mean(runs.map((r) => r.roundTrips)),
    serverCpuMs: cpu.some((c) => c === undefined) ? undefined : mean(cpu as number[]),
  };
}

const cpuText = (f: Figures) => (f.serverCpuMs === undefined ? 'n/a' : formatMs(f.serverCpuMs));
function overhead(base: Figures, other: Figures): string {
  const change = ((other.requestsPerSecond - base.requestsPerSecond) / base.requestsPerSecond) * 100;
  return `${Math.abs(change).toFixed(1)} % ${change < 0 ? 'fewer' : 'more'} req/s`;
}
const unlimited = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };

/**
 * Issue #4's figures: what the plan limit check costs on `createCustomer` (the counter
 * upsert in the create's transaction, on an unlimited plan so nothing is refused, vs no
 * check at all), with creates spread over 20 organizations and with all of them for one
 * (each then queues on that organization's counter row until the create commits: the
 * worst case); and what API-call metering costs on a read (`customers(first: 10)` with a
 * member's JWT, metered vs not).
 */
async function run(context: BenchContext): Promise<SectionResult> {
  // The accounts section signed up many users from this address already: lift the per-IP sign-up limit here too.
  const config: AppConfig = { ...context.config, auth: { ...context.config.auth, rateLimitPerHour: 1_000_000 } };
  const services = createServices(config, context.dataSource, config.database.url!);
  const register = await createHttpApp({
    config,
    logger: context.logger,
    dataSource: context.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  let headers: Record<string, string>;
  let tenantId: string;
  try {
    const baseUrl = `http://127.0.0.1:${await register.listen(0, '127.0.0.1')}`;
    const signedUp = await post(
      baseUrl,
      'mutation Register($input: RegisterInput!) { register(input: $input) { accessToken tenant { id slug } } }',
      {},
      {
        input: {
          email: `limits-${Date.now().toString(36)}@example.com`,
          password: 'bench passphrase that is long enough',
          firstName: 'Bench',
          lastName: 'Limits',
          businessName: `Limits bench ${Date.now().toString(36)}`,
        },
      },
    );
    const { accessToken, tenant } = signedUp.register as { accessToken: string; tenant: { id: string; slug: string } };
    headers = { authorization: `Bearer ${accessToken}`, 'x-organization-id': tenant.slug };
    tenantId = tenant.id;
  } finally {
    await register.close();
  }
  const spread = await provisionTenants(context, 'limits', TENANTS);
  for (const id of [tenantId, ...spread.map((t) => t.id)]) {
    await context.dataSource.transaction((em) => services.plans.activatePlan(em, id, PlanCode.ENTERPRISE, unlimited));
  }
  const admin = spread.map((t) => ({ 'x-admin-secret': config.adminSecret!, 'x-organization-id': t.slug }));

  const variants: Variant[] = [
    {
      label: `a. createCustomer, no limit check (${TENANTS} orgs)`,
      requests: requestsFor(CREATE, admin),
      unchecked: true,
    },
    { label: `b. createCustomer, limit check (${TENANTS} orgs, unlimited plan)`, requests: requestsFor(CREATE, admin) },
    { label: 'c. createCustomer, no limit check (1 org)', requests: requestsFor(CREATE, [headers]), unchecked: true },
    {
      label: 'd. createCustomer, limit check (1 org: creates queue on its counter)',
      requests: requestsFor(CREATE, [headers]),
    },
    { label: 'e. customers(first: 10), not metered', requests: requestsFor(READ, [headers]) },
    { label: 'f. customers(first: 10), metered', requests: requestsFor(READ, [headers]), metered: true },
  ];
  const usedBefore = await apiCallsUsed(context, tenantId);
  // A-B-C-D then D-C-B-A, averaged: drift on a shared machine hits every variant alike.
  const runs = variants.map((): Figures[] => []);
  for (const i of [...variants.keys(), ...[...variants.keys()].reverse()])
    runs[i].push(await measure(context, services, variants[i]));
  const figures = runs.map(averageOf);
  const [unchecked, checked, uncheckedOne, checkedOne, unmetered, metered] = figures;
  await services.apiCalls.flush();
  const counted = (await apiCallsUsed(context, tenantId)) - usedBefore;
  const [{ customers }] = await context.dataSource.query(
    `SELECT used AS customers FROM public.usage_counters WHERE tenant_id = $1 AND metric = 'customers'`,
    [tenantId],
  );

  context.print(
    renderTable(
      ['variant', 'req/s', 'p50', 'p99', 'DB round trips/req', 'server CPU/req', 'failed'],
      variants.map((v, i) => [
        v.label,
        formatCount(figures[i].requestsPerSecond),
        formatMs(figures[i].p50),
        formatMs(figures[i].p99),
        figures[i].roundTrips.toFixed(2),
        cpuText(figures[i]),
        formatCount(figures[i].failures),
      ]),
    ),
  );
  const notes = [
    `limit check, ${TENANTS} orgs: ${overhead(unchecked, checked)}, +${(checked.roundTrips - unchecked.roundTrips).toFixed(2)} round trips/req (the counter upsert), p50 ${formatMs(unchecked.p50)} → ${formatMs(checked.p50)}`,
    `limit check, 1 org: ${overhead(uncheckedOne, checkedOne)}, p50 ${formatMs(uncheckedOne.p50)} → ${formatMs(checkedOne.p50)}: one organization's creates are serialised on its counter row`,
    `metering: ${overhead(unmetered, metered)}, +${(metered.roundTrips - unmetered.roundTrips).toFixed(2)} round trips/req; ` +
      `${formatCount(metered.answered)} metered answers were counted as ${formatCount(counted)} api_calls by batched writes`,
    `counter of the one org after the create runs: ${formatCount(Number(customers))} customers (its checked creates)`,
  ];
  for (const [i, f] of figures.entries())
    if (f.failures) notes.push(`WARNING: ${variants[i].label} had ${f.failures} failed responses`);
  return {
    rows: [
      {
        section: 'limits',
        measurement: `createCustomer with limit check, ${TENANTS} orgs`,
        figure: `${formatCount(checked.requestsPerSecond)} req/s`,
        comparison: `${formatCount(unchecked.requestsPerSecond)} req/s without (${overhead(unchecked, checked)})`,
      },
      {
        section: 'limits',
        measurement: 'createCustomer with limit check, 1 org',
        figure: `${formatCount(checkedOne.requestsPerSecond)} req/s`,
        comparison: `${formatCount(uncheckedOne.requestsPerSecond)} req/s without (${overhead(uncheckedOne, checkedOne)})`,
      },
      {
        section: 'limits',
        measurement: 'customers page, metered',
        figure: `${formatCount(metered.requestsPerSecond)} req/s`,
        comparison: `${formatCount(unmetered.requestsPerSecond)} req/s not metered (${overhead(unmetered, metered)})`,
      },
    ],
    targets: [
      {
        name: 'metering adds no PostgreSQL round trip per request',
        figure: `${(metered.roundTrips - unmetered.roundTrips).toFixed(2)} extra/req`,
        goal: '0',
        met: metered.roundTrips - unmetered.roundTrips < 0.01,
      },
      {
        // A request cut off when a run ends may be counted without being answered: at most one per connection and run.
        name: 'every metered answer counted once',
        figure: `${formatCount(counted)} counted for ${formatCount(metered.answered)} answered`,
        goal: `equal, + at most ${2 * 2 * CONNECTIONS} cut off`,
        met: counted >= metered.answered && counted - metered.answered <= 2 * 2 * CONNECTIONS,
      },
      {
        // Plus, now and then, the catalogue's reload (once per PLAN_CACHE_SECONDS).
        name: 'limit check is one statement in the create transaction',
        figure: `+${(checked.roundTrips - unchecked.roundTrips).toFixed(2)} round trips/req`,
        goal: '+1',
        met: Math.abs(checked.roundTrips - unchecked.roundTrips - 1) < 0.05,
      },
    ],
    notes,
  };
}

async function apiCallsUsed(context: BenchContext, tenantId: string): Promise<number> {
  const [row] = await context.dataSource.query(
    `SELECT coalesce(sum(used), 0) AS used FROM public.usage_counters WHERE tenant_id = $1 AND metric = 'api_calls'`,
    [tenantId],
  );
  return Number(row.used);
}

/** Add to `sections` in bench/run.ts. */
export const limitsSection: BenchSection = { title: 'Plan limits and API-call metering: overhead', run };
