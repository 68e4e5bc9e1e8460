import {
  IsolationCreateCustomerDocument,
  IsolationCreateTicketDocument,
  IsolationCustomersReadDocument,
  IsolationTicketsReadDocument,
} from '../generated/graphql';
import { mapWithConcurrency } from '../../src/core/concurrency';
import type { TestApp } from './test-app';

export interface IsolationReport {
  requests: number;
  failures: unknown[];
  /** Rows a tenant's read returned, at any depth, that belong to another tenant: must stay empty. */
  foreignRowsSeen: string[];
  /** Rows found in a tenant's schema that another tenant wrote: must stay empty. */
  foreignRowsStored: string[];
  /** Rows written (customers and tickets), counted in the schemas themselves. */
  rowsStored: number;
}

/** Every `name` and `subject` in a response, however deep (nested relations included). */
function labelsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => labelsIn(item, found));
  else if (value && typeof value === 'object') {
    for (const [key, field] of Object.entries(value)) {
      if ((key === 'name' || key === 'subject') && typeof field === 'string') found.push(field);
      else labelsIn(field, found);
    }
  }
  return found;
}

/**
 * The tenant-isolation workload (tenant-isolation.spec.ts, and through PgBouncer in test/faults): interleaved
 * writes (customers, and tickets of those customers) and nested reads (customers → tickets → customer,
 * tickets → customer → tickets), half by slug, half by id, for many tenants at once; then every schema
 * is read directly to see what reached it.
 */
export async function runIsolationWorkload(
  app: TestApp,
  tenants: { id: string; slug: string; schemaName: string }[],
  requests: number,
  concurrency: number,
): Promise<IsolationReport> {
  const report: IsolationReport = { requests, failures: [], foreignRowsSeen: [], foreignRowsStored: [], rowsStored: 0 };
  const customersOf = new Map<string, string[]>();
  const check = (slug: string, res: { data?: unknown; errors?: unknown }) => {
    if (res.errors) report.failures.push(res.errors);
    for (const label of labelsIn(res.data))
      if (!label.startsWith(`${slug}/`)) report.foreignRowsSeen.push(`${slug} saw ${label}`);
  };
  await mapWithConcurrency(
    Array.from({ length: requests }, (_, i) => i),
    concurrency,
    async (i) => {
      const tenant = tenants[(i * 7) % tenants.length];
      const org = i % 4 === 1 ? tenant.id : tenant.slug;
      if (i % 4 === 0) {
        const res = await app.gql(IsolationCreateCustomerDocument, { input: { name: `${tenant.slug}/${i}` } }, { org });
        check(tenant.slug, res);
        if (res.data)
          customersOf.set(tenant.slug, [...(customersOf.get(tenant.slug) ?? []), res.data.createCustomer.id]);
      } else if (i % 4 === 2) {
        const customerId = customersOf.get(tenant.slug)?.at(-1);
        check(
          tenant.slug,
          await app.gql(
            IsolationCreateTicketDocument,
            { input: { subject: `${tenant.slug}/${i}`, customerId } },
            { org },
          ),
        );
      } else {
        const read =
          i % 4 === 1
            ? app.gql(IsolationCustomersReadDocument, {}, { org })
            : app.gql(IsolationTicketsReadDocument, {}, { org });
        check(tenant.slug, await read);
      }
    },
  );
  for (const tenant of tenants) {
    const rows: { label: string }[] = await app.dataSource.query(
      `SELECT name AS label FROM "${tenant.schemaName}".customers UNION ALL SELECT subject FROM "${tenant.schemaName}".tickets`,
    );
    report.foreignRowsStored.push(
      ...rows.filter((r) => !r.label.startsWith(`${tenant.slug}/`)).map((r) => `${tenant.slug} holds ${r.label}`),
    );
    report.rowsStored += rows.length;
  }
  return report;
}
