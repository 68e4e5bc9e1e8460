import type { EntityManager } from 'typeorm';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { runInSchema, type ScopedTenant } from '../src/core/tenancy/tenant-scope';
import { runHttpLoad, type HttpLoadFigures } from './http-load';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, timed, type SectionResult } from './report';

const CONNECTIONS = 10;
const TICKETS = 10_000;
const ARTICLES = 1_000;
/** Tickets whose suggestions are asked for in turn (different texts, different matches). */
const SUGGESTION_TICKETS = 20;

/** Words the seeded tickets and articles are made of, so full-text matches are plentiful. */
const WORDS = (
  'printer wifi password invoice refund login email router vpn laptop screen battery account billing shipping order ' +
  'delivery payment card update install license backup sync calendar contact export import report dashboard api ' +
  'webhook token phone camera audio keyboard mouse driver firmware'
).split(' ');
/** The n-th word of a pseudo-random pick, in SQL (`$1` is the word array). */
const word = (expression: string) => `($1::text[])[1 + ((${expression}) % ${WORDS.length})]`;
const words = (count: number, seed: string) =>
  `(SELECT string_agg(${word(`${seed} * k + k * k`)}, ' ') FROM generate_series(1, ${count}) k)`;

/**
 * 10,000 tickets over ~70 days (the last 500 in the last 8 hours, so some are AT_RISK now), every
 * status and priority, SLA on HIGH and URGENT, 2 messages on answered ones; 1,000 published
 * articles; a third of the tickets linked to one. Set-based SQL: seconds, not minutes.
 */
async function seed(em: EntityManager): Promise<void> {
  await em.query(
    `INSERT INTO sla_policies (name, priority, first_response_minutes, resolution_minutes) VALUES ('High', 'HIGH', 60, 480), ('Urgent', 'URGENT', 15, 240)`,
  );
  await em.query(`INSERT INTO customers (name) SELECT 'Customer ' || g FROM generate_series(1, 50) g`);
  await em.query(
    `WITH raw AS (
       SELECT g,
              (ARRAY['NEW', 'OPEN', 'PENDING', 'RESOLVED', 'CLOSED'])[1 + g % 5] AS status,
              (ARRAY['LOW', 'NORMAL', 'HIGH', 'URGENT'])[1 + (g / 5) % 4] AS priority,
              CASE WHEN g > $2 - 500 THEN now() - make_interval(mins => $2 - g) ELSE now() - make_interval(mins => 10 * ($2 - g) + 500) END AS opened
         FROM generate_series(1, $2) g
     ), timed AS (
       SELECT raw.*, p.first_response_minutes AS frm, p.resolution_minutes AS rm FROM raw LEFT JOIN sla_policies p ON p.priority = raw.priority
     )
     INSERT INTO tickets (subject, description, status, priority, created_at, updated_at, sla_first_response_minutes, sla_resolution_minutes,
                          first_response_due_at, resolution_due_at, first_response_at_risk_at, resolution_at_risk_at, first_responded_at, resolved_at)
     SELECT 'My ' || ${word('g')} || ' and ' || ${word('g * 3')} || ' problem', ${words(30, 'g')}, status, priority, opened, opened, frm, rm,
            opened + make_interval(mins => frm), opened + make_interval(mins => rm),
            opened + make_interval(secs => frm * 48), opened + make_interval(secs => rm * 48),
            CASE WHEN status <> 'NEW' THEN least(now(), opened + interval '5 minutes') END,
            CASE WHEN status IN ('RESOLVED', 'CLOSED') THEN least(now(), opened + interval '2 hours') END
       FROM timed`,
    [WORDS, TICKETS],
  );
  await em.query(
    `INSERT INTO ticket_messages (ticket_id, body) SELECT t.id, ${words(20, 't.number * m')} FROM tickets t, generate_series(1, 2) m WHERE t.status <> 'NEW'`,
    [WORDS],
  );
  await em.query(
    `INSERT INTO articles (title, body, status, created_at)
     SELECT initcap(${word('g')}) || ' ' || ${word('g * 7')} || ' guide ' || g, ${words(60, 'g')}, 'PUBLISHED', now() - make_interval(secs => $2 - g)
       FROM generate_series(1, $2) g`,
    [WORDS, ARTICLES],
  );
  await em.query(
    `INSERT INTO ticket_articles (ticket_id, article_id)
     SELECT t.id, a.id
       FROM (SELECT id, row_number() OVER (ORDER BY number) AS n FROM tickets) t
       JOIN (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM articles) a ON a.n = 1 + t.n % $1
      WHERE t.n % 3 = 0`,
    [ARTICLES],
  );
  // Only the seeded tables: a bare ANALYZE would lock every table of the 1,000 bench tenants in one transaction.
  await em.query('ANALYZE tickets, ticket_messages, articles, ticket_articles');
}

interface Variant {
  label: string;
  /** Sent in turn by every connection. */
  queries: string[];
  /** Checks one answer, so a bench of error responses cannot pass as fast. */
  expect: (data: Record<string, unknown>) => boolean;
}

type Figures = Pick<HttpLoadFigures, 'requestsPerSecond' | 'p50' | 'p99' | 'failures'>;

const rowsOf = (data: Record<string, unknown>, field: string) => {
  const value = data[field] as { edges?: unknown[] } | unknown[];
  return Array.isArray(value) ? value.length : (value.edges?.length ?? 0);
};

async function measure(
  context: BenchContext,
  baseUrl: string,
  headers: Record<string, string>,
  variant: Variant,
): Promise<Figures> {
  const requests = variant.queries.map((query) => ({
    method: 'POST' as const,
    path: '/graphql',
    headers,
    body: JSON.stringify({ query }),
  }));
  for (const request of requests) {
    const response = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers, body: request.body });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
    if (response.status !== 200 || body.errors || !body.data || !variant.expect(body.data)) {
      throw new Error(`${variant.label}: unexpected answer ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
    }
  }
  return runHttpLoad(context, { label: variant.label, url: baseUrl, connections: CONNECTIONS, requests });
}

/**
 * Issue #5's figures: ticket lists with filters (status + priority, and the computed slaStatus),
 * suggestedArticles and the articles' resolution counts on one organization holding 10,000
 * tickets and 1,000 articles, against customers(first: 10) on the same organization; and how
 * long the every-minute SLA check takes there once its alerts are raised.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource } = context;
  const tenant = await services.tenants.provision({ slug: 'helpdesk-bench', name: 'Helpdesk bench' });
  const scoped: ScopedTenant = { id: tenant.id, slug: tenant.slug, status: 'ACTIVE', schema: tenant.schemaName };
  const seeded = await timed(() => runInSchema(dataSource, tenant.schemaName, seed, scoped));
  context.print(
    `  seeded ${formatCount(TICKETS)} tickets and ${formatCount(ARTICLES)} articles in ${formatMs(seeded.ms)}`,
  );
  const ticketIds: { id: string }[] = await dataSource.query(
    `SELECT id FROM "${tenant.schemaName}".tickets WHERE status <> 'NEW' ORDER BY number LIMIT $1`,
    [SUGGESTION_TICKETS],
  );

  // The first check raises every alert of the seeded backlog; the minute after is the steady state.
  const check = () => runInSchema(dataSource, tenant.schemaName, (em) => services.slaMonitor.check(em, scoped), scoped);
  const firstCheck = await timed(check);
  const steadyCheck = await timed(check);

  const node = 'id number subject status priority slaStatus firstResponseDueAt';
  const variants: Variant[] = [
    {
      label: 'a. customers(first: 10) (baseline)',
      queries: ['{ customers(first: 10) { edges { node { id name } } } }'],
      expect: (d) => rowsOf(d, 'customers') === 10,
    },
    {
      label: 'b. tickets(first: 50, status + priority)',
      queries: [
        `{ tickets(first: 50, filter: { status: OPEN, priority: HIGH }) { edges { node { ${node} } } pageInfo { hasNextPage } } }`,
      ],
      expect: (d) => rowsOf(d, 'tickets') === 50,
    },
    {
      label: 'c. tickets(first: 50, slaStatus: AT_RISK)',
      queries: [
        `{ tickets(first: 50, filter: { slaStatus: AT_RISK }) { edges { node { ${node} } } pageInfo { hasNextPage } } }`,
      ],
      expect: (d) => rowsOf(d, 'tickets') > 0,
    },
    {
      label: `d. suggestedArticles(limit: 5), ${SUGGESTION_TICKETS} tickets in turn`,
      queries: ticketIds.map(({ id }) => `{ suggestedArticles(ticketId: "${id}", limit: 5) { id title } }`),
      expect: (d) => rowsOf(d, 'suggestedArticles') === 5,
    },
    {
      label: 'e. articles(first: 50) with resolvedTicketCount',
      queries: ['{ articles(first: 50) { edges { node { id title resolvedTicketCount } } } }'],
      expect: (d) => rowsOf(d, 'articles') === 50,
    },
  ];
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  const figures: Figures[] = [];
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const headers = {
      'content-type': 'application/json',
      'x-admin-secret': config.adminSecret!,
      'x-organization-id': tenant.slug,
    };
    for (const variant of variants) figures.push(await measure(context, baseUrl, headers, variant));
  } finally {
    await http.close();
  }

  const baseline = figures[0];
  context.print(
    renderTable(
      ['variant', 'req/s', 'p50', 'p99', 'vs baseline req/s', 'failed'],
      variants.map((v, i) => [
        v.label,
        formatCount(figures[i].requestsPerSecond),
        formatMs(figures[i].p50),
        formatMs(figures[i].p99),
        formatRatio(figures[i].requestsPerSecond / baseline.requestsPerSecond),
        formatCount(figures[i].failures),
      ]),
    ),
  );
  const notes = [
    `SLA check of the organization: first run ${formatMs(firstCheck.ms)} (${formatCount(firstCheck.result.events)} alerts raised, ${formatCount(firstCheck.result.mails)} mails queued), ` +
      `steady state ${formatMs(steadyCheck.ms)} (${formatCount(steadyCheck.result.events)} new)`,
  ];
  for (const [i, f] of figures.entries())
    if (f.failures) notes.push(`WARNING: ${variants[i].label} had ${f.failures} failed responses`);
  const section = `helpdesk (${formatCount(TICKETS)} tickets)`;
  return {
    rows: [
      ...variants.map((v, i) => ({
        section,
        measurement: v.label,
        figure: `${formatCount(figures[i].requestsPerSecond)} req/s, p50 ${formatMs(figures[i].p50)}, p99 ${formatMs(figures[i].p99)}`,
        comparison: i
          ? `${formatRatio(figures[i].requestsPerSecond / baseline.requestsPerSecond)} baseline`
          : 'baseline',
      })),
      {
        section,
        measurement: 'SLA check, steady state',
        figure: formatMs(steadyCheck.ms),
        comparison: `first run ${formatMs(firstCheck.ms)}`,
      },
    ],
    targets: [],
    notes,
  };
}

/** Add to `sections` in bench/run.ts. */
export const helpdeskSection: BenchSection = {
  title: 'Helpdesk: ticket filters, suggestions and SLA check at 10,000 tickets',
  run,
};
