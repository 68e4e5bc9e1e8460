import { allow, or, rule } from 'graphql-shield';
import { ForbiddenError, InternalError, UnauthenticatedError } from '../../core/errors/app-error';
import type { Principal, RequestContext } from '../../core/http/request-context';
import { currentTenantScope } from '../../core/tenancy/tenant-scope';
import { MemberRole } from '../users';
import { roleAtLeast } from './member-role-rank';

/**
 * The vocabulary of the permission rule trees (`<domain>.permissions.ts`). Rules
 * return typed errors (shield runs with `allowExternalErrors`), so a refusal says
 * why: UNAUTHENTICATED for nobody, FORBIDDEN with a `reason` otherwise.
 */
export type PermissionRule = Parameters<typeof or>[number];

/** One module's rules: root fields only (type fields are not wrapped, so large lists stay fast). */
export interface PermissionTree {
  Query?: Record<string, PermissionRule>;
  Mutation?: Record<string, PermissionRule>;
}

type DataAccess = 'read' | 'write';

/** Roles and tenant data: VIEWER reads, MEMBER also writes. */
const MIN_ROLE_FOR: Record<DataAccess, MemberRole> = { read: MemberRole.VIEWER, write: MemberRole.MEMBER };

/** Rules that need the organization's scope (its transaction and the caller's role): the permission layer opens it first. */
const organizationRules = new WeakSet<object>();
/** The API key scope each data rule checks, e.g. `customers:read`. */
const scopeOfRule = new WeakMap<object, string>();

type Decision = true | Error;

const unauthenticated = () => new UnauthenticatedError();

/** Shield wants one instance per rule name: `hasRole(ADMIN)` in two trees is the same rule. */
const rulesByName = new Map<string, PermissionRule>();
/** Each rule's decision, so the permission layer can take it outside shield (`checkedThenReleased`). */
const decisionOfRule = new WeakMap<object, (principal: Principal) => Decision>();
/** `checkedThenReleased` markers and the organization rule each stands for. */
const releasedRules = new WeakMap<object, PermissionRule>();

function define(name: string, decide: (principal: Principal) => Decision): PermissionRule {
  let defined = rulesByName.get(name);
  if (!defined) {
    defined = rule(name, { cache: 'no_cache' })((_parent, _args, ctx: RequestContext) => decide(ctx.principal));
    rulesByName.set(name, defined);
    decisionOfRule.set(defined, decide);
  }
  return defined;
}

/** The caller's role in the organization in scope; a rule on a field without that scope is a wiring bug. */
function roleInScope(): MemberRole | Error {
  const tenant = currentTenantScope()?.tenant;
  if (!tenant?.memberRole) return new InternalError('Permission rule evaluated outside the organization scope');
  return tenant.memberRole as MemberRole;
}

function decideForOrganization(principal: Principal, decide: (principal: Principal) => Decision): Decision {
  if (principal.kind === 'anonymous') return unauthenticated();
  // Platform administrators act for any organization, as before roles existed.
  if (principal.kind === 'platform-admin') return true;
  return decide(principal);
}

function defineForOrganization(name: string, decide: (principal: Principal) => Decision): PermissionRule {
  const organizationRule = define(name, (principal) => decideForOrganization(principal, decide));
  organizationRules.add(organizationRule);
  return organizationRule;
}

function requireRole(minimum: MemberRole): Decision {
  const role = roleInScope();
  if (role instanceof Error) return role;
  if (roleAtLeast(role, minimum)) return true;
  return new ForbiddenError(`This needs the ${minimum} role or higher; you are ${role}`, { reason: 'INSUFFICIENT_ROLE', requiredRole: minimum });
}

/** For trees that accept either of two rules: `or(signedIn, platformAdmin)`. */
export { or };

/** Anyone, signed in or not: sign-up, sign-in, links from emails. */
export const everyone: PermissionRule = allow;

/** A person signed in with an access token (not an API key, not the admin secret). */
export const signedIn = define('signedIn', (principal) => {
  if (principal.kind === 'user') return true;
  if (principal.kind === 'anonymous') return unauthenticated();
  return new ForbiddenError('This operation needs a signed-in user', { reason: 'USER_REQUIRED' });
});

/** The break-glass operator (X-Admin-Secret). */
export const platformAdmin = define('platformAdmin', (principal) => {
  if (principal.kind === 'platform-admin') return true;
  if (principal.kind === 'anonymous') return unauthenticated();
  return new ForbiddenError('Platform administrators only', { reason: 'PLATFORM_ADMIN_REQUIRED' });
});

/** Anyone acting for the organization in X-Organization-ID: its members in any role and its own API keys. */
export const inOrganization = defineForOrganization('inOrganization', () => true);

/** People with at least `minimum` in the organization; API keys never (managing the organization is for people). */
export function hasRole(minimum: MemberRole): PermissionRule {
  return defineForOrganization(`hasRole:${minimum}`, (principal) => {
    if (principal.kind === 'api-key') return new ForbiddenError('API keys cannot do this; sign in as a person', { reason: 'API_KEY_NOT_ALLOWED' });
    return requireRole(minimum);
  });
}

function decideDataAccess(principal: Principal, resource: string, access: DataAccess): Decision {
  const scope = `${resource}:${access}`;
  if (principal.kind !== 'api-key') return requireRole(MIN_ROLE_FOR[access]);
  // A key that may write may read as well (as with Stripe's restricted keys).
  if (principal.scopes.includes(scope) || (access === 'read' && principal.scopes.includes(`${resource}:write`))) return true;
  return new ForbiddenError(`This API key lacks the ${scope} scope`, { reason: 'MISSING_SCOPE', requiredScope: scope });
}

function canUse(resource: string, access: DataAccess): PermissionRule {
  const dataRule = defineForOrganization(`can:${resource}:${access}`, (principal) => decideDataAccess(principal, resource, access));
  scopeOfRule.set(dataRule, `${resource}:${access}`);
  return dataRule;
}

/**
 * canRead / canWrite for a REST route, inside the organization's scope (HttpRouteKit.withTenantScope):
 * the same decision as the GraphQL rule, thrown when refused.
 */
export function assertDataAccess(principal: Principal, resource: string, access: DataAccess): void {
  const decision = decideForOrganization(principal, (p) => decideDataAccess(p, resource, access));
  if (decision !== true) throw decision;
}

/** Reading tenant data: VIEWER and up, or an API key with `<resource>:read` (or `:write`). */
export const canRead = (resource: string) => canUse(resource, 'read');

/** Changing tenant data: MEMBER and up, or an API key with `<resource>:write`. */
export const canWrite = (resource: string) => canUse(resource, 'write');

/**
 * For a resolver that waits on a slow network call (an LLM): `organizationRule` is decided in
 * the organization's scope as usual, but that transaction closes before the resolver runs, so
 * no pooled connection waits on the network; the resolver opens its own transactions
 * (`runInRequestTenantScope`). Takes one organization rule (canRead, canWrite, hasRole).
 */
export function checkedThenReleased(organizationRule: PermissionRule): PermissionRule {
  if (!organizationRules.has(organizationRule)) throw new Error('checkedThenReleased takes one organization rule');
  const name = `released:${(organizationRule as { name: string }).name}`;
  let marker = rulesByName.get(name);
  if (!marker) {
    // The permission layer decides in its place; were shield ever to run the marker itself, it refuses.
    marker = rule(name, { cache: 'no_cache' })(() => new InternalError(`${name} must be applied by the permission layer`));
    rulesByName.set(name, marker);
    releasedRules.set(marker, organizationRule);
  }
  return marker;
}

/** What a `checkedThenReleased` marker decides (in the organization's scope); undefined for other rules. */
export function releasedDecisionOf(permissionRule: PermissionRule): ((principal: Principal) => Decision) | undefined {
  const organizationRule = releasedRules.get(permissionRule);
  return organizationRule && decisionOfRule.get(organizationRule);
}

function childrenOf(permissionRule: PermissionRule): PermissionRule[] {
  const released = releasedRules.get(permissionRule);
  if (released) return [released];
  return 'getRules' in permissionRule ? permissionRule.getRules() : [];
}

/** Whether the rule (or any rule it combines) must run inside the organization's scope. */
export function needsOrganization(permissionRule: PermissionRule): boolean {
  return organizationRules.has(permissionRule) || releasedRules.has(permissionRule) || childrenOf(permissionRule).some(needsOrganization);
}

/** The API key scopes these rules check: exactly what a key may be granted. */
export function apiKeyScopesOf(rules: Iterable<PermissionRule>): string[] {
  const scopes = new Set<string>();
  const visit = (r: PermissionRule) => {
    const scope = scopeOfRule.get(r);
    if (scope) scopes.add(scope);
    childrenOf(r).forEach(visit);
  };
  for (const r of rules) visit(r);
  return [...scopes].sort();
}
