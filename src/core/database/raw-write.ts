import type { EntityManager } from 'typeorm';

export interface WriteResult<T> {
  /** The RETURNING rows (none without RETURNING). */
  rows: T[];
  /** How many rows the statement changed. */
  affected: number;
}

/**
 * Runs a bare UPDATE or DELETE (with or without RETURNING). TypeORM answers those with `[rows, count]`
 * rather than the rows, so a raw result's length is always 2: read what was written here, never from
 * `query` directly. Any other statement answers plain rows and is refused, a mistake tests catch.
 */
export async function rawWrite<T = Record<string, unknown>>(
  db: Pick<EntityManager, 'query'>,
  sql: string,
  parameters: unknown[] = [],
): Promise<WriteResult<T>> {
  const result: unknown = await db.query(sql, parameters);
  if (!Array.isArray(result) || result.length !== 2 || !Array.isArray(result[0]) || typeof result[1] !== 'number') {
    throw new Error('rawWrite runs a bare UPDATE or DELETE statement only');
  }
  return { rows: result[0] as T[], affected: result[1] };
}
