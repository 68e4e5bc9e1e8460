import { ArgsType, Field, Int, ObjectType, type ClassType } from 'type-graphql';
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

/** `%` and `_` typed by a user are literal characters, not wildcards. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
