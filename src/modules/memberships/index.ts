export { Invitation } from './invitation.entity';
export { MembershipService, inviteTeamStep } from './membership.service';
export { MembershipResolver } from './membership.resolver';
export { membershipPermissions } from './membership.permissions';
export {
  everyone,
  signedIn,
  platformAdmin,
  inOrganization,
  hasRole,
  canRead,
  canWrite,
  or,
  needsOrganization,
  apiKeyScopesOf,
  assertDataAccess,
  checkedThenReleased,
  releasedDecisionOf,
  type PermissionRule,
  type PermissionTree,
} from './access-rules';
