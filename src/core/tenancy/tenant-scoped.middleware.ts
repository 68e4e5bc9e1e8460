import { createParameterDecorator, UseMiddleware, type MiddlewareFn } from 'type-graphql';
import { BadUserInputError, UnauthenticatedError } from '../errors/app-error';
import type { RequestContext } from '../http/request-context';
import { parseTenantRef } from './tenant-schema';
import { currentTenantScope, requireTenantScope, runInTenantScope } from './tenant-scope';

/**
 * Scopes a root resolver to the caller's organization: resolves `X-Organization-ID`,
 * checks the caller may act for it and that it is ACTIVE, then runs the resolver in
 * one transaction whose search_path is the tenant's schema. Nested resolvers reuse it.
 */
export const tenantScopeMiddleware: MiddlewareFn<RequestContext> = async ({ context }, next) => {
  if (currentTenantScope()) return next();
  if (context.principal.kind === 'anonymous') throw new UnauthenticatedError();
  // An API key belongs to one organization: without the header it acts for that one.
  const organizationRef = context.organizationRef ?? (context.principal.kind === 'api-key' ? context.principal.tenantId : undefined);
  if (!organizationRef) {
    throw new BadUserInputError('The X-Organization-ID header is required for this operation', {
      reason: 'ORGANIZATION_REQUIRED',
    });
  }
  const ref = parseTenantRef(organizationRef);
  return runInTenantScope(context.dataSource, ref, () => next(), {
    authorize: (t) => context.authorizeTenant(t),
    memberUserId: context.principal.kind === 'user' ? context.principal.userId : undefined,
  });
};

/** Class or method decorator: the resolver works on tenant data. */
export const TenantScoped = () => UseMiddleware(tenantScopeMiddleware);

/** Injects the tenant-scoped EntityManager; throws when the resolver is not `@TenantScoped()`. */
export const TenantManager = () => createParameterDecorator(() => requireTenantScope().manager);

/** Injects the current tenant (id, slug, schema). */
export const CurrentTenant = () => createParameterDecorator(() => requireTenantScope().tenant);
