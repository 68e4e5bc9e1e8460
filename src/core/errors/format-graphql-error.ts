import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { ErrorCode } from './error-code';

/** Apollo's own request-level codes: the client sent something unusable. The code becomes the `reason`. */
const APOLLO_INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
/** Apollo's BAD_USER_INPUT means a variable that does not fit its type. */
const APOLLO_REASONS: Record<string, string> = { BAD_USER_INPUT: 'INVALID_VARIABLE' };

const limit = (text: string) => (m: RegExpExecArray) => `The query ${text.replace('{n}', m[1])}`;

interface Refusal {
  pattern: RegExp;
  reason: string;
  message: (match: RegExpExecArray) => string;
}

/**
 * Query limits and protocol errors that graphql-js, graphql-armor and Apollo raise without a code
 * (or worded as a "Syntax Error"), recognised by message: the caller's fault, worded as what it is.
 * A limit's message names the configured limit (`{n}`).
 */
const REFUSALS: Refusal[] = [
  {
    pattern: /Query depth limit of (\d+) exceeded/,
    reason: 'QUERY_TOO_DEEP',
    message: limit('is nested deeper than the depth limit of {n}'),
  },
  {
    pattern: /Aliases limit of (\d+) exceeded/,
    reason: 'TOO_MANY_ALIASES',
    message: limit('uses more aliases than the limit of {n}'),
  },
  {
    pattern: /Directives limit of (\d+) exceeded/,
    reason: 'TOO_MANY_DIRECTIVES',
    message: limit('uses more directives than the limit of {n}'),
  },
  {
    pattern: /Document contains more tha[nt] (\d+) tokens/,
    reason: 'TOO_MANY_TOKENS',
    message: limit('has more tokens than the limit of {n}'),
  },
  {
    pattern: /^Operation batching disabled/,
    reason: 'BATCH_NOT_SUPPORTED',
    message: () => 'Batched requests are not supported: send one operation per request',
  },
  {
    pattern: /^Unsupported persisted query version/,
    reason: 'PERSISTED_QUERY_VERSION_UNSUPPORTED',
    message: () => 'Unsupported persisted query version (only 1 is)',
  },
  {
    pattern: /^provided sha does not match query/,
    reason: 'PERSISTED_QUERY_HASH_MISMATCH',
    message: () => 'The persisted query hash does not match the query',
  },
  {
    pattern: /^Too many errors processing variables/,
    reason: 'TOO_MANY_VARIABLE_ERRORS',
    message: () => 'Too many invalid variables; the others were not checked',
  },
];

const UNSTORABLE = 'A value contains characters that cannot be stored';

/** PostgreSQL SQLSTATEs that are the caller's fault rather than ours. */
const PG_CODES: Record<string, { code: ErrorCode; message: string; reason?: string }> = {
  '23505': { code: ErrorCode.CONFLICT, message: 'A record with the same unique value already exists' },
  '22P02': { code: ErrorCode.BAD_USER_INPUT, message: 'A value has an invalid format' },
  '22001': { code: ErrorCode.BAD_USER_INPUT, message: 'A value is too long' },
  '23503': { code: ErrorCode.CONFLICT, message: 'The record is referenced by or refers to a missing record' },
  // Safety net behind the edge's checks: bad values a caller supplied that reached the database anyway.
  '22021': { code: ErrorCode.BAD_USER_INPUT, message: UNSTORABLE, reason: 'INVALID_CHARACTERS' },
  '22P05': { code: ErrorCode.BAD_USER_INPUT, message: UNSTORABLE, reason: 'INVALID_CHARACTERS' },
  '22008': { code: ErrorCode.BAD_USER_INPUT, message: 'A date or time is out of range', reason: 'INVALID_DATE' },
  '22007': { code: ErrorCode.BAD_USER_INPUT, message: 'A date or time has an invalid format', reason: 'INVALID_DATE' },
  '22003': { code: ErrorCode.BAD_USER_INPUT, message: 'A number is out of range', reason: 'OUT_OF_RANGE' },
};

/** graphql-js's "Did you mean …" (fields, arguments, enum values, types): it describes the schema. */
const SUGGESTION = / *Did you mean [^?]*\?/g;

interface ValidationFailure {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationFailure[];
}

function simplifyValidation(errors: unknown): unknown[] {
  if (!Array.isArray(errors)) return [];
  return (errors as ValidationFailure[]).map((e) => ({
    property: e.property,
    constraints: e.constraints,
    ...(e.children?.length ? { children: simplifyValidation(e.children) } : {}),
  }));
}

/** The error thrown: a resolver's, or one a plugin hook threw that Apollo wrapped. */
function originalOf(error: unknown): unknown {
  const unwrapped = unwrapResolverError(error);
  const wrapsAppError = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof AppError;
  return wrapsAppError ? unwrapped.originalError : unwrapped;
}

function reasonOfCause(error: unknown): unknown {
  const cause = error instanceof GraphQLError ? error.originalError : undefined;
  return cause instanceof GraphQLError ? cause.extensions.reason : undefined;
}

/** Extensions that only steer the transport (HTTP status) or leak internals (stack traces). */
function publicExtensions(formatted: GraphQLFormattedError): Record<string, unknown> {
  const { http, stacktrace, ...extensions } = formatted.extensions ?? {};
  return extensions;
}

export interface ErrorFormatterOptions {
  isProduction: boolean;
  logger: Logger;
  /** Called once for every internal (our fault) error, after it is logged: error tracking (Sentry). */
  onInternalError?: (error: unknown) => void;
}

const INTERNAL = { message: 'Internal server error', extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };

/**
 * The single place where thrown errors become GraphQL (and REST) errors: every error leaves with a
 * code from `ErrorCode`; internal ones are logged (with the request's id, see log-context) and masked in
 * production. It never throws: a failure while formatting is logged and answered as an internal error.
 */
export function createErrorFormatter({
  isProduction,
  logger,
  onInternalError = () => undefined,
}: ErrorFormatterOptions) {
  const internal = (error: unknown, path: GraphQLFormattedError['path'], logMessage: string) => {
    logger.error({ err: error, path }, logMessage);
    onInternalError(error);
  };
  const publicMessage = (message: string) => (isProduction ? message.replace(SUGGESTION, '') : message);

  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    const base = { message: publicMessage(formatted.message), locations: formatted.locations, path: formatted.path };
    const apolloCode = formatted.extensions?.code as string | undefined;

    if (original instanceof AppError) {
      // AppError messages are written for callers; an internal one is still worth a log line with its cause.
      if (original.code === ErrorCode.INTERNAL_SERVER_ERROR) internal(original, formatted.path, original.message);
      return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      const validationErrors = simplifyValidation(original.extensions.validationErrors);
      const extensions = { code: ErrorCode.BAD_USER_INPUT, validationErrors };
      return { ...base, message: 'Argument validation failed', extensions };
    }
    if (original instanceof QueryFailedError) {
      const sqlState = (original.driverError as { code?: string } | undefined)?.code ?? '';
      const mapped = PG_CODES[sqlState];
      const path = formatted.path;
      if (mapped?.reason) logger.warn({ err: original, sqlState, path }, 'the database refused a caller value');
      const reason = mapped?.reason ? { reason: mapped.reason } : {};
      if (mapped) return { ...base, message: mapped.message, extensions: { code: mapped.code, ...reason } };
    }
    for (const refusal of REFUSALS) {
      const match = refusal.pattern.exec(formatted.message);
      const extensions = { code: ErrorCode.BAD_USER_INPUT, reason: refusal.reason };
      if (match) return { ...base, message: refusal.message(match), extensions };
    }
    if (apolloCode && APOLLO_INPUT_CODES.has(apolloCode)) {
      const extensions = publicExtensions(formatted);
      // A scalar's own refusal (e.g. DATE_OUT_OF_RANGE) arrives wrapped by graphql-js's variable coercion.
      const reason = extensions.reason ?? reasonOfCause(error) ?? APOLLO_REASONS[apolloCode] ?? apolloCode;
      return { ...base, extensions: { ...extensions, code: ErrorCode.BAD_USER_INPUT, reason } };
    }
    if (
      apolloCode &&
      (Object.values(ErrorCode) as string[]).includes(apolloCode) &&
      apolloCode !== ErrorCode.INTERNAL_SERVER_ERROR
    ) {
      // Request-level errors we raised ourselves (authentication): keep their details.
      return { ...base, extensions: { ...publicExtensions(formatted), code: apolloCode } };
    }

    internal(original, formatted.path, 'unhandled error');
    return { ...base, message: isProduction ? INTERNAL.message : formatted.message, extensions: INTERNAL.extensions };
  };

  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    try {
      return format(formatted, error);
    } catch (failure) {
      try {
        logger.error({ err: failure, original: error }, 'the error formatter failed; answered as an internal error');
        onInternalError(failure);
      } catch {
        // Logging itself failed: the answer must still go out.
      }
      if (isProduction) return INTERNAL;
      return { message: String(formatted?.message ?? INTERNAL.message), extensions: INTERNAL.extensions };
    }
  };
}
