import 'reflect-metadata';
import { execute, parse, type GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { allow, shield } from 'graphql-shield';
import { buildSchema, Query, Resolver } from 'type-graphql';
import { applyPermissions } from '../src/app/permissions';
import type { Principal } from '../src/core/http/request-context';
import { Customer } from '../src/modules/customers';
import { platformAdmin } from '../src/modules/memberships';
import type { BenchContext, BenchSection } from './bench-context';
import { formatMs, formatRatio, percentile, type SectionResult } from './report';

const ROWS = 1000;
const LIST = parse('{ customerList { id name email phone createdAt updatedAt } }');
/** The permission layer must not turn a large list into a slow one (shield on every field was 5–7×). */
const TARGET_RATIO = 1.2;

/** A 1,000-row list answered from memory: what is measured is GraphQL execution, not the database. */
@Resolver()
class CustomerListResolver {
  constructor(private readonly rows: Customer[]) {}

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

export interface ShieldMeasurement {
  rows: number;
  samples: number;
  /** Median execution time of the list, in ms. */
  withoutShieldMs: number;
  /** With the app's permission layer (shield on Query/Mutation fields only). */
  appPermissionsMs: number;
  /** With shield applied the usual way, which wraps every field of every type. */
  everyFieldShieldMs: number;
}

async function medianMs(schema: GraphQLSchema, samples: number): Promise<number> {
  const contextValue = () => ({ principal: { kind: 'platform-admin' } satisfies Principal });
  const once = async () => {
    const result = await execute({ schema, document: LIST, contextValue: contextValue() });
    if (result.errors || (result.data?.customerList as unknown[]).length !== ROWS) throw new Error(`unexpected result: ${JSON.stringify(result.errors)}`);
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

/** Executes a 1,000-row × 6-field list without shield, with the app's permission layer, and with shield on every field. */
export async function measureShieldOverhead(samples = 200): Promise<ShieldMeasurement> {
  const resolver = new CustomerListResolver(customers(ROWS));
  const plain = await buildSchema({ resolvers: [CustomerListResolver], container: { get: () => resolver } });
  const tree = { Query: { customerList: platformAdmin } };
  const appLayer = applyPermissions(plain, tree);
  const everyField = applyMiddleware(plain, shield(tree, { fallbackRule: allow, allowExternalErrors: true }));
  // Interleaved rounds, so drift (CPU frequency, GC) spreads over all three.
  const rounds = 4;
  const figures = { plain: [] as number[], app: [] as number[], every: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    figures.plain.push(await medianMs(plain, samples / rounds));
    figures.app.push(await medianMs(appLayer, samples / rounds));
    figures.every.push(await medianMs(everyField, samples / rounds));
  }
  return {
    rows: ROWS,
    samples,
    withoutShieldMs: percentile(figures.plain, 50),
    appPermissionsMs: percentile(figures.app, 50),
    everyFieldShieldMs: percentile(figures.every, 50),
  };
}

/** For bench/run.ts. */
export const shieldSection: BenchSection = {
  title: 'Permissions: graphql-shield on a 1,000-row list',
  async run(context: BenchContext): Promise<SectionResult> {
    const m = await measureShieldOverhead(context.options.quick ? 80 : 400);
    const ratio = m.appPermissionsMs / m.withoutShieldMs;
    const section = 'permissions';
    return {
      rows: [
        { section, measurement: `${m.rows}-row list, no shield (median)`, figure: formatMs(m.withoutShieldMs) },
        { section, measurement: `${m.rows}-row list, app permissions (root fields)`, figure: formatMs(m.appPermissionsMs), comparison: formatRatio(ratio) },
        { section, measurement: `${m.rows}-row list, shield on every field`, figure: formatMs(m.everyFieldShieldMs), comparison: formatRatio(m.everyFieldShieldMs / m.withoutShieldMs) },
      ],
      targets: [{ name: 'list with permissions vs without', figure: formatRatio(ratio), goal: `≤ ${formatRatio(TARGET_RATIO)}`, met: ratio <= TARGET_RATIO }],
      notes: [`${m.samples} executions per variant, interleaved; in-memory rows, so this is GraphQL execution time only`],
    };
  },
};

// `node -r ts-node/register/transpile-only bench/shield.ts`: this measurement alone.
if (require.main === module) {
  measureShieldOverhead().then((m) => {
    process.stdout.write(
      `${m.rows} rows × 6 fields, median of ${m.samples}: no shield ${formatMs(m.withoutShieldMs)}, ` +
        `app permissions ${formatMs(m.appPermissionsMs)} (${formatRatio(m.appPermissionsMs / m.withoutShieldMs)}), ` +
        `shield on every field ${formatMs(m.everyFieldShieldMs)} (${formatRatio(m.everyFieldShieldMs / m.withoutShieldMs)})\n`,
    );
  });
}
