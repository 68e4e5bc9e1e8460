import { platformAdmin, signedIn, type PermissionTree } from '../memberships';

export const userPermissions: PermissionTree = {
  Query: { me: signedIn },
  Mutation: { suspendUser: platformAdmin, reinstateUser: platformAdmin, deleteUser: platformAdmin },
};
