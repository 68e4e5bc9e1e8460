import autocannon from 'autocannon';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
// The module itself, not its index: the bench swaps its export for the "without events" runs.
import * as domainEvent from '../src/core/events/domain-event';
import { PlanCode } from '../src/modules/plans';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';

const CONNECTIONS = 10;
const SETTLE_MS = 1_000;
const CREATE = 'mutation { createTicket(input: { subject: "Bench ticket", priority: HIGH }) { id number } }';

interface Figures {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

const realRecordEvent = domainEvent.recordEvent;

/**
 * Bench-only toggle: with `false`, services' recordEvent calls (made through src/core/events) write nothing,
 * so the same app, process and database measure createTicket without its `ticket.created` row and NOTIFY.
 */
function recordEvents(on: boolean): void {
  (domainEvent as { recordEvent: typeof realRecordEvent }).recordEvent = on ? realRecordEvent : async () => undefined;
}

async function measure(context: BenchContext, baseUrl: string, headers: Record<string, string>): Promise<Figures> {
  const requests = [{ method: 'POST' as const, path: '/graphql', headers, body: JSON.stringify({ query: CREATE }) }];
  const fire = (seconds: number) =>
    autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, workers: 1, requests });
  await fire(context.options.warmupSeconds);
  const result = await fire(context.options.loadSeconds);
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

const averageOf = (runs: Figures[]): Figures => ({
  requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
  p50: runs.reduce((sum, r) => sum + r.p50, 0) / runs.length,
  p99: Math.max(...runs.map((r) => r.p99)),
  failures: runs.reduce((sum, r) => sum + r.failures, 0),
});

/**
 * Issue #12's write overhead: createTicket through the whole app (admin secret, one organization on an
 * unlimited plan) with its domain event recorded in the transaction vs not, runs ordered with-without-without-with
 * and averaged, so drift on a shared machine hits both alike. Also checks that the events were written.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource } = context;
  const tenant = await services.tenants.provision({ slug: 'events-bench', name: 'Events bench' });
  const period = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * 86_400_000) };
  await dataSource.transaction((em) => services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, period));
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  const runs: Record<'with' | 'without', Figures[]> = { with: [], without: [] };
  const written = { with: 0, without: 0 };
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const headers = {
      'content-type': 'application/json',
      'x-admin-secret': config.adminSecret!,
      'x-organization-id': tenant.slug,
    };
    for (const variant of ['with', 'without', 'without', 'with'] as const) {
      recordEvents(variant === 'with');
      context.print(`  createTicket ${variant} events: ${context.options.loadSeconds} s at ${CONNECTIONS} connections`);
      const before = await countEvents(context, tenant.id);
      runs[variant].push(await measure(context, baseUrl, headers));
      // autocannon stops with requests in flight: let them commit before counting, so none lands in the next run.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      written[variant] += (await countEvents(context, tenant.id)) - before;
    }
  } finally {
    recordEvents(true);
    await http.close();
  }
  const withEvents = averageOf(runs.with);
  const without = averageOf(runs.without);
  const ratio = withEvents.requestsPerSecond / without.requestsPerSecond;
  const rows = [
    ['a. createTicket, no event (baseline)', without],
    ['b. createTicket + ticket.created in its transaction', withEvents],
  ] as const;
  context.print(
    renderTable(
      ['variant', 'req/s', 'p50', 'p99', 'failed'],
      rows.map(([label, f]) => [
        label,
        formatCount(f.requestsPerSecond),
        formatMs(f.p50),
        formatMs(f.p99),
        formatCount(f.failures),
      ]),
    ),
  );
  const section = 'events';
  return {
    rows: rows.map(([measurement, f], i) => ({
      section,
      measurement,
      figure: `${formatCount(f.requestsPerSecond)} req/s, p50 ${formatMs(f.p50)}, p99 ${formatMs(f.p99)}`,
      comparison: i ? `${formatRatio(ratio)} baseline` : 'baseline',
    })),
    targets: [],
    notes: [
      `ticket.created events written: ${formatCount(written.with)} in the runs with events, ` +
        `${formatCount(written.without)} in the runs without`,
      ...(withEvents.failures + without.failures ? ['WARNING: some createTicket requests failed'] : []),
    ],
  };
}

async function countEvents(context: BenchContext, tenantId: string): Promise<number> {
  const [{ n }] = await context.dataSource.query(
    `SELECT count(*)::int AS n FROM public.domain_events WHERE tenant_id = $1 AND type = 'ticket.created'`,
    [tenantId],
  );
  return n;
}

/** Add to `sections` in bench/run.ts. */
export const eventsSection: BenchSection = {
  title: 'Events: createTicket with and without event recording',
  run,
};
