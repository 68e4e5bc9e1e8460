import type { Request } from 'express';
import { GraphQLError } from 'graphql';
import type { AppConfig } from '../core/config/config';
import { ForbiddenError } from '../core/errors/app-error';
import { ErrorCode } from '../core/errors/error-code';
import { matchesAdminSecret } from '../core/http/admin-secret';
import type { Principal, RequestContext } from '../core/http/request-context';

/** A request-level failure (before any resolver runs): answered with its HTTP status and a documented code. */
export function requestError(code: ErrorCode, message: string, status: number, extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status } } });
}

/**
 * Establishes who is calling from the request headers. A credential that is
 * present but wrong is an error, never a silent fall-back to anonymous.
 */
export async function authenticate(req: Request, config: AppConfig): Promise<Principal> {
  const adminSecret = req.get('x-admin-secret');
  if (adminSecret !== undefined) {
    if (!matchesAdminSecret(adminSecret, config.adminSecret)) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'Invalid admin secret', 401);
    }
    return { kind: 'platform-admin' };
  }
  return { kind: 'anonymous' };
}

/** Whether the principal may act for a tenant; runs inside the tenant's transaction. */
export function tenantAuthorizer(principal: Principal): RequestContext['authorizeTenant'] {
  if (principal.kind === 'platform-admin') return () => undefined;
  return () => {
    throw new ForbiddenError('You are not a member of this organization');
  };
}
