import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { GraphQLFormattedError } from 'graphql';
import { AppError, type ErrorDetails } from '../../core/errors/app-error';
import { ErrorCode } from '../../core/errors/error-code';

/**
 * JSON-RPC code of a refusal by the API (authentication, rate limit, policy, plan): `error.data.code` is the API's
 * documented `extensions.code`. -32002 is MCP's own "resource not found".
 */
export const API_REFUSAL = -32003;
const RESOURCE_NOT_FOUND = -32002;

/** Extensions that are transport details, not part of the documented error. */
const TRANSPORT_EXTENSIONS = new Set(['code', 'http', 'stacktrace']);

/** The first error of a GraphQL result as the AppError it was (code, message and details, already masked). */
export function appErrorOf(error: GraphQLFormattedError): AppError {
  const extensions = error.extensions ?? {};
  const details = Object.fromEntries(Object.entries(extensions).filter(([key]) => !TRANSPORT_EXTENSIONS.has(key)));
  return new AppError((extensions.code as ErrorCode) ?? ErrorCode.INTERNAL_SERVER_ERROR, error.message, details);
}

/** What a model should do about a refusal, beyond its message. */
function advice(code: string, details: ErrorDetails): string {
  switch (code) {
    case ErrorCode.PLAN_UPGRADE_REQUIRED:
      return (
        ` The organization's plan does not include ${String(details.feature ?? 'this feature')}` +
        `${details.feature === 'mcp_access' ? ' (AI agents over MCP)' : ''}: nothing was done. Tell the user an ` +
        `administrator can upgrade at ${String(details.upgradeUrl ?? 'the billing page')}; do not retry.`
      );
    case ErrorCode.LIMIT_EXCEEDED:
      return " The plan's limit is reached: nothing was done. Do not retry before the user upgrades or the period ends.";
    case ErrorCode.FORBIDDEN:
      return details.requiredScope
        ? ` The API key lacks the ${String(details.requiredScope)} scope: ask for a key that has it; do not retry.`
        : ' Not allowed for this API key: do not retry.';
    case ErrorCode.BAD_USER_INPUT:
      return ' Correct the arguments before trying again.';
    default:
      return '';
  }
}

/** A tool's refusal as an MCP tool error: the code and message for the model, the details structured. */
export function toolError(error: AppError): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}${advice(error.code, error.details)}` }],
    structuredContent: { error: { code: error.code, message: error.message, ...error.details } },
  };
}

/** A refusal outside a tool (a resource, a listing) as a JSON-RPC error with the API's code in `data`. */
export const rpcError = (error: AppError): McpError =>
  new McpError(error.code === ErrorCode.NOT_FOUND ? RESOURCE_NOT_FOUND : API_REFUSAL, error.message, {
    code: error.code,
    ...error.details,
  });
