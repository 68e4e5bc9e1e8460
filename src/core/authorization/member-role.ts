import { registerEnumType } from 'type-graphql';

/** A user's role in one organization (`public.memberships.role`): the one role type of the code base. */
export enum MemberRole {
  OWNER = 'OWNER',
  ADMIN = 'ADMIN',
  MEMBER = 'MEMBER',
  VIEWER = 'VIEWER',
}
registerEnumType(MemberRole, { name: 'MemberRole', description: 'Role of a user in an organization' });

/** Each role can do everything the roles below it can. */
const RANK: Record<MemberRole, number> = {
  [MemberRole.VIEWER]: 1,
  [MemberRole.MEMBER]: 2,
  [MemberRole.ADMIN]: 3,
  [MemberRole.OWNER]: 4,
};

export function roleAtLeast(role: MemberRole, minimum: MemberRole): boolean {
  return RANK[role] >= RANK[minimum];
}
