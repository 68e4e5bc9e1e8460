import { Extensions, getMetadataStorage } from 'type-graphql';
import type { AccessRule } from './access-rule';

/**
 * Where a field runs: `organization` in the operation's tenant scope (opened by the first such field,
 * held until the whole result is resolved), `released` decided in a short scope of its own and then run
 * with no connection held (the resolver opens short transactions: an LLM call, an IMAP login), `none`
 * outside any tenant.
 */
export type ScopeKind = 'organization' | 'released' | 'none';

export interface FieldPolicy {
  rule: AccessRule;
  scope: ScopeKind;
}

/** The key of a field's policy in its GraphQL `extensions` (read by applyPolicies). */
export const POLICY_EXTENSION = 'policy';

export interface PolicyOptions {
  /** The resolver must not hold a pooled connection while it runs (it waits on the network). */
  released?: boolean;
}

/**
 * The one declaration of who may call a field, on its resolver method: `@Policy(canRead('customers'))`.
 * The scope kind follows from the rule (organization rules need the organization's scope) unless
 * `released`. A root field without one is refused (deny by default).
 */
export function Policy(rule: AccessRule, options: PolicyOptions = {}): MethodDecorator {
  if (options.released && !rule.needsOrganization)
    throw new Error(`A released policy takes an organization rule, not ${rule.name}`);
  const scope: ScopeKind = options.released ? 'released' : rule.needsOrganization ? 'organization' : 'none';
  const policy: FieldPolicy = { rule, scope };
  return Extensions({ [POLICY_EXTENSION]: policy });
}

/** The API-key scopes the policies of these resolver classes check: exactly what a key may be granted. */
export function apiKeyScopesOf(resolverClasses: readonly Function[]): string[] {
  const classes = new Set(resolverClasses);
  const scopes = getMetadataStorage()
    .fieldExtensions.filter((meta) => classes.has(meta.target))
    .flatMap((meta) => (meta.extensions[POLICY_EXTENSION] as FieldPolicy | undefined)?.rule.apiKeyScopes ?? []);
  return [...new Set(scopes)].sort();
}
