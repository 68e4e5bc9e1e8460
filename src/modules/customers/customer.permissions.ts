import { canRead, canWrite, type PermissionTree } from '../memberships';

/** Customers are tenant data: VIEWER reads, MEMBER writes; API keys need customers:read / customers:write. */
export const customerPermissions: PermissionTree = {
  Query: {
    customer: canRead('customers'),
    customers: canRead('customers'),
  },
  Mutation: {
    createCustomer: canWrite('customers'),
    updateCustomer: canWrite('customers'),
    deleteCustomer: canWrite('customers'),
  },
};
