import type { Queryable } from './public-migrator';

/**
 * Citus schema-based sharding (Citus 12+, docs/citus.md): every tenant schema distributed to a worker, `public` on
 * the coordinator. All Citus-specific SQL is here, behind `citusVersion`: on plain PostgreSQL none of it runs.
 * Only the detection is tested (Citus absent); the other statements follow the Citus 12 documentation, unrun here.
 */

/** The installed Citus extension's version, or null on plain PostgreSQL. */
export async function citusVersion(db: Queryable): Promise<string | null> {
  const rows: { version: string }[] = await db.query(
    `SELECT extversion AS version FROM pg_extension WHERE extname = 'citus'`,
  );
  return rows[0]?.version ?? null;
}

/**
 * Makes a schema whose tables exist a distributed schema (its tables become one colocated group without a shard key,
 * placed on a worker). Runs in the caller's transaction, after the tables are created.
 */
export async function distributeSchema(db: Queryable, schema: string): Promise<void> {
  await db.query('SELECT citus_schema_distribute($1::regnamespace)', [schema]);
}

/** Of the tenants with a schema (`statuses`), how many have it distributed (`citus_schemas`): one query. */
export async function distributedTenantSchemas(
  db: Queryable,
  statuses: string[],
): Promise<{ distributed: number; total: number }> {
  const [row]: { distributed: number; total: number }[] = await db.query(
    `SELECT count(c.schema_name)::int AS distributed, count(*)::int AS total
       FROM public.tenants t LEFT JOIN citus_schemas c ON c.schema_name::text = t.schema_name
      WHERE t.status = ANY($1)`,
    [statuses],
  );
  return row;
}
