import type { Queryable } from '../../src/core/database/public-migrator';

/**
 * Tables, columns, defaults, constraints, indexes and triggers of a schema, one line each, its own name written as
 * `S`: two schemas made alike give equal lists.
 */
export async function schemaCatalog(db: Queryable, schema: string): Promise<string[]> {
  const rows: { line: string }[] = await db.query(
    `SELECT replace(line, $1::text || '.', 'S.') AS line FROM (
       SELECT c.relname || ' ' || c.relkind::text AS line FROM pg_class c WHERE c.relnamespace = $1::regnamespace
       UNION ALL
       SELECT c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull
              || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
         FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relnamespace = $1::regnamespace
       UNION ALL
       SELECT c.relname || ' ' || o.conname || ' ' || pg_get_constraintdef(o.oid)
         FROM pg_constraint o JOIN pg_class c ON c.oid = o.conrelid WHERE c.relnamespace = $1::regnamespace
       UNION ALL
       SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relnamespace = $1::regnamespace
       UNION ALL
       SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = $1::regnamespace AND NOT t.tgisinternal) lines
      ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.line);
}
