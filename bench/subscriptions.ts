import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createHttpApp } from '../src/app/http-app';
import { buildAppSchema } from '../src/app/schema';
import type { BenchContext, BenchSection } from './bench-context';
import { formatCount, formatMs, formatRatio, percentile, renderTable, type SectionResult } from './report';

const SUBSCRIBERS = 100;
/** Delivery to every subscriber must stay interactive: a target on the p99 at 100 subscribers. */
const P99_TARGET_MS = 100;
const CREATE_TICKET = 'mutation($subject: String!) { createTicket(input: { subject: $subject }) { id } }';
const TICKET_EVENTS = 'subscription { ticketEvents(filter: { types: [TICKET_CREATED] }) { ticketId } }';

interface Latencies {
  p50: number;
  p99: number;
  samples: number;
  lost: number;
}

/**
 * Issue #12's live events: createTicket over HTTP (its answer follows the commit) to each subscriber's
 * receipt over graphql-ws, with 1 subscriber (baseline) and with 100, all of one organization, on one
 * API instance: one notification, one row load, then the in-memory fan-out.
 */
async function run(context: BenchContext): Promise<SectionResult> {
  const { services, config, dataSource } = context;
  const tenant = await services.tenants.provision({ slug: 'subscriptions-bench', name: 'Subscriptions bench' });
  await services.eventFeed.start();
  const http = await createHttpApp({
    config,
    logger: context.logger,
    dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    credentials: services.credentials,
    eventSubscriptions: services.eventSubscriptions,
  });
  const headers = { 'x-admin-secret': config.adminSecret!, 'x-organization-id': tenant.slug };
  const events = context.options.quick ? 30 : 200;
  const clients: Client[] = [];
  try {
    const port = await http.listen(0, '127.0.0.1');
    const measure = async (subscribers: number): Promise<Latencies> => {
      /** When each ticket's creation was answered, and when each subscriber received it. */
      const answeredAt = new Map<string, number>();
      const received = new Map<string, number[]>();
      const disposers: (() => void)[] = [];
      for (let i = 0; i < subscribers; i++) {
        const client = createClient({
          url: `ws://127.0.0.1:${port}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: headers,
        });
        clients.push(client);
        disposers.push(
          client.subscribe<{ ticketEvents: { ticketId: string } }>(
            { query: TICKET_EVENTS },
            {
              next: ({ data }) => {
                const id = data!.ticketEvents.ticketId;
                const at = received.get(id) ?? [];
                at.push(performance.now());
                received.set(id, at);
              },
              error: (error) => context.print(`  subscriber error: ${JSON.stringify(error)}`),
              complete: () => undefined,
            },
          ),
        );
      }
      while (services.eventFeed.subscriberCount < subscribers) await new Promise((r) => setTimeout(r, 10));
      for (let n = 0; n < events; n++) {
        const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: CREATE_TICKET, variables: { subject: `Bench ${n}` } }),
        });
        const body = (await response.json()) as { data?: { createTicket: { id: string } }; errors?: unknown };
        if (!body.data) throw new Error(`createTicket failed: ${JSON.stringify(body.errors)}`);
        const id = body.data.createTicket.id;
        answeredAt.set(id, performance.now());
        const deadline = performance.now() + 2000;
        while ((received.get(id)?.length ?? 0) < subscribers && performance.now() < deadline) {
          await new Promise((r) => setImmediate(r));
        }
      }
      for (const dispose of disposers) dispose();
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
      const samples = [...answeredAt].flatMap(([id, at]) => (received.get(id) ?? []).map((t) => Math.max(0, t - at)));
      return {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        samples: samples.length,
        lost: events * subscribers - samples.length,
      };
    };
    context.print(`  ${events} tickets created one after the other, with 1 then ${SUBSCRIBERS} subscribers`);
    const baseline = await measure(1);
    const loaded = await measure(SUBSCRIBERS);
    const labels = ['a. 1 subscriber (baseline)', `b. ${SUBSCRIBERS} subscribers`];
    const figures = [baseline, loaded];
    context.print(
      renderTable(
        ['variant', 'p50', 'p99', 'deliveries', 'lost', 'vs baseline p50'],
        figures.map((f, i) => [
          labels[i],
          formatMs(f.p50),
          formatMs(f.p99),
          formatCount(f.samples),
          formatCount(f.lost),
          formatRatio(f.p50 / baseline.p50),
        ]),
      ),
    );
    const section = 'subscriptions';
    return {
      rows: figures.map((f, i) => ({
        section,
        measurement: `commit → receipt, ${labels[i]}`,
        figure: `p50 ${formatMs(f.p50)}, p99 ${formatMs(f.p99)}`,
        comparison: i ? `${formatRatio(f.p50 / baseline.p50)} baseline p50` : 'baseline',
      })),
      targets: [
        {
          name: `commit → receipt p99 at ${SUBSCRIBERS} subscribers`,
          figure: formatMs(loaded.p99),
          goal: `≤ ${P99_TARGET_MS} ms`,
          met: loaded.p99 <= P99_TARGET_MS && loaded.lost === 0,
        },
      ],
      notes: figures.flatMap((f, i) => (f.lost ? [`WARNING: ${labels[i]}: ${f.lost} deliveries missing`] : [])),
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await http.close();
    await services.eventFeed.close();
  }
}

export const subscriptionsSection: BenchSection = { title: 'GraphQL subscriptions: commit to receipt', run };
