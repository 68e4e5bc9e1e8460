import { inOrganization, or, platformAdmin, signedIn, type PermissionTree } from '../memberships';

export const tenantPermissions: PermissionTree = {
  Query: {
    tenant: inOrganization,
    tenants: platformAdmin,
  },
  Mutation: {
    // A signed-in user becomes the OWNER of what they create (their email must be verified).
    createTenant: or(signedIn, platformAdmin),
    suspendTenant: platformAdmin,
    activateTenant: platformAdmin,
    archiveTenant: platformAdmin,
    deleteTenant: platformAdmin,
  },
};
