export { User } from './user.entity';
export { Membership } from './membership.entity';
export { recordMemberEvent } from './membership.events';
export { MemberRole } from '../../core/authorization/member-role';
export { UserService } from './user.service';
export { UserAdminService } from './user-admin.service';
export { UserResolver } from './user.resolver';
export { CurrentUser, type UserPrincipal } from './current-user';
