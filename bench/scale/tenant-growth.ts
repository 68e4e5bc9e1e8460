import { mapWithConcurrency } from '../../src/core/concurrency';
import type { BenchContext } from '../bench-context';
import { benchSlug, countTenants, provisionTenants } from '../bench-tenants';
import { formatCount, formatMs, percentile, timed } from '../report';
import { adminRequest, sendGraphql, type ScaleServer } from './scale-server';

/** As in the measurement: four sign-ups at a time. */
const API_CONCURRENCY = 4;

export interface CreateFigures {
  samples: number;
  perSecond: number;
  p50: number;
  p95: number;
}

/** `createTenant` through the API as the platform admin, `count` of them, four at a time: each call timed. */
async function createThroughApi(server: ScaleServer, context: BenchContext, prefix: string, count: number) {
  const samples: number[] = [];
  const { ms } = await timed(() =>
    mapWithConcurrency(
      Array.from({ length: count }, (_, i) => i),
      API_CONCURRENCY,
      async (i) => {
        const slug = benchSlug(prefix, i);
        const mutation = `mutation { createTenant(input: { name: "Scale ${slug}", slug: "${slug}" }) { id } }`;
        const { ms: one } = await timed(() => sendGraphql(server, adminRequest(context, mutation)));
        samples.push(one);
      },
    ),
  );
  return { samples: count, perSecond: (count / ms) * 1000, p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

export interface GrowthFigures {
  /** Each call renames a spare schema made ahead (TENANT_SPARE_SCHEMAS at least the burst). */
  fromSpares: CreateFigures;
  /** No spare ready: each call creates its tables. */
  withoutSpares: CreateFigures;
}

/**
 * Brings the tenant count to `target`: fills quickly through TenantService (several at once, not timed), then
 * provisions the last `2 × samples` through the API, timed, so createTenant is measured with the count at the
 * step: first with as many spare schemas ready as calls (made untimed before), then with none.
 */
export async function growTo(
  context: BenchContext,
  server: ScaleServer,
  target: number,
  samples: number,
  fillConcurrency: number,
): Promise<GrowthFigures> {
  const present = await countTenants(context);
  const timedCount = Math.min(samples, Math.floor((target - present) / 2));
  const fill = target - present - 2 * timedCount;
  if (fill > 0) {
    context.print(`  filling ${formatCount(fill)} tenants through TenantService.provision, ${fillConcurrency} at once`);
    const { ms } = await timed(() => provisionTenants(context, `fill-${target}`, fill, fillConcurrency));
    context.print(`  filled in ${formatMs(ms)} (${((fill / ms) * 1000).toFixed(1)}/s)`);
  }
  const { ms: spareMs } = await timed(() => context.services.tenantSpares.refill(timedCount));
  context.print(`  ${timedCount} spare schemas made ahead in ${formatMs(spareMs)}`);
  context.print(`  createTenant through the API: ${timedCount} calls from spares, concurrency ${API_CONCURRENCY}`);
  const fromSpares = await createThroughApi(server, context, `api-${target}`, timedCount);
  context.print(`  createTenant through the API: ${timedCount} calls without spares, concurrency ${API_CONCURRENCY}`);
  const withoutSpares = await createThroughApi(server, context, `api-bare-${target}`, timedCount);
  return { fromSpares, withoutSpares };
}
