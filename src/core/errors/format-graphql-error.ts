import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { ArgumentValidationError } from 'type-graphql';
import { QueryFailedError } from 'typeorm';
import { AppError } from './app-error';
import { ErrorCode } from './error-code';

/** Apollo's own request-level codes; all of them mean the client sent something unusable. */
const APOLLO_INPUT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** PostgreSQL SQLSTATEs that are the caller's fault rather than ours. */
const PG_CODES: Record<string, { code: ErrorCode; message: string }> = {
  '23505': { code: ErrorCode.CONFLICT, message: 'A record with the same unique value already exists' },
  '22P02': { code: ErrorCode.BAD_USER_INPUT, message: 'A value has an invalid format' },
  '22001': { code: ErrorCode.BAD_USER_INPUT, message: 'A value is too long' },
  '23503': { code: ErrorCode.CONFLICT, message: 'The record is referenced by or refers to a missing record' },
};

interface ValidationFailure {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationFailure[];
}

function simplifyValidation(errors: ValidationFailure[]): unknown[] {
  return errors.map((e) => ({
    property: e.property,
    constraints: e.constraints,
    ...(e.children?.length ? { children: simplifyValidation(e.children) } : {}),
  }));
}

export interface ErrorFormatterOptions {
  isProduction: boolean;
  logger: Logger;
  /** Called once for every internal (our fault) error, after it is logged: error tracking (Sentry). */
  onInternalError?: (error: unknown) => void;
}

/**
 * The single place where thrown errors become GraphQL errors: every error leaves
 * with a code from `ErrorCode`, internal details are logged and masked in production.
 */
export function createErrorFormatter({ isProduction, logger, onInternalError = () => undefined }: ErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    // An AppError thrown by a plugin (a request-level refusal) reaches us wrapped by Apollo.
    const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof AppError ? unwrapped.originalError : unwrapped;
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    const apolloCode = formatted.extensions?.code as string | undefined;

    if (original instanceof AppError) {
      // AppError messages are written for callers; an internal one is still worth a log line with its cause.
      if (original.code === ErrorCode.INTERNAL_SERVER_ERROR) {
        logger.error({ err: original, path: formatted.path }, original.message);
        onInternalError(original);
      }
      return { ...base, message: original.message, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      const failures = original.extensions.validationErrors as ValidationFailure[] | undefined;
      return {
        ...base,
        message: 'Argument validation failed',
        extensions: { code: ErrorCode.BAD_USER_INPUT, validationErrors: simplifyValidation(failures ?? []) },
      };
    }
    if (original instanceof QueryFailedError) {
      const mapped = PG_CODES[(original.driverError as { code?: string })?.code ?? ''];
      if (mapped) return { ...base, message: mapped.message, extensions: { code: mapped.code } };
    }
    if (apolloCode && APOLLO_INPUT_CODES.has(apolloCode)) {
      return { ...base, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: apolloCode } };
    }
    if (apolloCode && (Object.values(ErrorCode) as string[]).includes(apolloCode) && apolloCode !== ErrorCode.INTERNAL_SERVER_ERROR) {
      // Request-level errors we raised ourselves (authentication): keep their details, drop transport-only keys.
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      const { http, stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...base, extensions: { ...extensions, code: apolloCode } };
    }

    logger.error({ err: original, path: formatted.path }, 'unhandled error in GraphQL operation');
    onInternalError(original);
    return {
      ...base,
      message: isProduction ? 'Internal server error' : formatted.message,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
