import { mapWithConcurrency } from '../src/core/concurrency';
import type { Tenant } from '../src/modules/tenants';
import type { BenchContext } from './bench-context';
import { progressPrinter } from './report';

export const benchSlug = (prefix: string, index: number) => `${prefix}-${String(index + 1).padStart(4, '0')}`;

/**
 * Provisions `count` tenants through the real TenantService as preparation (not timed).
 * A few in parallel: the run waits less, and each provision is its own transaction anyway.
 */
export async function provisionTenants(
  context: BenchContext,
  prefix: string,
  count: number,
  concurrency = 4,
): Promise<Tenant[]> {
  const progress = progressPrinter(`provisioned (${prefix})`, count, context.print);
  let done = 0;
  return mapWithConcurrency(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const tenant = await context.services.tenants.provision({
        slug: benchSlug(prefix, i),
        name: `Bench ${prefix} ${i + 1}`,
      });
      progress(++done);
      return tenant;
    },
  );
}

export async function countTenants(context: BenchContext): Promise<number> {
  const [{ count }] = await context.dataSource.query('SELECT count(*)::int AS count FROM public.tenants');
  return count;
}
