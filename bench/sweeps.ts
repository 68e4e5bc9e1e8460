import pino from 'pino';
import { markTenantDue } from '../src/core/jobs/tenant-due-work';
import { runInSchema, type ScopedTenant } from '../src/core/tenancy/tenant-scope';
import { forEachActiveTenant } from '../src/jobs/tenant-fan-out';
import { slaCheckJob, SLA_CHECK_JOB } from '../src/jobs/sla-check.job';
import { TicketPriority } from '../src/modules/tickets/ticket-enums';
import type { BenchContext, BenchSection } from './bench-context';
import { countTenants, provisionTenants } from './bench-tenants';
import { formatCount, formatMs, formatRatio, renderTable, timed, type SectionResult } from './report';

const WITH_WORK = 10;
const ROUNDS = 3;
const silent = (context: BenchContext) => ({ logger: context.logger, touch: async () => undefined });

/**
 * Issue #19: the per-minute SLA sweep with 1,000 tenants (100 with BENCH_QUICK) of which 10 have due work (an
 * URGENT ticket each, marked due before every run). Before: the old fan-out, every ACTIVE schema visited and checked;
 * after: the `tickets.sla.check` job, which visits the tenants public.tenant_due_work says are due. Rounds alternate
 * (before, after, after, before, …) so drift hits both alike; medians are compared.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, dataSource } = context;
  const total = context.options.quick ? 100 : 1_000;
  const present = await countTenants(context);
  if (present < total) await provisionTenants(context, 'sweeps', total - present);
  const active = (await services.tenants.list('ACTIVE')).slice(0, total);
  const busy: ScopedTenant[] = active
    .slice(0, WITH_WORK)
    .map((t) => ({ id: t.id, slug: t.slug, status: 'ACTIVE', schema: t.schemaName }));
  for (const tenant of busy) {
    await runInSchema(
      dataSource,
      tenant.schema,
      async (em) => {
        await em.query(
          `INSERT INTO sla_policies (name, priority, first_response_minutes, resolution_minutes)
           VALUES ('Urgent', 'URGENT', 15, 240) ON CONFLICT DO NOTHING`,
        );
        await services.tickets.create(
          em,
          { tenantId: tenant.id, userId: null },
          { subject: 'Bench SLA ticket', description: '', tags: [], priority: TicketPriority.URGENT },
        );
      },
      tenant,
    );
  }
  const sweepJob = slaCheckJob(services);
  // Settle the index: every tenant visited once, so only the marked ones are due below.
  await sweepJob.run({}, silent(context));
  const markBusyDue = async () => {
    for (const tenant of busy)
      await runInSchema(dataSource, tenant.schema, (em) => markTenantDue(em, SLA_CHECK_JOB, new Date()), tenant);
  };
  const before = async () =>
    (
      await forEachActiveTenant(
        services,
        silent(context),
        async (em, tenant) => void (await services.slaMonitor.check(em, tenant)),
        { job: 'bench.sla.all' },
      )
    ).tenants;
  // The job itself; how many schemas it visited is in its debug summary line.
  const lines: { msg?: string; tenants?: number }[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const after = async () => {
    await sweepJob.run({}, { logger, touch: async () => undefined });
    return lines.findLast((line) => line.msg === 'tenant fan-out finished')?.tenants ?? -1;
  };
  const samples = { before: [] as number[], after: [] as number[] };
  const visited = { before: 0, after: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of round % 2 ? (['after', 'before'] as const) : (['before', 'after'] as const)) {
      await markBusyDue();
      const { result, ms } = await timed(variant === 'before' ? before : after);
      samples[variant].push(ms);
      visited[variant] = result;
    }
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const beforeMs = median(samples.before);
  const afterMs = median(samples.after);
  const ratio = beforeMs / afterMs;
  context.print(
    renderTable(
      ['variant', 'schemas visited', 'median sweep'],
      [
        ['a. visit every tenant (before, baseline)', formatCount(visited.before), formatMs(beforeMs)],
        ['b. visit due tenants (tenant_due_work)', formatCount(visited.after), formatMs(afterMs)],
      ],
    ),
  );
  const section = 'sweeps';
  const setting = `${formatCount(active.length)} tenants, ${WITH_WORK} with due work`;
  return {
    rows: [
      { section, measurement: `SLA sweep, every tenant (${setting})`, figure: formatMs(beforeMs) },
      {
        section,
        measurement: `SLA sweep, due tenants only (${setting})`,
        figure: `${formatMs(afterMs)}, ${formatCount(visited.after)} schemas`,
        comparison: `${formatRatio(ratio)} faster`,
      },
    ],
    targets: [
      {
        name: 'SLA sweep visits only the tenants with due work',
        figure: `${formatCount(visited.after)} of ${formatCount(active.length)} schemas`,
        goal: `${WITH_WORK}`,
        met: visited.after === WITH_WORK,
      },
    ],
  };
}

export const sweepsSection: BenchSection = { title: 'Sweeps at scale (SLA check: due tenants vs all)', run };
