import type { Queryable } from './public-migrator';

/** Where a tenant stands against the code's tenant migrations (`migrate:status`, doctor, /metrics). */
export type MigrationState = 'up_to_date' | 'behind' | 'ahead' | 'failed';
export const MIGRATION_STATES: MigrationState[] = ['up_to_date', 'behind', 'ahead', 'failed'];

/** `lock_timeout` of a tenant's migration transaction: waiting longer would queue live traffic behind it. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** Statuses whose schema exists and must follow the code's migrations. */
export const MIGRATABLE_STATUSES = ['ACTIVE', 'SUSPENDED', 'ARCHIVED'];

/**
 * What `tenants.schema_version` holds for a set of applied migrations: the newest one and
 * how many there are. The count makes a migration merged with an older timestamp than the
 * newest still change the version, so the tenants that lack it are found.
 */
export function versionOf(names: string[]): string | null {
  return names.length ? `${names[names.length - 1]}#${names.length}` : null;
}

/**
 * The state of tenant row `t`, in SQL, so every reader classifies alike. `$1` is the code's
 * migration names (text[]), `$2` its version. Ahead (the ledger names a migration this code does
 * not know: expected after a code-only rollback) wins; a stored error counts only while the tenant
 * is still not up to date, so a later success makes a stale error irrelevant. Behind looks at the
 * ledger as well as `schema_version`, so a ledger that lost rows is not taken for current.
 */
export const MIGRATION_STATE_SQL = `CASE
  WHEN EXISTS (SELECT 1 FROM public.tenant_migrations m
               WHERE m.tenant_id = t.id AND m.name <> ALL($1::text[])) THEN 'ahead'
  WHEN t.schema_version IS NOT DISTINCT FROM $2
   AND (SELECT count(*) FROM public.tenant_migrations m WHERE m.tenant_id = t.id) = cardinality($1::text[])
   THEN 'up_to_date'
  WHEN t.migration_error IS NOT NULL THEN 'failed'
  ELSE 'behind' END`;

/** Tenants per state in one GROUP BY (cheap enough for every scrape); every state present, at zero too. */
export async function countMigrationStates(db: Queryable, names: string[]): Promise<Record<MigrationState, number>> {
  const rows: { state: MigrationState; count: number }[] = await db.query(
    `SELECT ${MIGRATION_STATE_SQL} AS state, count(*)::int AS count
       FROM public.tenants t WHERE t.status = ANY($3) GROUP BY 1`,
    [names, versionOf(names), MIGRATABLE_STATUSES],
  );
  const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<MigrationState, number>;
  for (const { state, count } of rows) counts[state] = count;
  return counts;
}
