export { MemberRole, roleAtLeast } from './member-role';
export {
  allOf,
  anyOf,
  assertAllowed,
  canRead,
  canWrite,
  everyone,
  hasRole,
  inOrganization,
  platformAdmin,
  signedIn,
  type AccessRule,
  type Decision,
} from './access-rule';
export { apiKeyScopesOf, Policy, POLICY_EXTENSION, type FieldPolicy, type ScopeKind } from './policy';
export { applyPolicies } from './apply-policies';
