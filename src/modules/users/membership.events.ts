import type { EntityManager } from 'typeorm';
import { recordEvent } from '../../core/events';
import type { MemberRole } from '../../core/authorization/member-role';

/**
 * A member's events (payload v1): who (user id) and their role, the role change for the audit log
 * (null before joining, null after leaving). `tenantId` only outside an organization scope (sign-up, accepting an
 * invitation). Here, beside the memberships table's entity, for the modules that change it (auth, memberships).
 */
export function recordMemberEvent(
  em: EntityManager,
  type: 'member.joined' | 'member.removed' | 'member.role_changed',
  member: { userId: string; before: MemberRole | null; after: MemberRole | null },
  tenantId?: string,
): Promise<void> {
  return recordEvent(em, {
    type,
    entityId: member.userId,
    tenantId,
    payload: { userId: member.userId, role: member.after ?? member.before, previousRole: member.before },
    changes: [{ field: 'role', before: member.before, after: member.after }],
  });
}
