import type { Queryable } from '../../core/database/public-migrator';
import { quoteIdentifier } from '../../core/tenancy/tenant-schema';

export interface ArchiveSequence {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** One column as a backup records it: name, type, NOT NULL, generated (never inserted). */
export type ColumnShape = [name: string, type: string, notNull: boolean, generated: boolean];

export interface TableShape {
  name: string;
  columns: ColumnShape[];
}

/** A shared table holding rows of one tenant: found from the catalog, so a new one is never forgotten. */
export interface PublicTenantTable {
  name: string;
  /** Columns referencing `public.tenants (id)`. */
  tenantColumns: string[];
  /** A unique key without the tenant (an API key's hash, a payment reference): such rows belong to one tenant only. */
  globallyUnique: boolean;
}

/** Tables, columns and types of a schema, ordered by name: equal shapes take the same rows. */
export async function schemaShape(db: Queryable, schema: string): Promise<TableShape[]> {
  const rows: { name: string; columns: ColumnShape[] }[] = await db.query(
    `SELECT c.relname AS name,
            json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                      a.attgenerated <> '') ORDER BY a.attname) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      GROUP BY c.relname ORDER BY c.relname`,
    [schema],
  );
  return rows;
}

/** What differs between two shapes, one line per table (empty when equal). */
export function shapeDifferences(expected: TableShape[], actual: TableShape[]): string[] {
  const key = (t: TableShape | undefined) => JSON.stringify(t?.columns ?? null);
  const names = [...new Set([...expected, ...actual].map((t) => t.name))].sort();
  return names.flatMap((name) => {
    const [want, got] = [expected.find((t) => t.name === name), actual.find((t) => t.name === name)];
    if (key(want) === key(got)) return [];
    if (!got) return [`${name}: missing`];
    if (!want) return [`${name}: unexpected`];
    const columns = (t: TableShape) => t.columns.map((c) => c.join(' '));
    const lacking = columns(want).filter((c) => !columns(got).includes(c));
    const extra = columns(got).filter((c) => !columns(want).includes(c));
    return [`${name}: lacks [${lacking.join(', ')}], has [${extra.join(', ')}]`];
  });
}

/** Sequences of a schema and where they stand (ticket numbers continue after a restore). */
export async function schemaSequences(db: Queryable, schema: string): Promise<ArchiveSequence[]> {
  const names: { name: string }[] = await db.query(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY 1`,
    [schema],
  );
  const out = [];
  for (const { name } of names) {
    const [row]: { lastValue: string; isCalled: boolean }[] = await db.query(
      `SELECT last_value::text AS "lastValue", is_called AS "isCalled"
         FROM ${quoteIdentifier(schema)}.${quoteIdentifier(name)}`,
    );
    out.push({ name, ...row });
  }
  return out;
}

export interface ForeignKey {
  table: string;
  name: string;
  definition: string;
}

/** Foreign keys inside a schema: dropped while rows load, then added back (so checked). */
export async function schemaForeignKeys(db: Queryable, schema: string): Promise<ForeignKey[]> {
  return db.query(
    `SELECT c.relname AS "table", k.conname AS name, pg_get_constraintdef(k.oid) AS definition
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND k.contype = 'f' ORDER BY 1, 2`,
    [schema],
  );
}

/**
 * Every `public` table with a foreign key to `public.tenants`, in an order where a table comes
 * after the ones it references (so rows insert without deferring constraints). Not the migration
 * ledger: a backup carries it in its header and a restore writes it from what the schema holds.
 */
export async function publicTenantTables(db: Queryable): Promise<PublicTenantTable[]> {
  const rows: (PublicTenantTable & { refs: string[] | null })[] = await db.query(
    `SELECT c.relname AS name,
            array_agg(DISTINCT a.attname::text) AS "tenantColumns",
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
                       AND NOT (min(k.conkey[1]) = ANY (i.indkey::int2[]))) AS "globallyUnique",
            (SELECT array_agg(DISTINCT r.confrelid::regclass::text) FROM pg_constraint r
              WHERE r.conrelid = c.oid AND r.contype = 'f' AND r.confrelid <> c.oid) AS refs
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'f' AND k.confrelid = 'public.tenants'::regclass AND c.relnamespace = 'public'::regnamespace
        AND c.relname <> 'tenant_migrations'
      GROUP BY c.oid, c.relname`,
  );
  const sorted: PublicTenantTable[] = [];
  const pending = [...rows];
  while (pending.length) {
    const names = new Set(pending.map((t) => t.name));
    const waitsFor = (t: (typeof rows)[number]) =>
      (t.refs ?? []).some((ref) => names.has(ref.replace(/^public\./, '')) && ref !== t.name);
    const ready = pending.filter((t) => !waitsFor(t));
    const next = ready.length ? ready : pending; // a cycle: keep the catalog's order
    for (const t of next) {
      sorted.push({ name: t.name, tenantColumns: t.tenantColumns, globallyUnique: t.globallyUnique });
      pending.splice(pending.indexOf(t), 1);
    }
  }
  return sorted;
}

/** Columns of `public.users` references in a table (who created, invited, is a member). */
export async function userColumns(db: Queryable, table: string): Promise<string[]> {
  const rows: { name: string }[] = await db.query(
    `SELECT a.attname::text AS name
       FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'f' AND k.conrelid = $1::regclass AND k.confrelid = 'public.users'::regclass ORDER BY 1`,
    [`public.${quoteIdentifier(table)}`],
  );
  return rows.map((r) => r.name);
}

/** Column names of a public table, or undefined when it does not exist. */
export async function tableColumns(db: Queryable, schema: string, table: string): Promise<string[] | undefined> {
  const rows: { name: string }[] = await db.query(
    `SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.length ? rows.map((r) => r.name) : undefined;
}
