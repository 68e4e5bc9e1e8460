import { hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

export const onboardingPermissions: PermissionTree = {
  Query: { onboardingStatus: hasRole(MemberRole.VIEWER) },
  Mutation: { markOnboardingStep: hasRole(MemberRole.ADMIN) },
};
