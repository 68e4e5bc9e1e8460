import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors/app-error';
import type { RequestContext } from './request-context';

export const PLATFORM_ADMIN = 'PLATFORM_ADMIN';

/** `@Authorized()` needs any principal; `@Authorized(PLATFORM_ADMIN)` the break-glass admin. */
export const authChecker: AuthChecker<RequestContext> = ({ context }, roles) => {
  if (context.principal.kind === 'anonymous') throw new UnauthenticatedError();
  if (roles.includes(PLATFORM_ADMIN) && context.principal.kind !== 'platform-admin') {
    throw new ForbiddenError('Platform administrators only', { reason: 'PLATFORM_ADMIN_REQUIRED' });
  }
  return true;
};
