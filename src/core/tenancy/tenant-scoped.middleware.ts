import { createParameterDecorator, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { BadUserInputError, UnauthenticatedError } from '../errors/app-error';
import type { RequestContext } from '../http/request-context';
import { parseTenantRef } from './tenant-schema';
import { currentTenantScope, requireTenantScope, runInTenantScope, type ScopedTenant } from './tenant-scope';

/** What opening a request's tenant scope needs from its context (GraphQL or a REST route). */
export type TenantRequest = Pick<RequestContext, 'principal' | 'organizationRef' | 'dataSource' | 'authorizeTenant'>;

/**
 * Resolves `X-Organization-ID`, checks the caller may act for it and that it is ACTIVE,
 * then runs `work` in one transaction whose search_path is the tenant's schema.
 */
export function runInRequestTenantScope<T>(request: TenantRequest, work: (manager: EntityManager, tenant: ScopedTenant) => Promise<T>): Promise<T> {
  if (request.principal.kind === 'anonymous') throw new UnauthenticatedError();
  // An API key belongs to one organization: without the header it acts for that one.
  const organizationRef = request.organizationRef ?? (request.principal.kind === 'api-key' ? request.principal.tenantId : undefined);
  if (!organizationRef) {
    throw new BadUserInputError('The X-Organization-ID header is required for this operation', {
      reason: 'ORGANIZATION_REQUIRED',
    });
  }
  return runInTenantScope(request.dataSource, parseTenantRef(organizationRef), work, {
    authorize: (t) => request.authorizeTenant(t),
    memberUserId: request.principal.kind === 'user' ? request.principal.userId : undefined,
  });
}

/** Runs `work` in one transaction of the request's organization (for resolvers released by `checkedThenReleased`). */
export type TenantTransaction = <T>(work: (manager: EntityManager, tenant: ScopedTenant) => Promise<T>) => Promise<T>;

/** The request's `TenantTransaction`: each call opens (and closes) its own scope. */
export const requestTenantTransaction =
  (request: TenantRequest): TenantTransaction =>
  (work) =>
    runInRequestTenantScope(request, work);

/** Scopes a root resolver to the caller's organization; nested resolvers reuse the scope. */
export const tenantScopeMiddleware: MiddlewareFn<RequestContext> = async ({ context }, next) => {
  if (currentTenantScope()) return next();
  return runInRequestTenantScope(context, () => next());
};

/** Class or method decorator: the resolver works on tenant data. */
export const TenantScoped = () => UseMiddleware(tenantScopeMiddleware);

/** Injects the tenant-scoped EntityManager; throws when the resolver is not `@TenantScoped()`. */
export const TenantManager = () => createParameterDecorator(() => requireTenantScope().manager);

/** Injects the current tenant (id, slug, schema). */
export const CurrentTenant = () => createParameterDecorator(() => requireTenantScope().tenant);
