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

/**
 * Brings the tenant count to `target`: fills quickly through TenantService (several at once, not timed), then
 * provisions the last `samples` through the API, timed, so createTenant is measured with the count at the step.
 */
export async function growTo(
  context: BenchContext,
  server: ScaleServer,
  target: number,
  samples: number,
  fillConcurrency: number,
): Promise<CreateFigures> {
  const present = await countTenants(context);
  const timedCount = Math.min(samples, target - present);
  const fill = target - present - timedCount;
  if (fill > 0) {
    context.print(`  filling ${formatCount(fill)} tenants through TenantService.provision, ${fillConcurrency} at once`);
    const { ms } = await timed(() => provisionTenants(context, `fill-${target}`, fill, fillConcurrency));
    context.print(`  filled in ${formatMs(ms)} (${((fill / ms) * 1000).toFixed(1)}/s)`);
  }
  context.print(`  createTenant through the API: ${timedCount} calls, concurrency ${API_CONCURRENCY}`);
  return createThroughApi(server, context, `api-${target}`, timedCount);
}
