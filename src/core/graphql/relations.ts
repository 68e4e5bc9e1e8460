import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { defineBatchLoad, type BatchLoad } from '../tenancy/operation-scope';
import { decodeCursor, toConnection, type KeysetCursor } from './connection';

/** For a batched load: the row of each key (null when missing), in the keys' order. */
export function oneEach<K, V>(keys: readonly K[], rows: readonly V[], keyOf: (row: V) => K): (V | null)[] {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

/** For a batched load: the rows of each key (in the rows' order), in the keys' order. */
export function allEach<K, V>(keys: readonly K[], rows: readonly V[], keyOf: (row: V) => K): V[][] {
  const byKey = new Map<K, V[]>(keys.map((key) => [key, []]));
  for (const row of rows) byKey.get(keyOf(row))?.push(row);
  return keys.map((key) => byKey.get(key)!);
}

/** A nested connection's key: the parent and the field's arguments (pages with the same arguments batch together). */
export interface PageKey<A> {
  parentId: string;
  args: A;
}

export const pageCacheKey = <A>(key: PageKey<A>) => `${key.parentId}:${JSON.stringify(key.args)}`;

/** Page keys grouped by their arguments, so each group is one query. */
export function byArguments<A>(keys: readonly PageKey<A>[]): { args: A; parentIds: string[] }[] {
  const groups = new Map<string, { args: A; parentIds: string[] }>();
  for (const key of keys) {
    const id = JSON.stringify(key.args);
    if (!groups.has(id)) groups.set(id, { args: key.args, parentIds: [] });
    groups.get(id)!.parentIds.push(key.parentId);
  }
  return [...groups.values()];
}

/**
 * Keyset pages of many parents in ONE query: `query` (already filtered, alias `alias`) ranked per
 * `parentProperty` by (createdAt, id) after the cursor, at most `first + 1` rows each (whether there
 * is a next page); with `withTotalCount`, one more query counts each parent's matches. Answers each
 * parent's connection, in the parents' order.
 */
export async function pagesPerParent<T extends ObjectLiteral & KeysetCursor>(
  query: SelectQueryBuilder<T>,
  alias: string,
  parentProperty: keyof T & string,
  parentIds: readonly string[],
  page: { first: number; after?: string; withTotalCount?: boolean },
): Promise<(ReturnType<typeof toConnection<T>> & { totalCount: number })[]> {
  const parent = `${alias}.${parentProperty}`;
  query.andWhere(`${parent} IN (:...pageParentIds)`, { pageParentIds: parentIds });
  const counts = new Map<string, number>();
  if (page.withTotalCount) {
    const grouped: { parent: string; count: number }[] = await query
      .clone()
      .select(parent, 'parent')
      .addSelect('count(*)::int', 'count')
      .groupBy(parent)
      .getRawMany();
    for (const row of grouped) counts.set(row.parent, row.count);
  }
  if (page.after) query.andWhere(`(${alias}.createdAt, ${alias}.id) > (:createdAt, :id)`, decodeCursor(page.after));
  const ranked = query
    .clone()
    .select(`${alias}.id`, 'id')
    .addSelect(`ROW_NUMBER() OVER (PARTITION BY ${parent} ORDER BY ${alias}.createdAt, ${alias}.id)`, 'page_rank');
  const rows = await query
    .andWhere(
      `${alias}.id IN (SELECT ranked.id FROM (${ranked.getQuery()}) ranked WHERE ranked.page_rank <= :pageRows)`,
      { pageRows: page.first + 1 },
    )
    .orderBy(`${alias}.createdAt`, 'ASC')
    .addOrderBy(`${alias}.id`, 'ASC')
    .getMany();
  return allEach(parentIds, rows, (row) => row[parentProperty] as string).map((own, i) => ({
    ...toConnection(own, page.first),
    totalCount: counts.get(parentIds[i]) ?? 0,
  }));
}

/** The nodes of many connections, for loading what they need in one query. */
export const nodesOf = <T>(pages: { edges: { node: T }[] }[]): T[] =>
  pages.flatMap((page) => page.edges.map((edge) => edge.node));

/**
 * The DataLoader of a nested connection (Customer.tickets, …): keys with the same arguments are one
 * call of `pagesFor` (one query for all their parents), answers in the keys' order.
 */
export function pagedRelation<A, C>(
  pagesFor: (manager: EntityManager, parentIds: string[], args: A) => Promise<C[]>,
): BatchLoad<PageKey<A>, C> {
  return defineBatchLoad(async ({ manager }, keys) => {
    const answers = new Map<string, C>();
    for (const { args, parentIds } of byArguments(keys)) {
      const pages = await pagesFor(manager, parentIds, args);
      parentIds.forEach((parentId, i) => answers.set(pageCacheKey({ parentId, args }), pages[i]));
    }
    return keys.map((key) => answers.get(pageCacheKey(key))!);
  }, pageCacheKey);
}

/** The DataLoader of a to-one relation: rows by id from `fetch` (one query per batch), null for a missing id. */
export function byIdRelation<T extends { id: string }>(
  fetch: (manager: EntityManager, ids: readonly string[]) => Promise<T[]>,
): BatchLoad<string, T | null> {
  return defineBatchLoad(async ({ manager }, ids) => oneEach(ids, await fetch(manager, ids), (row) => row.id));
}
