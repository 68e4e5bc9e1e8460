import { canRead, type PermissionTree } from '../memberships';

/** The SLA report summarizes tickets: whoever reads tickets may read it (API keys: tickets:read). */
export const slaReportPermissions: PermissionTree = {
  Query: {
    slaReport: canRead('tickets'),
  },
};
