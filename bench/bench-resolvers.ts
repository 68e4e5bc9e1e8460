import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { Args, buildSchema, Ctx, Info, Query, Resolver } from 'type-graphql';
import { readKeysetPage, toConnection } from '../src/core/graphql/connection';
import { selectsField } from '../src/core/graphql/selection';
import type { RequestContext } from '../src/core/http/request-context';
import { assertTenantSchema } from '../src/core/tenancy/tenant-schema';
import { Customer } from '../src/modules/customers';
import { CUSTOMER_COLUMNS } from '../src/modules/customers/customer.service';
// The connection and args types are reused so the GraphQL work (validation, output shape) is identical.
import { CustomerConnection, CustomersArgs } from '../src/modules/customers/customer.inputs';
import { validateArgument } from '../src/core/validation/argument-validator';

/**
 * Baseline b: the same page as the app's `customers`, but no tenant switch: the table
 * is named schema-qualified and the query runs on the pool with no transaction.
 * Everything else matches CustomerService.list (the same keyset read, columns, ORDER BY,
 * LIMIT), so the ratio to the scoped path isolates the switch.
 */
@Resolver()
export class UnscopedCustomerResolver {
  /** Tenant slug → schema, filled once at setup: no lookup query per request. */
  constructor(private readonly schemaBySlug: ReadonlyMap<string, string>) {}

  @Query(() => CustomerConnection)
  async customers(
    @Ctx() context: RequestContext,
    @Args() args: CustomersArgs,
    @Info() info: GraphQLResolveInfo,
  ): Promise<CustomerConnection> {
    const schema = this.schemaBySlug.get(context.organizationRef ?? '');
    if (!schema) throw new Error(`Unknown bench tenant ${JSON.stringify(context.organizationRef)}`);
    const table = `"${assertTenantSchema(schema)}".customers`;
    const totalCount = selectsField(info, 'totalCount')
      ? Number((await context.dataSource.query(`SELECT count(*) AS n FROM ${table}`))[0].n)
      : 0;
    const rows = await readKeysetPage(context.dataSource.manager, Customer, table, CUSTOMER_COLUMNS, args);
    return { ...toConnection(rows, args.first), totalCount };
  }
}

/** Baseline c: the same query answered from memory; what Apollo + TypeGraphQL cost alone. */
@Resolver()
export class ConstantCustomerResolver {
  private readonly rows: Customer[];

  constructor(count: number) {
    const base = Date.UTC(2025, 0, 1);
    this.rows = Array.from({ length: count }, (_, i) =>
      Object.assign(new Customer(), {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        name: `Customer ${i + 1}`,
        email: `customer${i + 1}@example.com`,
        phone: null,
        createdAt: new Date(base + i * 1000),
        updatedAt: new Date(base + i * 1000),
      }),
    );
  }

  @Query(() => CustomerConnection)
  customers(@Args() args: CustomersArgs): CustomerConnection {
    return { ...toConnection(this.rows.slice(0, args.first + 1), args.first), totalCount: this.rows.length };
  }
}

/** A schema around one bench resolver instance, with the app schema's validation settings. */
export function buildBenchSchema(
  resolver: UnscopedCustomerResolver | ConstantCustomerResolver,
): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [resolver.constructor],
    container: { get: () => resolver },
    validateFn: validateArgument,
  });
}
