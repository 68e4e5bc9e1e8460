import { everyone, hasRole, inOrganization, platformAdmin, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/**
 * The catalogue is public (pricing pages). The organization's subscription and usage are
 * for its members; `entitlement` also answers its API keys (an integration may check
 * before it acts). Limits and features are changed by platform administrators.
 */
export const planPermissions: PermissionTree = {
  Query: {
    plans: everyone,
    planLimits: everyone,
    subscription: hasRole(MemberRole.VIEWER),
    usage: hasRole(MemberRole.VIEWER),
    entitlement: inOrganization,
  },
  Mutation: {
    setPlanLimit: platformAdmin,
    setPlanFeature: platformAdmin,
  },
};
