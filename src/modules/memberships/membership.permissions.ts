import { MemberRole } from '../users';
import { hasRole, signedIn, type PermissionTree } from './access-rules';

export const membershipPermissions: PermissionTree = {
  Query: {
    members: hasRole(MemberRole.VIEWER),
    invitations: hasRole(MemberRole.ADMIN),
  },
  Mutation: {
    inviteMember: hasRole(MemberRole.ADMIN),
    revokeInvitation: hasRole(MemberRole.ADMIN),
    updateMemberRole: hasRole(MemberRole.ADMIN),
    removeMember: hasRole(MemberRole.ADMIN),
    leaveOrganization: hasRole(MemberRole.VIEWER),
    acceptInvitation: signedIn,
  },
};
