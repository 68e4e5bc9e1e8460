import 'reflect-metadata';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { buildSchema, Query, Resolver } from 'type-graphql';
import { applyPolicies, platformAdmin, Policy } from '../src/core/authorization';
import type { Principal } from '../src/core/http/request-context';
import { Customer } from '../src/modules/customers';
import type { BenchContext, BenchSection } from './bench-context';
import { formatMs, formatRatio, percentile, type SectionResult } from './report';

const ROWS = 1000;
const LIST = parse('{ customerList { id name email phone createdAt updatedAt } }');
/** The permission layer must not turn a large list into a slow one (graphql-shield on every field was 5–7×). */
const TARGET_RATIO = 1.2;

/** A 1,000-row list answered from memory: what is measured is GraphQL execution, not the database. */
@Resolver()
class CustomerListResolver {
  constructor(private readonly rows: Customer[]) {}

  @Policy(platformAdmin)
  @Query(() => [Customer])
  customerList(): Customer[] {
    return this.rows;
  }
}

function customers(count: number): Customer[] {
  const base = Date.UTC(2025, 0, 1);
  return Array.from({ length: count }, (_, i) =>
    Object.assign(new Customer(), {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      name: `Customer ${i + 1}`,
      email: `customer${i + 1}@example.com`,
      phone: i % 2 ? '+977 1 4412345' : null,
      createdAt: new Date(base + i * 1000),
      updatedAt: new Date(base + i * 1000),
    }),
  );
}

export interface PolicyMeasurement {
  rows: number;
  samples: number;
  /** Median execution time of the list, in ms, without any policy applied. */
  withoutPoliciesMs: number;
  /** With the app's policies (applyPolicies: only fields that declare one are wrapped). */
  appPoliciesMs: number;
}

async function medianMs(schema: GraphQLSchema, samples: number): Promise<number> {
  const contextValue = () => ({ principal: { kind: 'platform-admin' } satisfies Principal });
  const once = async () => {
    const result = await execute({ schema, document: LIST, contextValue: contextValue() });
    if (result.errors || (result.data?.customerList as unknown[]).length !== ROWS)
      throw new Error(`unexpected result: ${JSON.stringify(result.errors)}`);
  };
  for (let i = 0; i < Math.max(10, samples / 5); i++) await once(); // JIT warm-up
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return percentile(times, 50);
}

/** Executes a 1,000-row × 6-field list without policies and with the app's policy layer. */
export async function measurePolicyOverhead(samples = 200): Promise<PolicyMeasurement> {
  const resolver = new CustomerListResolver(customers(ROWS));
  const build = () => buildSchema({ resolvers: [CustomerListResolver], container: { get: () => resolver } });
  const plain = await build();
  const appLayer = applyPolicies(await build());
  // Interleaved rounds, so drift (CPU frequency, GC) spreads over both.
  const rounds = 4;
  const figures = { plain: [] as number[], app: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    figures.plain.push(await medianMs(plain, samples / rounds));
    figures.app.push(await medianMs(appLayer, samples / rounds));
  }
  return {
    rows: ROWS,
    samples,
    withoutPoliciesMs: percentile(figures.plain, 50),
    appPoliciesMs: percentile(figures.app, 50),
  };
}

/** For bench/run.ts. */
export const policiesSection: BenchSection = {
  title: 'Permissions: field policies on a 1,000-row list',
  async run(context: BenchContext): Promise<SectionResult> {
    const m = await measurePolicyOverhead(context.options.quick ? 80 : 400);
    const ratio = m.appPoliciesMs / m.withoutPoliciesMs;
    const section = 'permissions';
    return {
      rows: [
        { section, measurement: `${m.rows}-row list, no policies (median)`, figure: formatMs(m.withoutPoliciesMs) },
        {
          section,
          measurement: `${m.rows}-row list, app policies`,
          figure: formatMs(m.appPoliciesMs),
          comparison: formatRatio(ratio),
        },
      ],
      targets: [
        {
          name: 'list with permissions vs without',
          figure: formatRatio(ratio),
          goal: `≤ ${formatRatio(TARGET_RATIO)}`,
          met: ratio <= TARGET_RATIO,
        },
      ],
      notes: [
        `${m.samples} executions per variant, interleaved; in-memory rows, so this is GraphQL execution time only`,
      ],
    };
  },
};

// `node -r ts-node/register/transpile-only bench/policies.ts`: this measurement alone.
if (require.main === module) {
  measurePolicyOverhead().then((m) => {
    process.stdout.write(
      `${m.rows} rows × 6 fields, median of ${m.samples}: no policies ${formatMs(m.withoutPoliciesMs)}, ` +
        `app policies ${formatMs(m.appPoliciesMs)} (${formatRatio(m.appPoliciesMs / m.withoutPoliciesMs)})\n`,
    );
  });
}
