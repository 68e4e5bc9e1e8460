import { registerEnumType } from 'type-graphql';

/** A user's role in one organization (`public.memberships.role`). */
export enum MemberRole {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}
registerEnumType(MemberRole, { name: 'MemberRole', description: 'Role of a user in an organization' });
