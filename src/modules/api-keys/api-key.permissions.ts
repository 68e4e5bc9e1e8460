import { hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/** Keys are managed by people with ADMIN or OWNER; a key cannot mint keys. */
export const apiKeyPermissions: PermissionTree = {
  Query: { apiKeys: hasRole(MemberRole.ADMIN) },
  Mutation: { createApiKey: hasRole(MemberRole.ADMIN), revokeApiKey: hasRole(MemberRole.ADMIN) },
};
