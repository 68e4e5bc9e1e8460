import { CreateCustomerDocument, CustomersDocument } from '../generated/graphql';
import { mapWithConcurrency } from '../../src/core/concurrency';
import type { TestApp } from './test-app';

export interface IsolationReport {
  requests: number;
  failures: unknown[];
  /** Rows a tenant's read returned that belong to another tenant: must stay empty. */
  foreignRowsSeen: string[];
  /** Rows found in a tenant's schema that another tenant wrote: must stay empty. */
  foreignRowsStored: string[];
  /** Rows written, counted in the schemas themselves. */
  rowsStored: number;
}

/**
 * The tenant-isolation workload (tenant-isolation.spec.ts, and through PgBouncer in test/faults): interleaved
 * writes and reads (half by slug, half by id) for many tenants at once, then every schema
 * is read directly to see what reached it.
 */
export async function runIsolationWorkload(
  app: TestApp,
  tenants: { id: string; slug: string; schemaName: string }[],
  requests: number,
  concurrency: number,
): Promise<IsolationReport> {
  const report: IsolationReport = { requests, failures: [], foreignRowsSeen: [], foreignRowsStored: [], rowsStored: 0 };
  await mapWithConcurrency(Array.from({ length: requests }, (_, i) => i), concurrency, async (i) => {
    const tenant = tenants[(i * 7) % tenants.length];
    if (i % 2 === 0) {
      const res = await app.gql(CreateCustomerDocument, { input: { name: `${tenant.slug}/${i}` } }, { org: tenant.slug });
      if (res.errors) report.failures.push(res.errors);
    } else {
      const res = await app.gql(CustomersDocument, { first: 100 }, { org: i % 4 === 1 ? tenant.id : tenant.slug });
      if (res.errors) report.failures.push(res.errors);
      for (const { node } of res.data?.customers.edges ?? []) {
        if (!node.name.startsWith(`${tenant.slug}/`)) report.foreignRowsSeen.push(`${tenant.slug} saw ${node.name}`);
      }
    }
  });
  for (const tenant of tenants) {
    const rows: { name: string }[] = await app.dataSource.query(`SELECT name FROM "${tenant.schemaName}".customers`);
    report.foreignRowsStored.push(...rows.filter((r) => !r.name.startsWith(`${tenant.slug}/`)).map((r) => `${tenant.slug} holds ${r.name}`));
    report.rowsStored += rows.length;
  }
  return report;
}
