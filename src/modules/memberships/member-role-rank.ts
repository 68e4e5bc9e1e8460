import { MemberRole } from '../users';

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
