export { Invitation } from './invitation.entity';
export { MembershipService, inviteTeamStep } from './membership.service';
export { MembershipResolver } from './membership.resolver';
export { Member } from './member.type';
export { memberByUserId } from './member.loader';
