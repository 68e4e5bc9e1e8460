import { createParameterDecorator } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import { BadUserInputError, UnauthenticatedError } from '../errors/app-error';
import type { RequestContext } from '../http/request-context';
import { parseTenantRef } from './tenant-schema';
import {
  openTenantScope,
  runInTenantScope,
  type OpenTenantScope,
  type ScopedTenant,
  type TenantScopeOptions,
} from './tenant-scope';
import type { OperationScope } from './operation-scope';
import type { TenantRef } from './tenant-schema';

/** What opening a request's tenant scope needs from its context (GraphQL or a REST route). */
export type TenantRequest = Pick<RequestContext, 'principal' | 'organizationRef' | 'dataSource' | 'authorizeTenant'>;

/** The principal as the actor of the domain events its requests record. */
function eventActor(principal: TenantRequest['principal']): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`;
    case 'api-key':
      return `api_key:${principal.apiKeyId}`;
    case 'platform-admin':
      return 'platform_admin';
    default:
      return 'anonymous';
  }
}

/**
 * The organization a request names (`X-Organization-ID`, or an API key's own) and the options that
 * authorize the caller for it inside the opening transaction (their role read by the same statement).
 */
function requestScope(request: TenantRequest): { ref: TenantRef; options: TenantScopeOptions } {
  if (request.principal.kind === 'anonymous') throw new UnauthenticatedError();
  // An API key belongs to one organization: without the header it acts for that one.
  const organizationRef =
    request.organizationRef ?? (request.principal.kind === 'api-key' ? request.principal.tenantId : undefined);
  if (!organizationRef) {
    throw new BadUserInputError('The X-Organization-ID header is required for this operation', {
      reason: 'ORGANIZATION_REQUIRED',
    });
  }
  const options = {
    authorize: (t: ScopedTenant) => request.authorizeTenant(t),
    memberUserId: request.principal.kind === 'user' ? request.principal.userId : undefined,
    actor: eventActor(request.principal),
  };
  return { ref: parseTenantRef(organizationRef), options };
}

/** Opens the request's organization scope (see `openTenantScope`); the caller closes it. */
export function openRequestTenantScope(request: TenantRequest): Promise<OpenTenantScope> {
  const { ref, options } = requestScope(request);
  return openTenantScope(request.dataSource, ref, options);
}

/**
 * Resolves `X-Organization-ID`, checks the caller may act for it and that it is ACTIVE,
 * then runs `work` in one transaction whose search_path is the tenant's schema.
 */
export function runInRequestTenantScope<T>(
  request: TenantRequest,
  work: (manager: EntityManager, tenant: ScopedTenant) => Promise<T>,
): Promise<T> {
  const { ref, options } = requestScope(request);
  return runInTenantScope(request.dataSource, ref, work, options);
}

/** Runs `work` in one transaction of the request's organization (for resolvers with a `released` policy). */
export type TenantTransaction = <T>(work: (manager: EntityManager, tenant: ScopedTenant) => Promise<T>) => Promise<T>;

/**
 * The request's `TenantTransaction`: each call opens (and closes) its own scope, unless the GraphQL
 * operation already holds its scope (an earlier field opened it): then the work joins that
 * transaction, since a second one could wait forever on the rows the first has locked.
 */
export const requestTenantTransaction =
  (request: TenantRequest & { tenantScope?: OperationScope }): TenantTransaction =>
  (work) => {
    const open = request.tenantScope?.current;
    return open ? work(open.manager, open.tenant) : runInRequestTenantScope(request, work);
  };

/** Injects the operation's tenant-scoped EntityManager; throws unless the field's policy opened the scope. */
export const TenantManager = () =>
  createParameterDecorator<RequestContext>(({ context }) => context.tenantScope.require().manager);

/** Injects the current tenant (id, slug, schema, the caller's role). */
export const CurrentTenant = () =>
  createParameterDecorator<RequestContext>(({ context }) => context.tenantScope.require().tenant);

/** Injects the operation's tenant scope itself: its manager and its per-operation DataLoaders (`load`). */
export const OperationTenant = () => createParameterDecorator<RequestContext>(({ context }) => context.tenantScope);
