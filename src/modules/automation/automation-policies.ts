import { canRead, canWrite, hasRole, MemberRole, type AccessRule } from '../../core/authorization';

/** People by their role, API keys by their scope. */
const peopleOrKeys = (name: string, people: AccessRule, keys: AccessRule): AccessRule => ({
  name,
  needsOrganization: true,
  apiKeyScopes: keys.apiKeyScopes,
  decide: (principal, role) => (principal.kind === 'api-key' ? keys : people).decide(principal, role),
});

/** Managing rules: ADMIN and up, or an API key with `automation:write`. */
export const manageAutomation = peopleOrKeys('automation:manage', hasRole(MemberRole.ADMIN), canWrite('automation'));

/** Previewing a rule on a ticket: MEMBER and up, or an API key with `automation:read` (or `:write`). */
export const previewAutomation = peopleOrKeys('automation:preview', hasRole(MemberRole.MEMBER), canRead('automation'));
