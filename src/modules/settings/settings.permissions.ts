import { hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

export const settingsPermissions: PermissionTree = {
  Query: { tenantSettings: hasRole(MemberRole.VIEWER) },
  Mutation: { updateTenantSettings: hasRole(MemberRole.ADMIN) },
};
