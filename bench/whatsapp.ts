import { createHmac } from 'node:crypto';
import autocannon from 'autocannon';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { runInTenantScope } from '../src/core/tenancy/tenant-scope';
import { PlanCode } from '../src/modules/plans';
import { runHttpLoad, type HttpLoadFigures } from './http-load';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, timed, type SectionResult } from './report';

const CONNECTIONS = 10;
const PHONE_NUMBER_ID = '100000000001';
const APP_SECRET = 'bench-app-secret-0123456789';
/** Customers writing in turn: some messages open tickets, most continue one. */
const SENDERS = 200;
/** The webhook must answer before it applies anything: a target on the p99 of new deliveries. */
const P99_TARGET_MS = 50;

const body = (n: number) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: PHONE_NUMBER_ID },
              contacts: [
                { profile: { name: `Sender ${n % SENDERS}` }, wa_id: `97798${String(n % SENDERS).padStart(8, '0')}` },
              ],
              messages: [
                {
                  from: `97798${String(n % SENDERS).padStart(8, '0')}`,
                  id: `wamid.bench.${n}`,
                  timestamp: '1760000000',
                  type: 'text',
                  text: { body: `Message ${n}` },
                },
              ],
            },
          },
        ],
      },
    ],
  });
const signed = (raw: string) => ({
  'content-type': 'application/json',
  'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}`,
});

type Figures = Pick<HttpLoadFigures, 'requestsPerSecond' | 'p50' | 'p99' | 'failures' | 'requests'>;

/** On the main thread (no load worker): a new message's `setupRequest` closure cannot cross to a worker. */
const measure = (context: BenchContext, url: string, label: string, requests: autocannon.Request[]) =>
  runHttpLoad(context, { label, url, connections: CONNECTIONS, requests, autocannon: { workers: undefined } });

/**
 * Issue #5's webhook: how fast `POST /api/v1/whatsapp/webhook` answers Meta (verify the signature
 * over the raw bytes, store the events, 200) for a redelivery (deduplicated) and for new messages
 * (each then becomes a ticket message in the background), against GET /health; and how long the
 * background work takes to apply everything that was accepted.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource } = context;
  const tenant = await services.tenants.provision({ slug: 'whatsapp-bench', name: 'WhatsApp bench' });
  await dataSource.transaction((em) =>
    services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, {
      periodStart: new Date(),
      periodEnd: new Date(Date.now() + 30 * 86_400_000),
    }),
  );
  await runInTenantScope(dataSource, { id: tenant.id }, (em) =>
    services.whatsApp.channels.configure(em, tenant.id, {
      phoneNumberId: PHONE_NUMBER_ID,
      accessToken: 'bench-access-token',
      verifyToken: 'bench-verify-token-0123',
      appSecret: APP_SECRET,
    }),
  );
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    routes: services.httpRoutes,
  });
  const path = '/api/v1/whatsapp/webhook';
  let next = 0;
  const labels = [
    'a. GET /health (baseline)',
    'b. POST a redelivered message (verify, dedupe)',
    'c. POST a new message (verify, store; applied after the answer)',
  ];
  const figures: Figures[] = [];
  let drain: { ms: number };
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const first = body(next++);
    const check = await fetch(`${baseUrl}${path}`, { method: 'POST', headers: signed(first), body: first });
    if (check.status !== 200) throw new Error(`webhook answered ${check.status}: ${await check.text()}`);
    figures.push(await measure(context, baseUrl, labels[0], [{ method: 'GET', path: '/health' }]));
    figures.push(
      await measure(context, baseUrl, labels[1], [{ method: 'POST', path, headers: signed(first), body: first }]),
    );
    figures.push(
      await measure(context, baseUrl, labels[2], [
        {
          method: 'POST',
          path,
          setupRequest: (request) => {
            const raw = body(next++);
            return { ...request, headers: signed(raw), body: raw };
          },
        },
      ]),
    );
    drain = await timed(() => services.whatsApp.inbound.whenIdle());
  } finally {
    await http.close();
  }
  const [{ stored, applied, messages }] = await dataSource.query(
    `SELECT (SELECT count(*)::int FROM public.whatsapp_inbound WHERE tenant_id = $1) AS stored,
            (SELECT count(*)::int FROM public.whatsapp_inbound WHERE tenant_id = $1 AND processed_at IS NOT NULL) AS applied,
            (SELECT count(*)::int FROM "${tenant.schemaName}".ticket_messages) AS messages`,
    [tenant.id],
  );

  const baseline = figures[0];
  context.print(
    renderTable(
      ['variant', 'req/s', 'p50', 'p99', 'vs baseline req/s', 'failed'],
      labels.map((label, i) => [
        label,
        formatCount(figures[i].requestsPerSecond),
        formatMs(figures[i].p50),
        formatMs(figures[i].p99),
        formatRatio(figures[i].requestsPerSecond / baseline.requestsPerSecond),
        formatCount(figures[i].failures),
      ]),
    ),
  );
  const section = 'whatsapp webhook';
  const newMessages = figures[2];
  return {
    rows: [
      ...labels.map((label, i) => ({
        section,
        measurement: label,
        figure: `${formatCount(figures[i].requestsPerSecond)} req/s, p50 ${formatMs(figures[i].p50)}, p99 ${formatMs(figures[i].p99)}`,
        comparison: i
          ? `${formatRatio(figures[i].requestsPerSecond / baseline.requestsPerSecond)} baseline`
          : 'baseline',
      })),
      {
        section,
        measurement: 'background applying after the load',
        figure: `${formatMs(drain.ms)} more`,
        comparison: `${formatCount(applied)} of ${formatCount(stored)} events applied, ${formatCount(messages)} ticket messages`,
      },
    ],
    targets: [
      {
        name: 'webhook p99 for new messages',
        figure: formatMs(newMessages.p99),
        goal: `≤ ${P99_TARGET_MS} ms`,
        met: newMessages.p99 <= P99_TARGET_MS,
      },
    ],
    notes: figures.flatMap((f, i) => (f.failures ? [`WARNING: ${labels[i]} had ${f.failures} failed responses`] : [])),
  };
}

/** Add to `sections` in bench/run.ts. */
export const whatsappSection: BenchSection = { title: 'WhatsApp webhook: answer time and background applying', run };
