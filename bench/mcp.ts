import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createServices } from '../src/app/services';
import type { AppConfig } from '../src/core/config/config';
import { PlanCode } from '../src/modules/plans';
import { runHttpLoad, type HttpLoadFigures } from './http-load';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';

const CONNECTIONS = 10;
const TICKETS = 10;
/** The read `tickets_list` runs, sent as GraphQL: the same fields, page size and API key. */
const TICKET_FIELDS = `id number subject description status priority channel customerId assigneeId tags
  createdAt updatedAt resolvedAt slaStatus firstResponseDueAt resolutionDueAt`;
const GRAPHQL_READ = `query Tickets { tickets(first: ${TICKETS}) {
  totalCount pageInfo { endCursor hasNextPage } edges { node { ${TICKET_FIELDS} } } } }`;
const MCP_READ = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'tickets_list', arguments: { first: TICKETS } },
};

type Figures = Pick<HttpLoadFigures, 'requestsPerSecond' | 'p50' | 'p99' | 'failures'>;

async function postJson(url: string, body: object, headers: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"') || text.includes('"isError":true'))
    throw new Error(`unexpected answer ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * Issue #15's figures: a read tool call over MCP (`tickets_list`, 10 tickets) against the GraphQL query it runs,
 * sent to the same server with the same API key: what the MCP layer (JSON-RPC, a server per stateless request, the
 * plan check, the untrusted-content wrapping) costs on top of the GraphQL execution both share.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const config: AppConfig = { ...context.config, auth: { ...context.config.auth, rateLimitPerHour: 1_000_000 } };
  const services = createServices(config, context.dataSource, config.database.url!);
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource: context.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    credentials: services.credentials,
    apiCalls: services.apiCalls,
    mcp: services.mcp,
  });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const gql = (query: string, headers: Record<string, string>, variables = {}) =>
      postJson(`${baseUrl}/graphql`, { query, variables }, headers);
    const stamp = Date.now().toString(36);
    const input = {
      email: `mcp-${stamp}@example.com`,
      password: 'bench passphrase that is long enough',
      firstName: 'Bench',
      lastName: 'Mcp',
      businessName: `MCP bench ${stamp}`,
    };
    const registered = await gql(
      'mutation R($input: RegisterInput!) { register(input: $input) { accessToken tenant { id slug } } }',
      {},
      { input },
    );
    const { accessToken, tenant } = registered.data.register;
    const member = { authorization: `Bearer ${accessToken}`, 'x-organization-id': tenant.slug };
    const period = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };
    await context.dataSource.transaction((em) =>
      services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, period),
    );
    const key = await gql(
      'mutation K { createApiKey(input: { name: "bench", scopes: ["tickets:read"] }) { secret } }',
      member,
    );
    const apiKey = { authorization: `Bearer ${key.data.createApiKey.secret}` };
    for (let i = 0; i < TICKETS; i++)
      await gql(
        `mutation { createTicket(input: { subject: "Bench ticket ${i}", description: "Router" }) { id } }`,
        member,
      );
    const mcpAnswer = await postJson(`${baseUrl}/mcp`, MCP_READ, apiKey);
    if (mcpAnswer.result.structuredContent.items.length !== TICKETS) throw new Error('tickets_list read no tickets');
    await gql(GRAPHQL_READ, apiKey);

    const variants = [
      { label: 'a. GraphQL tickets(first: 10), API key', path: '/graphql', body: { query: GRAPHQL_READ } },
      { label: 'b. MCP tools/call tickets_list (first: 10), API key', path: '/mcp', body: MCP_READ },
    ];
    const measure = async (variant: (typeof variants)[number]): Promise<Figures> => {
      const request = {
        method: 'POST' as const,
        path: variant.path,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...apiKey },
        body: JSON.stringify(variant.body),
      };
      return runHttpLoad(context, {
        label: variant.label,
        url: baseUrl,
        connections: CONNECTIONS,
        requests: [request],
      });
    };
    // A-B then B-A, averaged: drift on a shared machine hits both alike.
    const runs: Figures[][] = [[], []];
    for (const i of [0, 1, 1, 0]) runs[i].push(await measure(variants[i]));
    const [graphql, mcp] = runs.map((r) => ({
      requestsPerSecond: (r[0].requestsPerSecond + r[1].requestsPerSecond) / 2,
      p50: (r[0].p50 + r[1].p50) / 2,
      p99: (r[0].p99 + r[1].p99) / 2,
      failures: r[0].failures + r[1].failures,
    }));
    context.print(
      renderTable(
        ['variant', 'req/s', 'p50', 'p99', 'failed'],
        [graphql, mcp].map((f, i) => [
          variants[i].label,
          formatCount(f.requestsPerSecond),
          formatMs(f.p50),
          formatMs(f.p99),
          formatCount(f.failures),
        ]),
      ),
    );
    const ratio = mcp.requestsPerSecond / graphql.requestsPerSecond;
    return {
      rows: [
        {
          section: 'mcp',
          measurement: 'read tool call (tickets_list, 10 tickets)',
          figure: `${formatCount(mcp.requestsPerSecond)} req/s, p99 ${formatMs(mcp.p99)}`,
          comparison: `${formatRatio(ratio)} of GraphQL (${formatCount(graphql.requestsPerSecond)} req/s, p99 ${formatMs(graphql.p99)})`,
        },
      ],
      targets: [
        {
          name: 'every MCP and GraphQL request answered 200',
          figure: `${formatCount(graphql.failures + mcp.failures)} failed`,
          goal: '0',
          met: graphql.failures + mcp.failures === 0,
        },
      ],
      notes: [
        `MCP costs ${formatMs(1000 / mcp.requestsPerSecond - 1000 / graphql.requestsPerSecond)} more per request at ` +
          `${CONNECTIONS} connections (the plan check's query, JSON-RPC and a server per stateless request)`,
      ],
    };
  } finally {
    await http.close();
    await services.apiKeys.flushUsage();
    await services.apiCalls.flush();
  }
}

export const mcpSection: BenchSection = { title: 'MCP tools vs GraphQL (issue 15)', run };
