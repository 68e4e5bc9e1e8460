import type { DataSource } from 'typeorm';

export interface Footprint {
  databaseBytes: number;
  /** pg_catalog's tables with their indexes and TOAST. */
  catalogBytes: number;
  pgClassRows: number;
  /** Files in the database's directory (pg_ls_dir, superuser); else the relations that have storage. */
  files: number;
  filesCounted: 'directory' | 'relations with storage';
}

/** The database's size and catalog as the table shows them. */
export async function measureFootprint(dataSource: DataSource): Promise<Footprint> {
  const [row] = await dataSource.query(
    `SELECT pg_database_size(current_database())::bigint AS database_bytes,
            (SELECT count(*) FROM pg_class)::int AS pg_class_rows,
            (SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
               WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'r')::bigint AS catalog_bytes,
            (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'i', 't', 'S', 'm'))::int AS with_storage`,
  );
  let files: number | undefined;
  try {
    const [counted] = await dataSource.query(
      `SELECT count(*)::int AS files FROM pg_ls_dir('base/' || (SELECT oid FROM pg_database
         WHERE datname = current_database())) AS f`,
    );
    files = counted.files;
  } catch {
    // Not a superuser (a managed database): fall back to the relations that own a file.
  }
  return {
    databaseBytes: Number(row.database_bytes),
    catalogBytes: Number(row.catalog_bytes),
    pgClassRows: row.pg_class_rows,
    files: files ?? row.with_storage,
    filesCounted: files === undefined ? 'relations with storage' : 'directory',
  };
}

/** Locks one transaction holds to drop one tenant's schema (rolled back): what max_locks_per_transaction must cover. */
export async function locksToDropSchema(dataSource: DataSource, schema: string): Promise<number> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`DROP SCHEMA "${schema.replace(/"/g, '""')}" CASCADE`);
    const [{ locks }] = await runner.query('SELECT count(*)::int AS locks FROM pg_locks WHERE pid = pg_backend_pid()');
    return locks;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

/** Dead rows in the catalog tables tenant DDL churns (statistics lag by up to a second or so). */
export async function catalogDeadRows(dataSource: DataSource): Promise<{ dead: number; live: number }> {
  const [row] = await dataSource.query(
    `SELECT sum(n_dead_tup)::bigint AS dead, sum(n_live_tup)::bigint AS live FROM pg_stat_sys_tables
      WHERE schemaname = 'pg_catalog' AND relname IN ('pg_attribute', 'pg_class', 'pg_depend', 'pg_type', 'pg_index')`,
  );
  return { dead: Number(row.dead), live: Number(row.live) };
}

/**
 * A whole-database `pg_dump` locks every table in one transaction; the shared lock table holds
 * max_locks_per_transaction × (max_connections + max_prepared_transactions). Computed, not run: running it past
 * the capacity makes every other transaction that needs a lock fail ("out of shared memory") while it lasts.
 */
export async function wholeDumpLocks(dataSource: DataSource): Promise<{ tables: number; capacity: number }> {
  const [row] = await dataSource.query(
    `SELECT (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p')
               AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace))::int AS tables,
            current_setting('max_locks_per_transaction')::int * (current_setting('max_connections')::int
              + current_setting('max_prepared_transactions')::int) AS capacity`,
  );
  return row;
}
