import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordEvent } from '../src/core/events/domain-event';
import { runInTenantScope } from '../src/core/tenancy/tenant-scope';
import { PlanCode } from '../src/modules/plans';
import { createWebhookServices } from '../src/modules/webhooks';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, renderTable, timed, type SectionResult } from './report';

/** One worker, one endpoint: what a single delivering process sustains end to end. */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource, logger } = context;
  const events = context.options.quick ? 300 : 2000;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  // The receiver is local: this section's own wiring allows it (production refuses private targets).
  const webhooks = createWebhookServices({
    config: { ...config, webhooks: { ...config.webhooks, allowHttp: true, allowPrivate: true } },
    dataSource,
    listenUrl: config.database.url!,
    secrets: services.secrets,
    entitlements: services.entitlements,
    members: services.memberships,
    outbox: services.mailOutbox,
    logger,
  });
  try {
    const tenant = await services.tenants.provision({ slug: 'webhooks-bench', name: 'Webhooks bench' });
    await dataSource.transaction((em) =>
      services.plans.activatePlan(em, tenant.id, PlanCode.ENTERPRISE, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * 86_400_000),
      }),
    );
    await runInTenantScope(dataSource, { id: tenant.id }, (em) =>
      webhooks.endpoints.create(em, tenant.id, { url, events: ['*'], description: 'bench' }),
    );
    // Baseline: the same number of plain POSTs of a typical body over a keep-alive connection, nothing recorded.
    const agent = new http.Agent({ keepAlive: true });
    const body = JSON.stringify({ id: '1', type: 'ticket.created', data: { subject: 'x'.repeat(200) } });
    const baseline = await timed(async () => {
      for (let i = 0; i < events; i++)
        await new Promise<void>((resolve, reject) =>
          http
            .request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) =>
              res.resume().on('end', resolve),
            )
            .on('error', reject)
            .end(body),
        );
    });
    agent.destroy();

    for (let i = 0; i < events; i += 100)
      await runInTenantScope(dataSource, { id: tenant.id }, async (em) => {
        for (let j = i; j < Math.min(events, i + 100); j++)
          await recordEvent(em, { type: 'ticket.created', entityId: `t${j}`, payload: { subject: 'x'.repeat(200) } });
      });
    const dispatch = await timed(async () => {
      let created = 0;
      // The catch-up only passes events of finished transactions: wait for the cluster to move on if need be.
      for (let tries = 0; created < events && tries < 200; tries++) {
        created += await webhooks.dispatcher.catchUp();
        if (created < events) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (created < events) throw new Error(`only ${created} of ${events} events dispatched`);
    });
    const delivery = await timed(async () => {
      let sent = 0;
      while (sent < events) {
        const report = await webhooks.sender.deliverDue(100);
        if (!report.sent) throw new Error(`delivery stalled at ${sent} of ${events}: ${JSON.stringify(report)}`);
        sent += report.sent;
      }
    });
    const perSecond = (ms: number) => (events * 1000) / ms;
    const rows = [
      ['a. plain keep-alive POSTs (baseline)', perSecond(baseline.ms)],
      ['b. dispatch: events → deliveries (catch-up)', perSecond(dispatch.ms)],
      ['c. deliveries: claim, sign, POST, settle (one worker)', perSecond(delivery.ms)],
    ] as const;
    context.print(
      renderTable(
        ['variant', 'per second', 'vs baseline'],
        rows.map(([label, rate]) => [label, formatCount(rate), formatRatio(rate / rows[0][1])]),
      ),
    );
    const section = 'webhooks';
    return {
      rows: rows.map(([label, rate], i) => ({
        section,
        measurement: label,
        figure: `${formatCount(rate)}/s (${formatCount(events)} in ${formatMs(i === 0 ? baseline.ms : i === 1 ? dispatch.ms : delivery.ms)})`,
        comparison: i ? `${formatRatio(rate / rows[0][1])} baseline` : 'baseline',
      })),
      targets: [],
    };
  } finally {
    webhooks.http.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

export const webhooksSection: BenchSection = { title: 'webhooks: deliveries per second per worker', run };
