import { platformAdmin, type PermissionTree } from '../memberships';

export const jobPermissions: PermissionTree = {
  Query: { jobs: platformAdmin },
};
