import type { Express, Request, RequestHandler, Response } from 'express';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { ErrorCode, httpStatusOf } from '../core/errors/error-code';
import { sendJsonError } from '../core/http/json-error';
import { rawJsonBody } from '../core/http/raw-json-body';
import type { Principal } from '../core/http/request-context';
import type { ScopedTenant } from '../core/tenancy/tenant-scope';
import { runInRequestTenantScope } from '../core/tenancy/tenant-request';

export interface TenantRouteScope {
  manager: EntityManager;
  tenant: ScopedTenant;
  principal: Principal;
}

/** What a module's REST route gets from the HTTP app, so it authenticates and scopes exactly like POST /graphql. */
export interface HttpRouteKit {
  config: AppConfig;
  logger: Logger;
  /**
   * Admits the request as /graphql does (Bearer token, API key or admin secret; the request rate
   * limit, with Retry-After on `res`; the call counted toward `api_calls`), opens the scope of the
   * organization it names (X-Organization-ID, or an API key's own) and runs `work` in that
   * tenant's transaction. Throws the same errors GraphQL answers with.
   */
  withTenantScope<T>(req: Request, res: Response, work: (scope: TenantRouteScope) => Promise<T>): Promise<T>;
  /**
   * The body parser of a signed webhook: the raw bytes (what the signature covers), with NUL and
   * ill-formed Unicode refused (BAD_USER_INPUT `INVALID_CHARACTERS`) like every other input.
   */
  rawJsonBody(): RequestHandler[];
  /**
   * Answers `{ errors: [{ message, extensions: { code, ... } }] }` with the code's HTTP status, formatted (and internal
   * errors logged and masked) as GraphQL's are.
   */
  sendError(res: Response, error: unknown): void;
}

/** A module's REST routes, mounted before /graphql (see `services.httpRoutes`). */
export type HttpRouteMount = (app: Express, kit: HttpRouteKit) => void;

/** The HTTP app's own admission of a request (authentication, rate limit, tenant check and metering). */
export type AdmitRequest = (
  req: Request,
  res: Response,
) => Promise<{ principal: Principal; authorizeTenant: (tenant: ScopedTenant) => Promise<void> }>;

/**
 * The app's one error formatter (src/core/errors/format-graphql-error.ts), so REST errors get the same codes, logging
 * and masking.
 */
export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export function createHttpRouteKit(deps: {
  config: AppConfig;
  logger: Logger;
  dataSource: DataSource;
  admit: AdmitRequest;
  formatError: ErrorFormatter;
}): HttpRouteKit {
  const { config, logger, dataSource } = deps;
  return {
    config,
    logger,
    async withTenantScope(req, res, work) {
      const { principal, authorizeTenant } = await deps.admit(req, res);
      const request = {
        principal,
        organizationRef: req.get('x-organization-id') || undefined,
        dataSource,
        authorizeTenant,
      };
      return runInRequestTenantScope(request, (manager, tenant) => work({ manager, tenant, principal }));
    },
    rawJsonBody: () => rawJsonBody(config.maxRequestSize),
    sendError(res, error) {
      const graphqlError = error instanceof GraphQLError ? error : undefined;
      const { message, extensions } = deps.formatError(
        { message: error instanceof Error ? error.message : String(error), extensions: graphqlError?.extensions },
        error,
      );
      // A request-level error (rate limit, authentication) carries its own status; otherwise the code's.
      const status =
        (graphqlError?.extensions.http as { status?: number } | undefined)?.status ??
        httpStatusOf[extensions?.code as ErrorCode] ??
        500;
      sendJsonError(res, status, message, { code: ErrorCode.INTERNAL_SERVER_ERROR, ...extensions });
    },
  };
}
