import type { BenchContext, BenchSection } from './bench-context';
import { benchSlug } from './bench-tenants';
import { formatMs, percentile, timed, type SectionResult } from './report';

const P95_TARGET_MS = 150;

/** Times TenantService.provision() one call after another, as a sign-up would run it. */
async function run(context: BenchContext): Promise<SectionResult> {
  const count = context.options.provisionSamples;
  context.print(`  timing ${count} sequential TenantService.provision() calls`);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const { ms } = await timed(() =>
      context.services.tenants.provision({ slug: benchSlug('prov', i), name: `Provisioning ${i + 1}` }),
    );
    samples.push(ms);
  }
  const p50 = percentile(samples, 50);
  const p95 = percentile(samples, 95);
  const section = `provisioning (${count} tenants)`;
  return {
    rows: [
      { section, measurement: 'TenantService.provision() p50', figure: formatMs(p50) },
      {
        section,
        measurement: 'TenantService.provision() p95',
        figure: formatMs(p95),
        comparison: `target < ${P95_TARGET_MS} ms`,
      },
      {
        section,
        measurement: 'min / max',
        figure: `${formatMs(Math.min(...samples))} / ${formatMs(Math.max(...samples))}`,
      },
    ],
    targets: [
      { name: 'provision() p95', figure: formatMs(p95), goal: `< ${P95_TARGET_MS} ms`, met: p95 < P95_TARGET_MS },
    ],
  };
}

export const provisioningSection: BenchSection = { title: '2. Tenant provisioning', run };
