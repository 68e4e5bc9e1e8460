import { checkedThenReleased, hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/** The mailbox is the organization's configuration: ADMINs see and change it (members read tickets, not settings). */
export const emailChannelPermissions: PermissionTree = {
  Query: {
    emailChannel: hasRole(MemberRole.ADMIN),
  },
  Mutation: {
    configureEmailChannel: hasRole(MemberRole.ADMIN),
    // Decided before the resolver, which logs in to the mailbox with no transaction open.
    testEmailChannel: checkedThenReleased(hasRole(MemberRole.ADMIN)),
    removeEmailChannel: hasRole(MemberRole.ADMIN),
  },
};
