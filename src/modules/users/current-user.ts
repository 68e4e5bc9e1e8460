import { createParameterDecorator } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../../core/errors/app-error';
import type { Principal, RequestContext } from '../../core/http/request-context';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The signed-in user, or UNAUTHENTICATED (nobody) / FORBIDDEN (an admin secret or API key is not a user). */
export function requireUser(principal: Principal): UserPrincipal {
  if (principal.kind === 'user') return principal;
  if (principal.kind === 'anonymous') throw new UnauthenticatedError();
  throw new ForbiddenError('This operation needs a signed-in user', { reason: 'USER_REQUIRED' });
}

/** Resolver parameter: the signed-in user's principal (see `requireUser`). */
export const CurrentUser = () =>
  createParameterDecorator<RequestContext>(({ context }) => requireUser(context.principal));
