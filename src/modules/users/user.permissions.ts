import { signedIn, type PermissionTree } from '../memberships';

export const userPermissions: PermissionTree = {
  Query: { me: signedIn },
};
