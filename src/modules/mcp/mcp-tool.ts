import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { GraphQLFormattedError } from 'graphql';
import { z } from 'zod';

/** What one GraphQL operation answered (errors formatted and masked by the app's one error formatter). */
export interface OperationResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLFormattedError[];
}

/**
 * Runs one GraphQL operation as the MCP caller through the app's own GraphQL pipeline: the request was
 * admitted like POST /graphql, and the operation gets its own tenant scope, field policies and plugins.
 */
export type RunOperation = (query: string, variables: Record<string, unknown>) => Promise<OperationResult>;

/**
 * A tool is ONE GraphQL operation of the public schema: who may see and call it follows from the `@Policy` of the
 * fields it selects (src/modules/mcp/tool-policies.ts), and every rule runs where GraphQL runs it.
 */
export interface McpTool<S extends z.AnyZodObject = z.AnyZodObject> {
  /** `<area>_<verb>`. */
  name: string;
  title: string;
  /** For a model: what it does, when to use it, what it costs against the plan. */
  description: string;
  input: S;
  annotations: ToolAnnotations;
  operation: string;
  variables(args: z.infer<S>): Record<string, unknown>;
  /** The structured result from the operation's data; throws an AppError (e.g. NOT_FOUND) when there is none. */
  output(data: Record<string, unknown>, args: z.infer<S>): Record<string, unknown>;
  /** The result carries text written by customers or the team: returned marked as untrusted content. */
  untrusted: boolean;
}

export const defineTool = <S extends z.AnyZodObject>(tool: McpTool<S>): McpTool => tool as unknown as McpTool;

/** Read tools: no side effect, safe to retry. */
export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

/** Writes: `idempotent` when calling again with the same arguments changes nothing more. */
export const writes = (options: { destructive: boolean; idempotent: boolean }): ToolAnnotations => ({
  readOnlyHint: false,
  destructiveHint: options.destructive,
  idempotentHint: options.idempotent,
  openWorldHint: false,
});

/** Long text is cut for the model (the whole text stays in the API); `…[truncated]` says so. */
export function capText(text: string | null | undefined, max: number): string | null {
  if (text === null || text === undefined) return null;
  return text.length <= max ? text : `${text.slice(0, max)}…[truncated]`;
}

interface Connection<T> {
  edges: { node: T }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
  totalCount?: number;
}

/** A page of a connection for a model: the items, and the cursor to pass as `after` for the next page. */
export function page<T, R>(connection: unknown, map: (node: T) => R) {
  const { edges, pageInfo, totalCount } = connection as Connection<T>;
  return {
    items: edges.map((edge) => map(edge.node)),
    nextCursor: pageInfo.hasNextPage ? pageInfo.endCursor : null,
    ...(totalCount === undefined ? {} : { totalCount }),
  };
}

/** Page sizes a model may ask for: small pages keep a result inside a model's context. */
export const MAX_PAGE_SIZE = 25;

export const inputs = {
  id: (what: string) => z.string().uuid().describe(`The ${what}'s id (a UUID from another tool's result)`),
  first: z.number().int().min(1).max(MAX_PAGE_SIZE).default(10).describe(`Page size, 1 to ${MAX_PAGE_SIZE}`),
  after: z.string().min(1).max(200).optional().describe("The previous page's nextCursor, for the next page"),
  search: z.string().trim().min(1).max(200),
  text: (max: number) => z.string().trim().min(1).max(max),
};
