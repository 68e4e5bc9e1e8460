import { canRead, canWrite, hasRole, type PermissionTree } from '../memberships';
import { MemberRole } from '../users';

/**
 * Tickets are tenant data: VIEWER reads, MEMBER writes; API keys need tickets:read / tickets:write.
 * SLA policies are the organization's configuration: ADMINs set them.
 */
export const ticketPermissions: PermissionTree = {
  Query: {
    ticket: canRead('tickets'),
    tickets: canRead('tickets'),
    slaPolicies: canRead('tickets'),
  },
  Mutation: {
    createTicket: canWrite('tickets'),
    updateTicket: canWrite('tickets'),
    assignTicket: canWrite('tickets'),
    addTicketMessage: canWrite('tickets'),
    createSlaPolicy: hasRole(MemberRole.ADMIN),
  },
};
