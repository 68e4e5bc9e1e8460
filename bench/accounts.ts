import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createServices } from '../src/app/services';
import type { AppConfig } from '../src/core/config/config';
import { PasswordHasher } from '../src/modules/auth';
import type { BenchContext, BenchSection } from './bench-context';
import { runHttpLoad } from './http-load';
import { formatCount, formatMs, percentile, renderTable, timed, type SectionResult } from './report';
import { roundTripsPerRequest } from './round-trips';

const CONNECTIONS = 20;
const WARMUP_SIGNUPS = 3;
const ROUND_TRIP_SAMPLE = 40;
const HASH_SAMPLES = 10;
const CUSTOMERS = 10;

const REGISTER = `mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken tenant { id slug } }
}`;
const CREATE_CUSTOMER = 'mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }';
const PUBLIC_FIELD = '{ __typename }';
const CUSTOMERS_PAGE = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage } } }';

export interface Variant {
  label: string;
  query: string;
  headers: Record<string, string>;
}

export interface LoadFigures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
  roundTrips: number;
  serverCpuMs?: number;
}

export async function post(baseUrl: string, query: string, variables: object, headers: Record<string, string> = {}) {
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

const signUpInput = (run: string, i: number) => ({
  input: {
    email: `bench-${run}-${i}@example.com`,
    password: 'bench passphrase that is long enough',
    firstName: 'Bench',
    lastName: `User ${i}`,
    businessName: `Bench Business ${run} ${i}`,
  },
});

export async function load(
  context: BenchContext,
  baseUrl: string,
  variant: Variant,
  roundTrips: number,
): Promise<LoadFigures> {
  const request = {
    method: 'POST' as const,
    path: '/graphql',
    headers: { 'content-type': 'application/json', ...variant.headers },
    body: JSON.stringify({ query: variant.query }),
  };
  const figures = await runHttpLoad(context, {
    label: variant.label,
    url: baseUrl,
    connections: CONNECTIONS,
    requests: [request],
  });
  return { ...figures, roundTrips };
}

export function averageOf(runs: LoadFigures[]): LoadFigures {
  const mean = (pick: (f: LoadFigures) => number | undefined) => {
    const values = runs.map(pick);
    return values.some((v) => v === undefined)
      ? undefined
      : (values as number[]).reduce((sum, v) => sum + v, 0) / values.length;
  };
  return {
    requestsPerSecond: mean((f) => f.requestsPerSecond)!,
    p50: mean((f) => f.p50)!,
    p99: mean((f) => f.p99)!,
    failures: runs.reduce((sum, f) => sum + f.failures, 0),
    roundTrips: runs[0].roundTrips,
    serverCpuMs: mean((f) => f.serverCpuMs),
  };
}

/**
 * Issue #3's accounts figures: (1) `register` through HTTP — user, argon2id hash,
 * tenant schema provisioned, OWNER membership, verification mail in the outbox,
 * first session, one transaction — p50/p95 over sequential sign-ups; (2) what a
 * JWT costs per request, on a public field and on a tenant query (admin secret vs
 * JWT, whose membership check rides in the tenant transaction's opening statement).
 */
async function run(context: BenchContext): Promise<SectionResult> {
  // Every sign-up comes from this one address: lift the per-IP registration limit for this section only.
  const config: AppConfig = { ...context.config, auth: { ...context.config.auth, rateLimitPerHour: 1_000_000 } };
  const services = createServices(config, context.dataSource, config.database.url!);
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource: context.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const runId = Date.now().toString(36);
    const signups = context.options.quick ? 30 : 100;

    for (let i = 0; i < WARMUP_SIGNUPS; i++) await post(baseUrl, REGISTER, signUpInput(`${runId}w`, i));
    context.print(`  ${signups} sequential sign-ups`);
    const samples: number[] = [];
    let last: { accessToken: string; tenant: { id: string; slug: string } } | undefined;
    for (let i = 0; i < signups; i++) {
      const { result, ms } = await timed(() => post(baseUrl, REGISTER, signUpInput(runId, i)));
      last = result.register as typeof last;
      samples.push(ms);
    }
    const [{ mails }] = await context.dataSource.query(
      `SELECT count(*)::int AS mails FROM public.email_outbox WHERE to_address LIKE $1 AND idempotency_key LIKE 'verify:%'`,
      [`bench-${runId}-%`],
    );
    if (mails !== signups) throw new Error(`expected ${signups} verification mails in the outbox, found ${mails}`);

    const hasher = new PasswordHasher();
    const hashMs: number[] = [];
    for (let i = 0; i < HASH_SAMPLES; i++) hashMs.push((await timed(() => hasher.hash(`sample password ${i}`))).ms);

    const bearer = { authorization: `Bearer ${last!.accessToken}` };
    const org = { 'x-organization-id': last!.tenant.slug };
    for (let i = 0; i < CUSTOMERS; i++)
      await post(
        baseUrl,
        CREATE_CUSTOMER,
        { input: { name: `Customer ${i}`, email: `c${i}@example.com` } },
        { ...bearer, ...org },
      );

    // Public variants first: the tenant scope's AsyncLocalStorage, once used, taxes every later promise.
    const variants: Variant[] = [
      { label: 'a. { __typename }, anonymous', query: PUBLIC_FIELD, headers: {} },
      { label: 'b. { __typename }, JWT', query: PUBLIC_FIELD, headers: bearer },
      {
        label: 'c. customers page, admin secret',
        query: CUSTOMERS_PAGE,
        headers: { 'x-admin-secret': config.adminSecret!, ...org },
      },
      {
        label: 'd. customers page, JWT (member check in the opening statement)',
        query: CUSTOMERS_PAGE,
        headers: { ...bearer, ...org },
      },
    ];
    const roundTrips: number[] = [];
    for (const variant of variants)
      roundTrips.push(
        await roundTripsPerRequest(ROUND_TRIP_SAMPLE, () => post(baseUrl, variant.query, {}, variant.headers)),
      ); // also checks each answers without errors
    // A-B-C-D then D-C-B-A, averaged: drift on a shared machine (and order effects) hit every variant alike.
    const runs = variants.map((): LoadFigures[] => []);
    for (const i of [...variants.keys(), ...[...variants.keys()].reverse()])
      runs[i].push(await load(context, baseUrl, variants[i], roundTrips[i]));
    const figures = runs.map(averageOf);
    const [anonymous, publicJwt, adminTenant, jwtTenant] = figures;

    const p50 = percentile(samples, 50);
    const p95 = percentile(samples, 95);
    context.print(
      renderTable(
        ['variant', 'req/s', 'p50', 'p99', 'DB round trips/req', 'server CPU/req', 'failed'],
        variants.map((v, i) => [
          v.label,
          formatCount(figures[i].requestsPerSecond),
          formatMs(figures[i].p50),
          formatMs(figures[i].p99),
          figures[i].roundTrips.toFixed(2),
          figures[i].serverCpuMs === undefined ? 'n/a' : formatMs(figures[i].serverCpuMs!),
          formatCount(figures[i].failures),
        ]),
      ),
    );
    const cpuDelta = (a: LoadFigures, b: LoadFigures) => {
      if (a.serverCpuMs === undefined || b.serverCpuMs === undefined) return 'n/a';
      const delta = b.serverCpuMs - a.serverCpuMs;
      return `${delta < 0 ? '-' : '+'}${formatMs(Math.abs(delta))}`;
    };
    const notes = [
      `sign-up: p50 ${formatMs(p50)}, p95 ${formatMs(p95)}, mean ${formatMs(samples.reduce((s, v) => s + v, 0) / samples.length)} over ${signups}; ` +
        `argon2id hashing alone (m=19 MiB, t=2, p=1): p50 ${formatMs(percentile(hashMs, 50))}`,
      `JWT vs anonymous on a public field: ${formatCount(publicJwt.requestsPerSecond)} vs ${formatCount(anonymous.requestsPerSecond)} req/s, ${cpuDelta(anonymous, publicJwt)} server CPU/req`,
      `JWT vs admin secret on a tenant query: ${formatCount(jwtTenant.requestsPerSecond)} vs ${formatCount(adminTenant.requestsPerSecond)} req/s, ` +
        `${(jwtTenant.roundTrips - adminTenant.roundTrips).toFixed(2)} extra round trips/req, ${cpuDelta(adminTenant, jwtTenant)} server CPU/req`,
    ];
    for (const [i, f] of figures.entries())
      if (f.failures) notes.push(`WARNING: ${variants[i].label} had ${f.failures} failed responses`);
    return {
      rows: [
        { section: 'accounts', measurement: `register p50 (${signups} sign-ups)`, figure: formatMs(p50) },
        { section: 'accounts', measurement: `register p95 (${signups} sign-ups)`, figure: formatMs(p95) },
        {
          section: 'accounts',
          measurement: 'public field: JWT vs anonymous',
          figure: `${formatCount(publicJwt.requestsPerSecond)} req/s`,
          comparison: `${formatCount(anonymous.requestsPerSecond)} req/s anonymous`,
        },
        {
          section: 'accounts',
          measurement: 'customers page: JWT vs admin secret',
          figure: `${formatCount(jwtTenant.requestsPerSecond)} req/s`,
          comparison: `${formatCount(adminTenant.requestsPerSecond)} req/s admin, ${(jwtTenant.roundTrips - adminTenant.roundTrips).toFixed(2)} extra round trips`,
        },
      ],
      targets: [
        {
          name: 'JWT membership check adds no PostgreSQL round trip',
          figure: `${(jwtTenant.roundTrips - adminTenant.roundTrips).toFixed(2)} extra/req`,
          goal: '0',
          met: jwtTenant.roundTrips - adminTenant.roundTrips < 0.01,
        },
      ],
      notes,
    };
  } finally {
    await http.close();
    await services.auth.whenIdle();
  }
}

/** Add to `sections` in bench/run.ts. */
export const accountsSection: BenchSection = { title: 'Accounts: sign-up and JWT authentication', run };
