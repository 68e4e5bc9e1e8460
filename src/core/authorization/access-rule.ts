import { ForbiddenError, InternalError, UnauthenticatedError } from '../errors/app-error';
import type { Principal } from '../http/request-context';
import { MemberRole, roleAtLeast } from './member-role';

/** A rule's answer: allowed, or the typed error that says why not (UNAUTHENTICATED, FORBIDDEN with a `reason`). */
export type Decision = true | Error;

/** Who may call a field: the vocabulary of `@Policy(…)` declarations. */
export interface AccessRule {
  readonly name: string;
  /** Decided inside the organization's scope, with the caller's role there (read by the scope's opening statement). */
  readonly needsOrganization: boolean;
  /** The API-key scopes the rule checks, e.g. `customers:read`: what a key may be granted. */
  readonly apiKeyScopes: readonly string[];
  decide(principal: Principal, role?: MemberRole | null): Decision;
}

type DataAccess = 'read' | 'write';

/** Roles and tenant data: VIEWER reads, MEMBER also writes. */
const MIN_ROLE_FOR: Record<DataAccess, MemberRole> = { read: MemberRole.VIEWER, write: MemberRole.MEMBER };

const unauthenticated = () => new UnauthenticatedError();

const rule = (name: string, decide: AccessRule['decide']): AccessRule => ({
  name,
  needsOrganization: false,
  apiKeyScopes: [],
  decide,
});

function organizationRule(name: string, decide: AccessRule['decide'], apiKeyScopes: string[] = []): AccessRule {
  return {
    name,
    needsOrganization: true,
    apiKeyScopes,
    decide(principal, role) {
      if (principal.kind === 'anonymous') return unauthenticated();
      // Platform administrators act for any organization, as before roles existed.
      if (principal.kind === 'platform-admin') return true;
      return decide(principal, role);
    },
  };
}

/** A role rule reached without the organization's scope is a wiring bug, not a refusal. */
function requireRole(role: MemberRole | null | undefined, minimum: MemberRole): Decision {
  if (!role) return new InternalError('Role rule decided outside the organization scope');
  if (roleAtLeast(role, minimum)) return true;
  return new ForbiddenError(`This needs the ${minimum} role or higher; you are ${role}`, {
    reason: 'INSUFFICIENT_ROLE',
    requiredRole: minimum,
  });
}

/** Anyone, signed in or not: sign-up, sign-in, links from emails. */
export const everyone: AccessRule = rule('everyone', () => true);

/** A person signed in with an access token (not an API key, not the admin secret). */
export const signedIn = rule('signedIn', (principal) => {
  if (principal.kind === 'user') return true;
  if (principal.kind === 'anonymous') return unauthenticated();
  return new ForbiddenError('This operation needs a signed-in user', { reason: 'USER_REQUIRED' });
});

/** The break-glass operator (X-Admin-Secret). */
export const platformAdmin = rule('platformAdmin', (principal) => {
  if (principal.kind === 'platform-admin') return true;
  if (principal.kind === 'anonymous') return unauthenticated();
  return new ForbiddenError('Platform administrators only', { reason: 'PLATFORM_ADMIN_REQUIRED' });
});

/** Anyone acting for the organization in X-Organization-ID: its members in any role and its own API keys. */
export const inOrganization = organizationRule('inOrganization', () => true);

/** People with at least `minimum` in the organization; API keys never (managing the organization is for people). */
export const hasRole = (minimum: MemberRole): AccessRule =>
  organizationRule(`hasRole:${minimum}`, (principal, role) => {
    if (principal.kind === 'api-key')
      return new ForbiddenError('API keys cannot do this; sign in as a person', { reason: 'API_KEY_NOT_ALLOWED' });
    return requireRole(role, minimum);
  });

function decideDataAccess(
  principal: Principal,
  role: MemberRole | null | undefined,
  resource: string,
  access: DataAccess,
): Decision {
  const scope = `${resource}:${access}`;
  if (principal.kind !== 'api-key') return requireRole(role, MIN_ROLE_FOR[access]);
  // A key that may write may read as well (as with Stripe's restricted keys).
  if (principal.scopes.includes(scope) || (access === 'read' && principal.scopes.includes(`${resource}:write`)))
    return true;
  return new ForbiddenError(`This API key lacks the ${scope} scope`, { reason: 'MISSING_SCOPE', requiredScope: scope });
}

const dataRule = (resource: string, access: DataAccess) =>
  organizationRule(`${resource}:${access}`, (p, role) => decideDataAccess(p, role, resource, access), [
    `${resource}:${access}`,
  ]);

/** Reading tenant data: VIEWER and up, or an API key with `<resource>:read` (or `:write`). */
export const canRead = (resource: string) => dataRule(resource, 'read');

/** Changing tenant data: MEMBER and up, or an API key with `<resource>:write`. */
export const canWrite = (resource: string) => dataRule(resource, 'write');

/** A rule made of `rules`, decided by `decide` over their decisions (taken in order, lazily). */
function combined(
  rules: AccessRule[],
  separator: string,
  decide: (decisions: Iterable<Decision>) => Decision,
): AccessRule {
  return {
    name: rules.map((r) => r.name).join(separator),
    needsOrganization: rules.some((r) => r.needsOrganization),
    apiKeyScopes: rules.flatMap((r) => r.apiKeyScopes),
    decide: (principal, role) =>
      decide(
        (function* () {
          for (const r of rules) yield r.decide(principal, role);
        })(),
      ),
  };
}

/** Allowed when one of the rules allows; otherwise the first rule's refusal. */
export const anyOf = (...rules: AccessRule[]): AccessRule =>
  combined(rules, '|', (decisions) => {
    let first: Decision | undefined;
    for (const decision of decisions) {
      if (decision === true) return true;
      first ??= decision;
    }
    return first ?? true;
  });

/** Allowed when every rule allows (e.g. what reads two kinds of data); otherwise the first refusal. */
export const allOf = (...rules: AccessRule[]): AccessRule =>
  combined(rules, '&', (decisions) => {
    for (const decision of decisions) if (decision !== true) return decision;
    return true;
  });

/** For a REST route inside the organization's scope (HttpRouteKit.withTenantScope): the rule's refusal, thrown. */
export function assertAllowed(accessRule: AccessRule, principal: Principal, role?: MemberRole | null): void {
  const decision = accessRule.decide(principal, role);
  if (decision !== true) throw decision;
}
