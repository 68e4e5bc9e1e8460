import { oneEach } from '../../core/graphql/relations';
import { defineBatchLoad } from '../../core/tenancy/operation-scope';
import type { Member } from './member.type';
import { MEMBER_COLUMNS, toMember, type MemberRow } from './membership.service';

/**
 * Users as members of the operation's organization (null for a user who is not, or no longer, one):
 * one query per batch, and only this organization's membership is read, so no other
 * organization's ids can appear below a Member.
 */
export const memberByUserId = defineBatchLoad<string, Member | null>(async ({ manager, tenant }, userIds) => {
  const rows: MemberRow[] = await manager.query(
    `SELECT ${MEMBER_COLUMNS} FROM public.memberships m JOIN public.users u ON u.id = m.user_id
      WHERE m.tenant_id = $1 AND m.user_id = ANY($2::uuid[])`,
    [tenant.id, userIds],
  );
  return oneEach(userIds, rows.map(toMember), (member) => member.userId);
});
