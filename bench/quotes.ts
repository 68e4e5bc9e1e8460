import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { createServices } from '../src/app/services';
import { PlanCode } from '../src/modules/plans';
import type { Tenant } from '../src/modules/tenants';
import type { BenchContext, BenchSection } from './bench-context';
import { provisionTenants } from './bench-tenants';
import { formatCount, formatMs, formatRatio, percentile, renderTable, timed, type SectionResult } from './report';

const PRODUCTS = 5_000;
const QUOTES = 10_000;
const LINES_PER_QUOTE = 3;
const PAGE = 50;

/** What people type: several parts, stated quantities, words that hit many products. */
const REQUESTS = [
  'Install Cat6 cabling for office: 300 metres of Cat6 cable, 4 outdoor access points and 16 hours of installation labour',
  '24-port PoE switch, 2 wall-mount racks and 48 Cat6A patch cords',
  'Fibre patch panel; 10 single-mode fibre connectors; site survey',
  'Replace the UPS plus 3 surge protectors and 1 rack-mount power strip',
  'Warehouse wifi: 12 industrial access points, 500 metres of outdoor Cat6 cable, cable trays',
];

/** Realistic, varied catalog names: material × item × variant, 1 in 3 the tenant's own, 1 in 20 inactive. */
const SEED_PRODUCTS = `
  INSERT INTO products (name, sku, description, unit_price, currency, unit, tax_rate, is_own_product, active, created_at)
  SELECT initcap(m.v) || ' ' || it.v || ' ' || va.v,
         'P-' || lpad(i::text, 5, '0'),
         'Supplied and tested. ' || it.v || ' for ' || (ARRAY['offices','warehouses','schools','hotels','clinics'])[1 + i % 5],
         (5 + (i * 37) % 2000) + 0.99, 'NPR',
         (ARRAY['piece','metre','hour','box','set'])[1 + i % 5], 13, i % 3 = 0, i % 20 <> 0,
         now() - (${PRODUCTS} - i) * interval '1 second'
    FROM generate_series(1, ${PRODUCTS}) AS i,
         LATERAL (SELECT (ARRAY['Cat6','Cat6A','Cat5e','fibre','single-mode fibre','coaxial','industrial','outdoor','indoor','PoE',
                                'wall-mount','rack-mount','copper','shielded','armoured','wireless','managed','unmanaged','modular','heavy-duty'])[1 + i % 20] AS v) m,
         LATERAL (SELECT (ARRAY['cable','patch panel','access point','switch','router','rack','connector','faceplate','surge protector','UPS',
                                'patch cord','cable tray','power strip','keystone jack','media converter','installation labour','site survey',
                                'firewall','camera','antenna','splice enclosure','cable tester','PDU','console server','wall box'])[1 + (i / 20) % 25] AS v) it,
         LATERAL (SELECT (ARRAY['24-port','48-port','1 Gbps','10 Gbps','305 m box','pro','lite','v2','grey','blue'])[1 + (i / 500) % 10] AS v) va`;

/** 10,000 quotes a minute apart with 3 catalog lines each, as QuoteService would have stored them. */
const SEED_QUOTES = `
  WITH q AS (
    INSERT INTO quotes (number, customer_id, title, currency, valid_until, status, subtotal, discount, tax, total, created_at)
    SELECT 'B-' || lpad(i::text, 6, '0'), $1, 'Bench quote ' || i, 'NPR', DATE '2099-12-31',
           (ARRAY['DRAFT','SENT','ACCEPTED','REJECTED'])[1 + i % 4], 300, 0, 39, 339,
           now() - ($2 - i) * interval '1 minute'
      FROM generate_series(1, $2) AS i
    RETURNING id
  )
  INSERT INTO quote_line_items (quote_id, position, product_id, description, quantity, unit_price, discount_percent, tax_rate, subtotal, discount, tax, total)
  SELECT q.id, p.pos, p.id, p.name, 1, 100, 0, 13, 100, 0, 13, 113
    FROM q CROSS JOIN (SELECT id, name, row_number() OVER (ORDER BY sku) AS pos FROM products ORDER BY sku LIMIT ${LINES_PER_QUOTE}) p`;

const GENERATE = `mutation($input: GenerateQuoteInput!) { generateQuote(input: $input) { generatedBy quote { id lineItems { productId quantity } } } }`;
const CREATE = `mutation($input: CreateQuoteInput!) { createQuote(input: $input) { id lineItems { productId quantity } } }`;
const PAGE_QUERY = (withCount: boolean) =>
  `{ quotes(first: ${PAGE}) { ${withCount ? 'totalCount ' : ''}edges { node { id number title status total lineItems { position description total } } } pageInfo { hasNextPage endCursor } } }`;

interface Latencies {
  p50: number;
  p95: number;
  p99: number;
}

async function latencies(samples: number, send: (i: number) => Promise<unknown>): Promise<Latencies> {
  for (let i = 0; i < Math.min(10, samples); i++) await send(i); // warm-up: JIT, pool, plan caches
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) ms.push((await timed(() => send(i))).ms);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99) };
}

async function inSchema(context: BenchContext, tenant: Tenant, sql: string, params: unknown[] = []) {
  return context.dataSource.transaction(async (em) => {
    await em.query(`SELECT set_config('search_path', $1, true)`, [`"${tenant.schemaName}"`]);
    return em.query(sql, params);
  });
}

/**
 * Issue #6's figures: generateQuote by the matcher (no LLM: its latency is the model's) on a
 * 5,000-product catalog, against createQuote of the same lines; and quotes(first: 50) on
 * 10,000 quotes, against the same page on an organization with only 50.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { options, print } = context;
  // The matcher path is measured even when the environment carries an LLM key.
  const config = { ...context.config, llm: undefined };
  const services = createServices(config, context.dataSource, config.database.url!);
  const [big, small] = await provisionTenants(context, 'quotes', 2);
  const unlimited = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };
  for (const tenant of [big, small])
    await context.dataSource.transaction((em) =>
      services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, unlimited),
    );
  const customerOf = async (tenant: Tenant) =>
    (await inSchema(context, tenant, `INSERT INTO customers (name) VALUES ('Bench buyer') RETURNING id`))[0]
      .id as string;
  const [bigCustomer, smallCustomer] = [await customerOf(big), await customerOf(small)];
  const seeded = await timed(async () => {
    await inSchema(context, big, SEED_PRODUCTS);
    await inSchema(context, big, SEED_QUOTES, [bigCustomer, QUOTES]);
    await inSchema(context, small, SEED_PRODUCTS);
    await inSchema(context, small, SEED_QUOTES, [smallCustomer, PAGE]);
    for (const tenant of [big, small])
      await inSchema(context, tenant, 'ANALYZE products; ANALYZE quotes; ANALYZE quote_line_items');
  });
  print(
    `  seeded ${formatCount(PRODUCTS)} products and ${formatCount(QUOTES)} quotes (${formatCount(QUOTES * LINES_PER_QUOTE)} lines) in ${formatMs(seeded.ms)}`,
  );

  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource: context.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  try {
    const url = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}/graphql`;
    const post = async <T = unknown>(tenant: Tenant, query: string, variables: object = {}): Promise<T> => {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-admin-secret': config.adminSecret!,
          'x-organization-id': tenant.slug,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: unknown[] };
      if (body.errors) throw new Error(`unexpected answer: ${JSON.stringify(body.errors).slice(0, 500)}`);
      return body.data!;
    };
    const samples = options.quick ? 40 : 300;
    const generateInput = (i: number) => ({
      customerId: bigCustomer,
      customerRequest: REQUESTS[i % REQUESTS.length],
      quoteTitle: `Generated ${i}`,
      currency: 'NPR',
    });
    // The baseline creates the very lines the matcher proposed, so the difference is the matching.
    type Generated = { generateQuote: { quote: { lineItems: { productId: string; quantity: string }[] } } };
    const proposed = await Promise.all(
      REQUESTS.map(
        async (_, i) =>
          (await post<Generated>(big, GENERATE, { input: generateInput(i) })).generateQuote.quote.lineItems,
      ),
    );
    print(
      `  generateQuote: ${samples} sequential requests, ${REQUESTS.length} requests in turn (${proposed.map((l) => l.length).join('/')} lines)`,
    );
    const generate = await latencies(samples, (i) => post(big, GENERATE, { input: generateInput(i) }));
    const create = await latencies(samples, (i) =>
      post(big, CREATE, {
        input: {
          customerId: bigCustomer,
          title: `Created ${i}`,
          currency: 'NPR',
          validUntil: '2099-12-31',
          lineItems: proposed[i % proposed.length],
        },
      }),
    );
    const pageSamples = options.quick ? 100 : 500;
    print(`  quotes(first: ${PAGE}): ${pageSamples} sequential requests per variant`);
    const bigPage = await latencies(pageSamples, () => post(big, PAGE_QUERY(false)));
    const smallPage = await latencies(pageSamples, () => post(small, PAGE_QUERY(false)));
    const bigCounted = await latencies(pageSamples, () => post(big, PAGE_QUERY(true)));
    const [quoteCount] = await inSchema(context, big, 'SELECT count(*)::int AS n FROM quotes');

    const rows: [string, Latencies][] = [
      [`generateQuote (matcher), ${formatCount(PRODUCTS)} products`, generate],
      ['createQuote, the same lines (baseline)', create],
      [`quotes(first: ${PAGE}), ${formatCount(quoteCount.n)} quotes`, bigPage],
      [`quotes(first: ${PAGE}), ${PAGE} quotes (baseline)`, smallPage],
      [`quotes(first: ${PAGE}) + totalCount, ${formatCount(quoteCount.n)} quotes`, bigCounted],
    ];
    print(
      renderTable(
        ['variant', 'p50', 'p95', 'p99'],
        rows.map(([label, l]) => [label, formatMs(l.p50), formatMs(l.p95), formatMs(l.p99)]),
      ),
    );
    const pageRatio = bigPage.p50 / smallPage.p50;
    return {
      rows: [
        {
          section: 'quotes',
          measurement: `generateQuote p50 / p95 (${formatCount(PRODUCTS)} products)`,
          figure: `${formatMs(generate.p50)} / ${formatMs(generate.p95)}`,
          comparison: `createQuote same lines ${formatMs(create.p50)} / ${formatMs(create.p95)}`,
        },
        {
          section: 'quotes',
          measurement: `quotes(first: ${PAGE}) p50 / p99 (${formatCount(QUOTES)} quotes)`,
          figure: `${formatMs(bigPage.p50)} / ${formatMs(bigPage.p99)}`,
          comparison: `${PAGE} quotes ${formatMs(smallPage.p50)} / ${formatMs(smallPage.p99)} (${formatRatio(pageRatio)})`,
        },
      ],
      targets: [
        {
          name: `quotes(first: ${PAGE}) does not slow down with ${formatCount(QUOTES)} quotes`,
          figure: `p50 ${formatRatio(pageRatio)} the ${PAGE}-quote baseline`,
          goal: '≤ 1.5×',
          met: pageRatio <= 1.5,
        },
      ],
      notes: [
        `matching: generateQuote p50 ${formatMs(generate.p50)} vs ${formatMs(create.p50)} for createQuote of the same lines (one full-text statement for all parts)`,
        `selecting totalCount (a count over all quotes): p50 ${formatMs(bigCounted.p50)} vs ${formatMs(bigPage.p50)} without`,
      ],
    };
  } finally {
    await http.close();
  }
}

/** Add to `sections` in bench/run.ts. */
export const quotesSection: BenchSection = { title: 'Quotes: generateQuote and the quotes page', run };
