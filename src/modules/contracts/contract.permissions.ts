import { canRead, canWrite, type PermissionTree } from '../memberships';

/** Contracts are tenant data: VIEWER reads, MEMBER writes; API keys need contracts:read / contracts:write. */
export const contractPermissions: PermissionTree = {
  Query: {
    contract: canRead('contracts'),
    contracts: canRead('contracts'),
  },
  Mutation: {
    generateContractFromQuote: canWrite('contracts'),
    activateContract: canWrite('contracts'),
    terminateContract: canWrite('contracts'),
    generateQuoteFromContract: canWrite('contracts'),
  },
};
