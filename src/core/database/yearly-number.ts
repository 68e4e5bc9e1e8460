import type { EntityManager } from 'typeorm';

/**
 * The next number of a per-tenant, per-year sequence, e.g. `C-2026-0001`. `counterTable`
 * (a constant, never user input) has columns (year smallint PRIMARY KEY, last_number integer);
 * its row stays locked until the transaction ends, so numbers are gap-free: a rolled-back
 * create gives its number back.
 */
export async function nextYearlyNumber(
  em: EntityManager,
  counterTable: string,
  prefix: string,
  year: number,
): Promise<string> {
  const [{ last_number: n }] = await em.query(
    `INSERT INTO ${counterTable} (year, last_number) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last_number = ${counterTable}.last_number + 1
     RETURNING last_number`,
    [year],
  );
  return `${prefix}-${year}-${String(n).padStart(4, '0')}`;
}
