import { hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/** Billing is for the organization's OWNERs and ADMINs (people, not API keys). */
export const paymentPermissions: PermissionTree = {
  Query: {
    paymentMethods: hasRole(MemberRole.ADMIN),
    paymentTransactions: hasRole(MemberRole.ADMIN),
  },
  Mutation: {
    createSetupIntent: hasRole(MemberRole.ADMIN),
    setDefaultPaymentMethod: hasRole(MemberRole.ADMIN),
    detachPaymentMethod: hasRole(MemberRole.ADMIN),
    changePlan: hasRole(MemberRole.ADMIN),
    initiatePayment: hasRole(MemberRole.ADMIN),
    verifyPayment: hasRole(MemberRole.ADMIN),
  },
};
