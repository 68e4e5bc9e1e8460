import autocannon from 'autocannon';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import { runInSchema, type ScopedTenant } from '../src/core/tenancy/tenant-scope';
import type { AutomationRuleInput } from '../src/modules/automation/automation-rule.inputs';
import { PlanCode } from '../src/modules/plans';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, type SectionResult } from './report';

const CONNECTIONS = 10;
const SETTLE_MS = 1_000;
const CREATE = 'mutation { createTicket(input: { subject: "Bench ticket", priority: HIGH }) { id number } }';
const DAY_MS = 86_400_000;

interface Figures {
  requestsPerSecond: number;
  p99: number;
  failures: number;
}

/** 19 rules that look and do nothing (one condition each, not matching) and one that tags every ticket. */
function eventRule(i: number): AutomationRuleInput {
  const tags =
    i === 19 ? { conditions: [] } : { conditions: [{ field: 'SUBJECT', operator: 'CONTAINS', value: `x${i}` }] };
  return {
    name: `bench ${i}`,
    trigger: { type: i % 2 ? 'TICKET_UPDATED' : 'TICKET_CREATED' },
    match: 'ALL',
    ...tags,
    actions: [{ type: 'ADD_TAGS', tags: [`bench-${i}`] }],
    active: true,
  } as unknown as AutomationRuleInput;
}

/**
 * Issue #13: createTicket through the whole app with 0 vs 20 active automation rules (runs ordered 0-20-20-0 and
 * averaged, so drift hits both alike), then a TIME_ELAPSED sweep closing N tickets PENDING for 6 days (10,000; 1,000
 * with BENCH_QUICK) in batches of 500: its duration and the process's peak memory (RSS; heap above its start).
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource } = context;
  const row = await services.tenants.provision({ slug: 'automation-bench', name: 'Automation bench' });
  const tenant: ScopedTenant = { id: row.id, slug: row.slug, status: 'ACTIVE', schema: row.schemaName };
  const period = { periodStart: new Date(), periodEnd: new Date(Date.now() + 30 * DAY_MS) };
  await dataSource.transaction((em) => services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, period));
  const inTenant = <T>(work: Parameters<typeof runInSchema<T>>[2]) =>
    runInSchema(dataSource, tenant.schema, work, tenant);
  const rules: { id: string }[] = [];
  for (let i = 0; i < 20; i++)
    rules.push(await inTenant((em) => services.automationRules.create(em, tenant.id, eventRule(i))));
  const setRulesActive = (active: boolean) =>
    inTenant(async (em) => {
      for (const rule of rules) await services.automationRules.setActive(em, tenant.id, rule.id, active);
    });

  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
  });
  const runs: Record<'none' | 'twenty', Figures[]> = { none: [], twenty: [] };
  try {
    const baseUrl = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
    const headers = {
      'content-type': 'application/json',
      'x-admin-secret': config.adminSecret!,
      'x-organization-id': tenant.slug,
    };
    const requests = [{ method: 'POST' as const, path: '/graphql', headers, body: JSON.stringify({ query: CREATE }) }];
    const fire = (seconds: number) =>
      autocannon({ url: baseUrl, connections: CONNECTIONS, duration: seconds, workers: 1, requests });
    for (const variant of ['none', 'twenty', 'twenty', 'none'] as const) {
      await setRulesActive(variant === 'twenty');
      context.print(
        `  createTicket with ${variant === 'twenty' ? 20 : 0} active rules: ${context.options.loadSeconds} s`,
      );
      await fire(context.options.warmupSeconds);
      const result = await fire(context.options.loadSeconds);
      runs[variant].push({
        requestsPerSecond: result.requests.average,
        p99: result.latency.p99,
        failures: result.non2xx + result.errors + result.timeouts,
      });
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    }
  } finally {
    await http.close();
  }
  await setRulesActive(false);
  const average = (list: Figures[]): Figures => ({
    requestsPerSecond: list.reduce((sum, f) => sum + f.requestsPerSecond, 0) / list.length,
    p99: Math.max(...list.map((f) => f.p99)),
    failures: list.reduce((sum, f) => sum + f.failures, 0),
  });
  const none = average(runs.none);
  const twenty = average(runs.twenty);

  const pending = context.options.quick ? 1_000 : 10_000;
  const sweep = await measureSweep(context, tenant, pending, inTenant);
  const rows = [
    ['a. createTicket, 0 active rules (baseline)', none],
    ['b. createTicket, 20 active rules', twenty],
  ] as const;
  context.print(
    renderTable(
      ['variant', 'req/s', 'p99', 'failed'],
      rows.map(([label, f]) => [label, formatCount(f.requestsPerSecond), formatMs(f.p99), formatCount(f.failures)]),
    ),
  );
  const sweepFigure =
    `${formatCount(sweep.closed)} of ${formatCount(pending)} closed in ${formatMs(sweep.ms)} ` +
    `(${formatCount((sweep.closed / sweep.ms) * 1000)} tickets/s), peak RSS ${sweep.peakRssMb.toFixed(0)} MB, heap +${sweep.heapGrowthMb.toFixed(0)} MB`;
  context.print(`  sweep: ${sweepFigure}`);
  const section = 'automation';
  return {
    rows: [
      ...rows.map(([measurement, f], i) => ({
        section,
        measurement,
        figure: `${formatCount(f.requestsPerSecond)} req/s, p99 ${formatMs(f.p99)}`,
        comparison: i ? `${formatRatio(twenty.requestsPerSecond / none.requestsPerSecond)} baseline` : 'baseline',
      })),
      { section, measurement: `c. TIME_ELAPSED sweep, ${formatCount(pending)} PENDING tickets`, figure: sweepFigure },
    ],
    targets: [],
    notes: [...(none.failures + twenty.failures ? ['WARNING: some createTicket requests failed'] : [])],
  };
}

/** N tickets PENDING for 6 days (written in SQL), a "5 days PENDING → CLOSED" rule, one sweep of the tenant. */
async function measureSweep(
  context: BenchContext,
  tenant: ScopedTenant,
  count: number,
  inTenant: <T>(work: Parameters<typeof runInSchema<T>>[2]) => Promise<T>,
): Promise<{ ms: number; closed: number; peakRssMb: number; heapGrowthMb: number }> {
  await inTenant(async (em) => {
    await em.query(
      `WITH t AS (INSERT INTO tickets (subject, status, priority, channel, created_at, updated_at)
                  SELECT 'Waiting ' || i, 'PENDING', 'NORMAL', 'API', now() - interval '7 days', now() - interval '6 days'
                    FROM generate_series(1, $1) AS i RETURNING id)
       INSERT INTO ticket_status_changes (ticket_id, from_status, to_status, changed_at)
       SELECT id, 'OPEN', 'PENDING', now() - interval '6 days' FROM t`,
      [count],
    );
    await context.services.automationRules.create(em, tenant.id, {
      name: 'Close after 5 days pending',
      trigger: { type: 'TIME_ELAPSED', after: 5, unit: 'DAYS', since: 'STATUS', status: 'PENDING' },
      match: 'ALL',
      conditions: [],
      actions: [{ type: 'SET_STATUS', status: 'CLOSED' }],
      active: true,
    } as unknown as AutomationRuleInput);
  });
  global.gc?.();
  const startHeap = process.memoryUsage().heapUsed;
  let peakRss = process.memoryUsage().rss;
  let peakHeap = startHeap;
  const sampler = setInterval(() => {
    const { rss, heapUsed } = process.memoryUsage();
    peakRss = Math.max(peakRss, rss);
    peakHeap = Math.max(peakHeap, heapUsed);
  }, 50);
  const started = performance.now();
  try {
    await context.services.automationSweep.sweepTenant(tenant);
  } finally {
    clearInterval(sampler);
  }
  const ms = performance.now() - started;
  const [{ closed }] = await context.dataSource.query(
    `SELECT count(*)::int AS closed FROM "${tenant.schema}".tickets WHERE status = 'CLOSED'`,
  );
  const mb = (bytes: number) => bytes / 1024 / 1024;
  return { ms, closed, peakRssMb: mb(peakRss), heapGrowthMb: mb(peakHeap - startHeap) };
}

/** Add to `sections` in bench/run.ts. */
export const automationSection: BenchSection = {
  title: 'Automation: createTicket with 0 vs 20 rules, time-based sweep',
  run,
};
