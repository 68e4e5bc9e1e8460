/** What `npm run bench:scale` measures at, read from the environment. */
export interface ScaleOptions {
  /** SCALE_TENANTS: the last step (default 10,000). */
  tenants: number;
  /** The tenant counts the table is printed at: 20, 1,000 and `tenants` (those not above it). */
  steps: number[];
  /** createTenant calls timed through the API at each step (the last ones provisioned before it is measured). */
  createSamples: number;
  /** Provisions at once while filling up to the next step through TenantService (preparation, not timed). */
  fillConcurrency: number;
}

const BASELINE = 20;
const MIDDLE = 1000;

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(value) || value < BASELINE) {
    throw new Error(`${name} must be a whole number ≥ ${BASELINE}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function readScaleOptions(env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const tenants = positiveInteger(env, 'SCALE_TENANTS', 10_000);
  const steps = [...new Set([BASELINE, MIDDLE, tenants])].filter((n) => n <= tenants).sort((a, b) => a - b);
  return {
    tenants,
    steps,
    createSamples: positiveInteger(env, 'SCALE_CREATE_SAMPLES', 60),
    fillConcurrency: 6,
  };
}
