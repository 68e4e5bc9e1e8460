import type { Express, Request, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../core/config/config';
import { AppError } from '../core/errors/app-error';
import { ErrorCode, httpStatusOf } from '../core/errors/error-code';
import type { Principal } from '../core/http/request-context';
import { reportInternalError } from '../core/observability/error-reporting';
import type { ScopedTenant } from '../core/tenancy/tenant-scope';
import { runInRequestTenantScope } from '../core/tenancy/tenant-scoped.middleware';

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
  /** Answers `{ errors: [{ message, extensions: { code, ... } }] }` with the code's HTTP status; internal errors are masked. */
  sendError(res: Response, error: unknown): void;
}

/** A module's REST routes, mounted before /graphql (see `services.httpRoutes`). */
export type HttpRouteMount = (app: Express, kit: HttpRouteKit) => void;

/** The HTTP app's own admission of a request (authentication, rate limit, tenant check and metering). */
export type AdmitRequest = (req: Request, res: Response) => Promise<{ principal: Principal; authorizeTenant: (tenant: ScopedTenant) => Promise<void> }>;

export function createHttpRouteKit(deps: { config: AppConfig; logger: Logger; dataSource: DataSource; admit: AdmitRequest }): HttpRouteKit {
  const { config, logger, dataSource } = deps;
  return {
    config,
    logger,
    async withTenantScope(req, res, work) {
      const { principal, authorizeTenant } = await deps.admit(req, res);
      const request = { principal, organizationRef: req.get('x-organization-id') || undefined, dataSource, authorizeTenant };
      return runInRequestTenantScope(request, (manager, tenant) => work({ manager, tenant, principal }));
    },
    sendError(res, error) {
      const { status, body } = restError(error, config.isProduction);
      if (status >= 500) {
        logger.error({ err: error }, 'REST route failed');
        reportInternalError(error);
      }
      res.status(status).json({ errors: [body] });
    },
  };
}

function restError(error: unknown, isProduction: boolean): { status: number; body: { message: string; extensions: Record<string, unknown> } } {
  if (error instanceof AppError && error.code !== ErrorCode.INTERNAL_SERVER_ERROR) {
    return { status: httpStatusOf[error.code], body: { message: error.message, extensions: { ...error.details, code: error.code } } };
  }
  if (error instanceof GraphQLError && typeof error.extensions.code === 'string') {
    const { http, ...extensions } = error.extensions as { http?: { status?: number } } & Record<string, unknown>;
    return { status: http?.status ?? httpStatusOf[error.extensions.code as ErrorCode] ?? 500, body: { message: error.message, extensions } };
  }
  const message = isProduction || !(error instanceof Error) ? 'Internal server error' : error.message;
  return { status: 500, body: { message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } } };
}
