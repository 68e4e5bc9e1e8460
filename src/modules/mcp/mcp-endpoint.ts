import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { JSONRPCMessageSchema, ErrorCode as RpcErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { UnauthenticatedError } from '../../core/errors/app-error';
import { ErrorCode, httpStatusOf } from '../../core/errors/error-code';
import type { Principal } from '../../core/http/request-context';
import { API_REFUSAL } from './mcp-errors';
import type { McpCatalog, McpCaller } from './mcp-server';
import type { RunOperation } from './mcp-tool';

export interface McpEndpointDependencies {
  catalog: McpCatalog;
  logger: Logger;
  /**
   * Admits the request exactly as POST /graphql is admitted (authentication, rate limit; each operation then checks
   * the tenant and counts the request toward `api_calls`) and runs operations as that caller. Throws GraphQL's
   * request errors.
   */
  admit(req: Request, res: Response): Promise<{ principal: Principal; run: RunOperation }>;
  requireAccess: McpCaller['requireAccess'];
  /** The app's one error formatter: codes, logging and masking as GraphQL's. */
  formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError;
}

/**
 * A JSON-RPC error answered before the MCP server runs, in the app's one error shape as well (`errors`): a client of
 * either kind reads it.
 */
function sendRpcError(
  res: Response,
  status: number,
  rpcCode: number,
  message: string,
  extensions: Record<string, unknown>,
): void {
  const observation = res.locals.observation as { outcome?: string } | undefined;
  if (observation) observation.outcome = String(extensions.code);
  res.status(status).json({
    jsonrpc: '2.0',
    id: null,
    error: { code: rpcCode, message, data: extensions },
    errors: [{ message, extensions }],
  });
}

const protocolError = (res: Response, status: number, rpcCode: number, reason: string, message: string) =>
  sendRpcError(res, status, rpcCode, message, { code: ErrorCode.BAD_USER_INPUT, reason });

/** Bodies that are not JSON: JSON-RPC's parse error, never the generic 400/500 of the app's final handler. */
const bodyErrors: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, next) => {
  if (error.type === 'entity.parse.failed')
    return protocolError(res, 400, RpcErrorCode.ParseError, 'MALFORMED_JSON', 'Parse error: the body is not JSON');
  if (error.type === 'entity.too.large')
    return protocolError(res, 413, RpcErrorCode.InvalidRequest, 'BODY_TOO_LARGE', 'The request body is too large');
  next(error);
};

/**
 * POST /mcp: MCP over Streamable HTTP, stateless (every request is admitted on its own, so a revoked key stops at
 * once and each message counts toward the rate limit like a GraphQL request). JSON responses, one message per
 * request.
 */
export function mcpEndpoint(deps: McpEndpointDependencies): (RequestHandler | ErrorRequestHandler)[] {
  const refuse = (res: Response, error: unknown) => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const { message, extensions } = deps.formatError(
      { message: error instanceof Error ? error.message : String(error), extensions: graphqlError?.extensions },
      error,
    );
    const code = (extensions?.code as ErrorCode | undefined) ?? ErrorCode.INTERNAL_SERVER_ERROR;
    // A request-level error (rate limit, authentication) carries its own status; otherwise the code's.
    const status = (graphqlError?.extensions.http as { status?: number } | undefined)?.status ?? httpStatusOf[code];
    sendRpcError(res, status ?? 500, API_REFUSAL, message, { ...extensions, code });
  };

  const handle: RequestHandler = async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return protocolError(res, 405, RpcErrorCode.InvalidRequest, 'METHOD_NOT_ALLOWED', 'Stateless server: POST only');
    }
    // The transport's own checks, made first so the answer has the app's error shape too.
    const accept = req.get('accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      const message = 'Not Acceptable: accept both application/json and text/event-stream';
      return protocolError(res, 406, RpcErrorCode.InvalidRequest, 'NOT_ACCEPTABLE', message);
    }
    if (!req.is('application/json')) {
      const message = 'Unsupported Media Type: the body must be application/json';
      return protocolError(res, 415, RpcErrorCode.InvalidRequest, 'UNSUPPORTED_MEDIA_TYPE', message);
    }
    if (Array.isArray(req.body))
      return protocolError(res, 400, RpcErrorCode.InvalidRequest, 'BATCH_NOT_SUPPORTED', 'One message per request');
    if (!JSONRPCMessageSchema.safeParse(req.body).success) {
      const message = 'Parse error: not a JSON-RPC message';
      return protocolError(res, 400, RpcErrorCode.ParseError, 'INVALID_JSON_RPC', message);
    }
    let caller: McpCaller;
    try {
      const { principal, run } = await deps.admit(req, res);
      if (principal.kind !== 'api-key') {
        throw new UnauthenticatedError('MCP takes an API key: Authorization: Bearer tq_…', {
          reason: 'API_KEY_REQUIRED',
        });
      }
      caller = { principal, run, requireAccess: deps.requireAccess, logger: deps.logger };
    } catch (error) {
      return refuse(res, error);
    }
    const server = deps.catalog.serverFor(caller);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void server.close());
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      if (res.headersSent) throw error;
      refuse(res, error);
    }
  };
  return [bodyErrors, handle];
}
