import type autocannon from 'autocannon';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { runInSchema } from '../src/core/tenancy/tenant-scope';
import { runHttpLoad, type HttpLoadFigures } from './http-load';
import type { BenchContext, BenchSection } from './bench-context';
import { provisionTenants } from './bench-tenants';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';
import { roundTripsPerRequest } from './round-trips';

const CONNECTIONS = 20;
const TENANTS = 10;
const TICKETS_PER_TENANT = 60;
const ROUND_TRIP_SAMPLE = 20;

const PAGE_INFO = 'pageInfo { hasNextPage endCursor }';
/** The tickets screen: four relations per ticket (customer, assignee, linked articles, messages with their author). */
const nestedQuery = (first: number) =>
  `{ tickets(first: ${first}) { edges { node { id number subject status priority ` +
  'customer { id name email } assignee { id name email role } articles { id title } ' +
  `messages { id body author createdAt authorMember { id name } } } } ${PAGE_INFO} } }`;
const flatQuery = (first: number) =>
  `{ tickets(first: ${first}) { edges { node { id number subject status priority customerId assigneeId } } ${PAGE_INFO} } }`;

/**
 * Per tenant: a member who is the assignee and writes half the messages, customers, tickets with 2 messages, linked
 * articles.
 */
async function seed(context: BenchContext, tenant: { id: string; slug: string; schemaName: string }): Promise<void> {
  const [{ id: userId }] = await context.dataSource.query(
    `INSERT INTO public.users (email, password_hash, first_name, last_name) VALUES ($1, 'x', 'Agent', $2) RETURNING id`,
    [`agent@${tenant.slug}.bench`, tenant.slug],
  );
  await context.dataSource.query(
    `INSERT INTO public.memberships (tenant_id, user_id, role) VALUES ($1, $2, 'MEMBER')`,
    [tenant.id, userId],
  );
  await runInSchema(context.dataSource, tenant.schemaName, async (em) => {
    await em.query(
      `INSERT INTO customers (name, email) SELECT 'Customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 20) g`,
    );
    await em.query(
      `INSERT INTO tickets (subject, description, status, priority, customer_id, assignee_id, created_at, updated_at)
       SELECT 'Ticket ' || g, 'Something broke', 'OPEN', 'NORMAL', (SELECT id FROM customers ORDER BY name OFFSET g % 20 LIMIT 1),
              CASE WHEN g % 4 <> 0 THEN $2::uuid END, now() + make_interval(secs => g), now()
         FROM generate_series(1, $1) g`,
      [TICKETS_PER_TENANT, userId],
    );
    await em.query(
      `INSERT INTO ticket_messages (ticket_id, body, author_user_id) SELECT t.id, 'Reply ' || m, CASE WHEN m = 1 THEN $1::uuid END FROM tickets t, generate_series(1, 2) m`,
      [userId],
    );
    await em.query(
      `INSERT INTO articles (title, body, status) SELECT 'Guide ' || g, 'Steps', 'PUBLISHED' FROM generate_series(1, 5) g`,
    );
    await em.query(
      `INSERT INTO ticket_articles (ticket_id, article_id) SELECT t.id, a.id FROM tickets t JOIN articles a ON a.title = 'Guide ' || (1 + t.number % 5) WHERE t.number % 2 = 0`,
    );
  });
}

type Figures = Pick<HttpLoadFigures, 'requestsPerSecond' | 'p50' | 'p99' | 'failures'>;

async function run(context: BenchContext): Promise<SectionResult> {
  const { config, logger, dataSource, services } = context;
  context.print(
    `  preparing ${TENANTS} tenants with ${TICKETS_PER_TENANT} tickets each (customer, assignee, 2 messages, articles)`,
  );
  const tenants = await provisionTenants(context, 'nested', TENANTS);
  for (const tenant of tenants) await seed(context, tenant);
  const http = await createHttpApp({
    config,
    logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const requestsFor = (query: string): autocannon.Request[] =>
      tenants.map((t) => ({
        method: 'POST',
        path: '/graphql',
        headers: {
          'content-type': 'application/json',
          'x-admin-secret': config.adminSecret!,
          'x-organization-id': t.slug,
        },
        body: JSON.stringify({ query }),
      }));
    const send = async (request: autocannon.Request) => {
      const res = await fetch(`${baseUrl}/graphql`, {
        method: 'POST',
        headers: request.headers as Record<string, string>,
        body: request.body as string,
      });
      const body = (await res.json()) as {
        data?: { tickets: { edges: { node: { customer?: unknown } }[] } };
        errors?: unknown;
      };
      if (res.status !== 200 || body.errors || !body.data?.tickets.edges.length)
        throw new Error(`nested bench query failed: ${JSON.stringify(body).slice(0, 500)}`);
      return body;
    };
    const trips = (query: string) => {
      const requests = requestsFor(query);
      return roundTripsPerRequest(ROUND_TRIP_SAMPLE, (i) => send(requests[i % requests.length]));
    };
    const roundTrips = {
      ten: await trips(nestedQuery(10)),
      fifty: await trips(nestedQuery(50)),
      flat: await trips(flatQuery(50)),
    };
    const load = (label: string, query: string): Promise<Figures> =>
      runHttpLoad(context, { label, url: baseUrl, connections: CONNECTIONS, requests: requestsFor(query) });
    const flat = await load('flat tickets(first: 50)', flatQuery(50));
    const nested = await load('nested tickets(first: 50)', nestedQuery(50));
    context.print(
      renderTable(
        ['query', 'round trips/req', 'req/s', 'p50', 'p99', 'failed'],
        [
          [
            'tickets(first: 50), flat (ids only)',
            roundTrips.flat.toFixed(2),
            formatCount(flat.requestsPerSecond),
            formatMs(flat.p50),
            formatMs(flat.p99),
            formatCount(flat.failures),
          ],
          [
            'tickets(first: 50), four relations',
            roundTrips.fifty.toFixed(2),
            formatCount(nested.requestsPerSecond),
            formatMs(nested.p50),
            formatMs(nested.p99),
            formatCount(nested.failures),
          ],
          ['tickets(first: 10), four relations', roundTrips.ten.toFixed(2), '', '', '', ''],
        ],
      ),
    );
    const section = 'nested screen query';
    const ratio = nested.requestsPerSecond / flat.requestsPerSecond;
    return {
      rows: [
        {
          section,
          measurement: 'round trips/request, first: 10 vs first: 50 (four relations)',
          figure: `${roundTrips.ten.toFixed(2)} vs ${roundTrips.fifty.toFixed(2)}`,
        },
        {
          section,
          measurement: 'tickets(first: 50), flat',
          figure: `${formatCount(flat.requestsPerSecond)} req/s, p99 ${formatMs(flat.p99)}`,
        },
        {
          section,
          measurement: 'tickets(first: 50), four relations',
          figure: `${formatCount(nested.requestsPerSecond)} req/s, p99 ${formatMs(nested.p99)}`,
          comparison: `${formatRatio(ratio)} flat`,
        },
      ],
      targets: [
        {
          name: 'nested round trips independent of page size',
          figure: `${roundTrips.ten.toFixed(2)} (10) vs ${roundTrips.fifty.toFixed(2)} (50)`,
          goal: 'equal',
          met: roundTrips.ten === roundTrips.fifty && !nested.failures && !flat.failures,
        },
      ],
      notes: [
        `the flat query costs ${roundTrips.flat.toFixed(2)} round trips; each relation adds one batched query, whatever the page size`,
      ],
    };
  } finally {
    await http.close();
  }
}

export const nestedSection: BenchSection = {
  title: '1b. Nested screen query: tickets with four relations vs flat',
  run,
};
