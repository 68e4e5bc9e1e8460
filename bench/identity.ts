import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createServices } from '../src/app/services';
import type { AppConfig } from '../src/core/config/config';
import { startOidcProvider, TEST_OIDC_AUDIENCE } from '../test/support/oidc-provider';
import { averageOf, load, post, type LoadFigures, type Variant } from './accounts';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';
import { roundTripsPerRequest } from './round-trips';

const ROUND_TRIP_SAMPLE = 40;
const CUSTOMERS = 10;
const REGISTER = `mutation Register($input: RegisterInput!) { register(input: $input) { accessToken user { email } } }`;
const CREATE_CUSTOMER = 'mutation Create($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }';
const CUSTOMERS_PAGE = '{ customers(first: 10) { edges { node { id name email } } pageInfo { hasNextPage } } }';

/**
 * Issue #14: a tenant query signed in by an identity provider's RS256 token (verified against the JWKS of a
 * real OpenID provider, oidc-provider in a child process) vs by a built-in HS256 token, in the same run and the
 * same organization: req/s, server CPU and PostgreSQL round trips per request, and how often the JWKS was
 * fetched during the load (it must not be per request).
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const provider = await startOidcProvider();
  const config: AppConfig = {
    ...context.config,
    auth: { ...context.config.auth, rateLimitPerHour: 1_000_000 },
    oidc: {
      providers: [{ issuer: provider.issuer, audience: TEST_OIDC_AUDIENCE }],
      clockSkewSeconds: 30,
      autoProvision: false,
    },
  };
  const services = createServices(config, context.dataSource, config.database.url!);
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource: context.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    // Provider tokens only: the built-in token is not checked against ended sessions in either variant.
    credentials: { authenticate: (key) => services.apiKeys.authenticate(key), providerTokens: services.providerSignIn },
  });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const runId = Date.now().toString(36);
    const email = `bench-oidc-${runId}@example.com`;
    const input = { email, password: 'bench passphrase that is long enough', firstName: 'Bench', lastName: 'Builtin' };
    const registered = (await post(baseUrl, REGISTER, { input: { ...input, businessName: `Bench OIDC ${runId}` } }))
      .register as { accessToken: string };
    // One organization for both: mirrored from the provider, its OWNER the built-in account.
    const tenant = await services.externalTenants.createForAdmin({
      name: 'Bench OIDC',
      slug: `bench-provider-org-${runId}`,
      externalOrganizationId: `org_bench_${runId}`,
      ownerEmail: email,
    });
    const builtIn = { authorization: `Bearer ${registered.accessToken}`, 'x-organization-id': tenant.slug };
    const providerToken = await provider.token({
      sub: `user_bench_${runId}`,
      claims: {
        email: `provider-${email}`,
        email_verified: true,
        org_id: tenant.externalOrganizationId,
        org_role: 'org:member',
      },
    });
    const viaProvider = { authorization: `Bearer ${providerToken}`, 'x-organization-id': tenant.slug };
    for (let i = 0; i < CUSTOMERS; i++)
      await post(baseUrl, CREATE_CUSTOMER, { input: { name: `Customer ${i}`, email: `c${i}@example.com` } }, builtIn);

    const variants: Variant[] = [
      { label: 'a. customers page, built-in HS256 token', query: CUSTOMERS_PAGE, headers: builtIn },
      { label: 'b. customers page, provider RS256 token (JWKS)', query: CUSTOMERS_PAGE, headers: viaProvider },
    ];
    // The provider user's first request: discovery, the JWKS fetched once, the account made just in time.
    await post(baseUrl, CUSTOMERS_PAGE, {}, viaProvider);
    const roundTrips: number[] = [];
    for (const variant of variants)
      roundTrips.push(
        await roundTripsPerRequest(ROUND_TRIP_SAMPLE, () => post(baseUrl, variant.query, {}, variant.headers)),
      );
    const fetchesBefore = await provider.jwksFetches();
    const runs = variants.map((): LoadFigures[] => []);
    for (const i of [0, 1, 1, 0]) runs[i].push(await load(context, baseUrl, variants[i], roundTrips[i]));
    const fetchesDuringLoad = (await provider.jwksFetches()) - fetchesBefore;
    const [ours, theirs] = runs.map(averageOf);
    const requests =
      runs[1].length * theirs.requestsPerSecond * (context.options.loadSeconds + context.options.warmupSeconds);

    context.print(
      renderTable(
        ['variant', 'req/s', 'p50', 'p99', 'DB round trips/req', 'server CPU/req', 'failed'],
        variants.map((v, i) => {
          const f = [ours, theirs][i];
          return [
            v.label,
            formatCount(f.requestsPerSecond),
            formatMs(f.p50),
            formatMs(f.p99),
            f.roundTrips.toFixed(2),
            f.serverCpuMs === undefined ? 'n/a' : formatMs(f.serverCpuMs),
            formatCount(f.failures),
          ];
        }),
      ),
    );
    const cpu = (f: LoadFigures) => (f.serverCpuMs === undefined ? 'n/a' : formatMs(f.serverCpuMs));
    const notes = [
      `provider vs built-in token: ${formatCount(theirs.requestsPerSecond)} vs ${formatCount(ours.requestsPerSecond)} req/s ` +
        `(${formatRatio(theirs.requestsPerSecond / ours.requestsPerSecond)}), server CPU/req ${cpu(theirs)} vs ${cpu(ours)}, ` +
        `${(theirs.roundTrips - ours.roundTrips).toFixed(2)} extra round trips/req (the account and claimed membership lookup)`,
      `JWKS fetched ${fetchesDuringLoad} time(s) during ~${formatCount(requests)} provider-token requests`,
    ];
    for (const [i, f] of [ours, theirs].entries())
      if (f.failures) notes.push(`WARNING: ${variants[i].label} had ${f.failures} failed responses`);
    return {
      rows: [
        {
          section: 'identity',
          measurement: 'customers page: provider RS256 vs built-in HS256 token',
          figure: `${formatCount(theirs.requestsPerSecond)} req/s`,
          comparison: `${formatCount(ours.requestsPerSecond)} req/s built-in (${formatRatio(theirs.requestsPerSecond / ours.requestsPerSecond)})`,
        },
        {
          section: 'identity',
          measurement: 'server CPU/req: provider vs built-in token',
          figure: cpu(theirs),
          comparison: `${cpu(ours)} built-in`,
        },
      ],
      targets: [
        {
          name: 'JWKS not fetched per request (provider tokens under load)',
          figure: `${fetchesDuringLoad} fetch(es)`,
          goal: '0',
          met: fetchesDuringLoad === 0,
        },
      ],
      notes,
    };
  } finally {
    await http.close();
    await services.auth.whenIdle();
    await provider.close();
  }
}

/** Add to `sections` in bench/run.ts. */
export const identitySection: BenchSection = { title: 'Identity: provider (OIDC) tokens vs built-in tokens', run };
