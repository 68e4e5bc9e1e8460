import { everyone, signedIn, type PermissionTree } from '../memberships';

/** Signing up and in, and the links mailed to people who cannot sign in yet, are open to everyone. */
export const authPermissions: PermissionTree = {
  Query: { sessions: signedIn },
  Mutation: {
    register: everyone,
    login: everyone,
    refreshToken: everyone,
    logout: everyone,
    verifyEmail: everyone,
    requestPasswordReset: everyone,
    resetPassword: everyone,
    logoutAllSessions: signedIn,
    revokeSession: signedIn,
    resendVerificationEmail: signedIn,
  },
};
