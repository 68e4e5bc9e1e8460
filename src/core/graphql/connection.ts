import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { Max, Min } from 'class-validator';
import { BadUserInputError } from '../errors/app-error';
import { isUuid } from '../tenancy/tenant-schema';
import { isDateInRange } from '../validation/date-range';

/** Relay-style pagination shared by every list. Cursors are opaque to clients. */
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ArgsType()
export class PaginationArgs {
  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1 to 100' })
  @Min(1)
  @Max(100)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page' })
  after?: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export function ConnectionType<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  /** Extend it with `@ObjectType()` on a class named `<Node>Connection`; add `totalCount` where it is offered. */
  @ObjectType(`${name}ConnectionBase`)
  abstract class ConnectionClass {
    @Field(() => [EdgeType])
    edges: EdgeType[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;
  }
  return ConnectionClass;
}

/** Keyset cursor over (createdAt, id): stable under inserts, cheap with an index. */
export interface KeysetCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: KeysetCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString('base64url');
}

/** Only what `encodeCursor` can have written passes: anything else would fail in SQL (22008, 22P02) instead. */
export function decodeCursor(raw: string): KeysetCursor {
  const invalid = () => new BadUserInputError('Invalid pagination cursor', { reason: 'INVALID_CURSOR' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const [createdAt, id] = Array.isArray(parsed) && parsed.length === 2 ? parsed : [];
  const date = typeof createdAt === 'string' ? new Date(createdAt) : null;
  const dateValid = !!date && !Number.isNaN(date.getTime()) && isDateInRange(date);
  if (!dateValid || typeof id !== 'string' || !isUuid(id)) throw invalid();
  return { createdAt: date!, id };
}

/** An edge whose cursor is encoded only if the client selected it (most ask for `pageInfo.endCursor` alone). */
const lazyEdge = <T extends KeysetCursor>(node: T): Edge<T> => ({
  node,
  get cursor() {
    return encodeCursor(node);
  },
});

/** Builds a page from `first + 1` fetched rows; cursors are encoded when read. */
export function toConnection<T extends KeysetCursor>(rows: T[], first: number) {
  const edges = rows.slice(0, first).map(lazyEdge);
  const last = edges.at(-1);
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      get endCursor() {
        return last ? last.cursor : null;
      },
    },
  };
}

export interface KeysetPageQuery {
  first: number;
  after?: string;
  /** A filter in SQL whose parameters are `params` ($1…); the cursor's and the limit's follow them. */
  where?: string;
  params?: unknown[];
}

/**
 * One keyset page (`first + 1` rows, for `toConnection`) in plain SQL: the hot lists skip the query builder and
 * TypeORM's entity hydration. `columns` names the selected columns AS the entity's properties; each row becomes an
 * instance of `entity`. `from` is the table, unqualified inside a tenant scope.
 */
export async function readKeysetPage<T extends KeysetCursor>(
  manager: EntityManager,
  entity: new () => T,
  from: string,
  columns: string,
  query: KeysetPageQuery,
): Promise<T[]> {
  const params = [...(query.params ?? [])];
  const conditions = query.where ? [`(${query.where})`] : [];
  if (query.after) {
    const cursor = decodeCursor(query.after);
    params.push(cursor.createdAt, cursor.id);
    conditions.push(`(created_at, id) > ($${params.length - 1}, $${params.length})`);
  }
  params.push(query.first + 1);
  const rows: object[] = await manager.query(
    `SELECT ${columns} FROM ${from}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ` +
      `ORDER BY created_at, id LIMIT $${params.length}`,
    params,
  );
  return rows.map((row) => Object.assign(new entity(), row));
}

/** `%` and `_` typed by a user are literal characters, not wildcards. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
