export { Invitation } from './invitation.entity';
export { Member } from './member.type';
export { MembershipService, inviteTeamStep, INVITATION_LIFETIME_HOURS } from './membership.service';
export { MembershipResolver } from './membership.resolver';
export { membershipPermissions } from './membership.permissions';
export { roleAtLeast } from './member-role-rank';
export {
  everyone,
  signedIn,
  platformAdmin,
  inOrganization,
  hasRole,
  canRead,
  canWrite,
  needsOrganization,
  apiKeyScopesOf,
  and,
  or,
  type PermissionRule,
  type PermissionTree,
} from './access-rules';
