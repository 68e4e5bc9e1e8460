import { canRead, canWrite, type PermissionTree } from '../memberships';

/** The catalog is tenant data: VIEWER reads, MEMBER writes; API keys need products:read / products:write. */
export const productPermissions: PermissionTree = {
  Query: {
    product: canRead('products'),
    products: canRead('products'),
  },
  Mutation: {
    createProduct: canWrite('products'),
    updateProduct: canWrite('products'),
  },
};
