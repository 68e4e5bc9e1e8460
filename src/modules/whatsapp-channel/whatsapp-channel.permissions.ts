import { hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/** The channel is organization configuration: members see its state, ADMINs connect and remove it. */
export const whatsAppChannelPermissions: PermissionTree = {
  Query: { whatsAppChannel: hasRole(MemberRole.VIEWER) },
  Mutation: {
    configureWhatsAppChannel: hasRole(MemberRole.ADMIN),
    removeWhatsAppChannel: hasRole(MemberRole.ADMIN),
  },
};
