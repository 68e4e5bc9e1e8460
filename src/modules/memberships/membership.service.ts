import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { rawWrite } from '../../core/database/raw-write';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
import { isUuid } from '../../core/tenancy/tenant-schema';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import { hashSecureToken, newSecureToken } from '../auth';
import type { OnboardingStepDefinition } from '../onboarding';
import type { EntitlementService } from '../plans';
import { MemberRole, roleAtLeast } from '../../core/authorization/member-role';
import { setEventActor } from '../../core/events';
import { Membership, recordMemberEvent, type UserPrincipal, type UserService } from '../users';
import { Invitation } from './invitation.entity';
import { Member } from './member.type';

const INVITATION_LIFETIME_HOURS = 7 * 24;

export interface MembershipServiceDependencies {
  dataSource: DataSource;
  config: Pick<AppConfig, 'frontendUrl' | 'productName'>;
  users: UserService;
  outbox: MailOutbox;
  templates: MailTemplates;
  /** The plan's `team_members` limit: people who join by invitation take a slot, and free it when they go. */
  entitlements: Pick<EntitlementService, 'consume' | 'release'>;
}

export interface MemberRow {
  user_id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: MemberRole;
  created_at: Date;
}

export const MEMBER_COLUMNS = 'm.user_id, u.email, u.first_name, u.last_name, m.role, m.created_at';

export const toMember = (row: MemberRow): Member =>
  Object.assign(new Member(), {
    id: row.user_id,
    userId: row.user_id,
    name: `${row.first_name} ${row.last_name}`.trim(),
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    role: row.role,
    joinedAt: row.created_at,
  });

const invalidInvitation = () =>
  new BadUserInputError('This invitation is invalid, used, revoked or expired', { reason: 'INVALID_TOKEN' });

/**
 * Who belongs to an organization and as what. Methods taking a manager run in the
 * tenant's transaction (opened with the caller's role, `tenant.memberRole`); the
 * tables are in `public` and named schema-qualified.
 *
 * Ownership: only an OWNER grants OWNER or changes or removes an OWNER, and an
 * organization always keeps one OWNER (CONFLICT `LAST_OWNER`). Platform
 * administrators act as owners.
 */
export class MembershipService {
  constructor(private readonly deps: MembershipServiceDependencies) {}

  async members(manager: EntityManager, tenantId: string): Promise<Member[]> {
    const rows: MemberRow[] = await manager.query(
      `SELECT ${MEMBER_COLUMNS} FROM public.memberships m JOIN public.users u ON u.id = m.user_id
        WHERE m.tenant_id = $1 ORDER BY m.created_at, u.email`,
      [tenantId],
    );
    return rows.map(toMember);
  }

  /** Invitations not yet accepted, revoked or expired; newest first. */
  invitations(manager: EntityManager, tenantId: string): Promise<Invitation[]> {
    return manager
      .createQueryBuilder(Invitation, 'i')
      .where('i.tenantId = :tenantId AND i.acceptedAt IS NULL AND i.revokedAt IS NULL AND i.expiresAt > now()', {
        tenantId,
      })
      .orderBy('i.createdAt', 'DESC')
      .getMany();
  }

  /**
   * Records the invitation and its mail in the caller's transaction. A new invitation
   * to the same address replaces the pending one (its link stops working).
   */
  async invite(
    manager: EntityManager,
    tenant: ScopedTenant,
    actor: Principal,
    email: string,
    role: MemberRole,
  ): Promise<Invitation> {
    if (actor.kind === 'user') await this.deps.users.requireVerifiedEmail(actor); // mail to third parties: no unconfirmed senders
    assertMayAssign(actorRole(tenant, actor), role);
    const address = email.trim();
    const [member] = await manager.query(
      `SELECT 1 FROM public.memberships m JOIN public.users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND lower(u.email) = lower($2)`,
      [tenant.id, address],
    );
    if (member) throw new ConflictError('This person is already a member', { reason: 'ALREADY_MEMBER' });
    await manager.query(
      `UPDATE public.invitations SET revoked_at = now()
        WHERE tenant_id = $1 AND lower(email) = lower($2) AND accepted_at IS NULL AND revoked_at IS NULL`,
      [tenant.id, address],
    );
    const { token, hash } = newSecureToken();
    const invitedBy = actor.kind === 'user' ? actor.userId : null;
    const invitation = await manager.save(
      manager.create(Invitation, {
        tenantId: tenant.id,
        email: address,
        role,
        tokenHash: hash,
        invitedBy,
        expiresAt: new Date(Date.now() + INVITATION_LIFETIME_HOURS * 3_600_000),
      }),
    );
    const [{ organization, inviter }]: { organization: string; inviter: string | null }[] = await manager.query(
      `SELECT t.name AS organization, (SELECT u.first_name || ' ' || u.last_name FROM public.users u WHERE u.id = $2) AS inviter
         FROM public.tenants t WHERE t.id = $1`,
      [tenant.id, invitedBy],
    );
    await this.deps.outbox.enqueue(manager, {
      idempotencyKey: `invitation:${invitation.id}`,
      to: address,
      ...this.deps.templates.invitation({
        inviterName: inviter ?? `The ${this.deps.config.productName} team`,
        organizationName: organization,
        role,
        link: `${this.deps.config.frontendUrl}/accept-invitation?token=${encodeURIComponent(token)}`,
        expiresInHours: INVITATION_LIFETIME_HOURS,
      }),
    });
    return invitation;
  }

  async revokeInvitation(manager: EntityManager, tenantId: string, invitationId: string): Promise<boolean> {
    const { affected } = isUuid(invitationId)
      ? await rawWrite(
          manager,
          `UPDATE public.invitations SET revoked_at = now()
            WHERE id = $1 AND tenant_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL`,
          [invitationId, tenantId],
        )
      : { affected: 0 };
    if (!affected) throw new NotFoundError('Invitation', invitationId);
    return true;
  }

  /**
   * The signed-in user joins with the invitation's role. Only the account whose email
   * the invitation was sent to may accept it (someone without an account signs up
   * first, then follows the link again). Following the mailed link also proves that
   * address, so it counts as verified.
   */
  async accept(principal: UserPrincipal, token: string): Promise<Membership> {
    return this.deps.dataSource.transaction(async (manager) => {
      const [invitation]: {
        id: string;
        tenant_id: string;
        email: string;
        role: MemberRole;
        expires_at: Date;
        status: string;
      }[] = await manager.query(
        `SELECT i.id, i.tenant_id, i.email, i.role, i.expires_at, t.status
             FROM public.invitations i JOIN public.tenants t ON t.id = i.tenant_id
            WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
              FOR UPDATE OF i`,
        [hashSecureToken(token)],
      );
      if (!invitation || invitation.expires_at.getTime() <= Date.now()) throw invalidInvitation();
      if (invitation.status !== 'ACTIVE') {
        throw new ForbiddenError(`Organization is ${invitation.status.toLowerCase()}`, {
          reason: `TENANT_${invitation.status}`,
        });
      }
      const [account]: { email: string }[] = await manager.query('SELECT email FROM public.users WHERE id = $1', [
        principal.userId,
      ]);
      if (account?.email.toLowerCase() !== invitation.email.toLowerCase()) {
        throw new ForbiddenError('This invitation was sent to another email address; sign in with that account', {
          reason: 'INVITATION_EMAIL_MISMATCH',
        });
      }
      await this.deps.entitlements.consume(manager, invitation.tenant_id, 'team_members');
      const joined: unknown[] = await manager.query(
        `INSERT INTO public.memberships (tenant_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING user_id`,
        [invitation.tenant_id, principal.userId, invitation.role],
      );
      if (!joined.length)
        throw new ConflictError('You are already a member of this organization', { reason: 'ALREADY_MEMBER' });
      await manager.query('UPDATE public.invitations SET accepted_at = now(), accepted_by = $2 WHERE id = $1', [
        invitation.id,
        principal.userId,
      ]);
      await manager.query(
        'UPDATE public.users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1',
        [principal.userId],
      );
      // Outside any organization scope: the joining user acts, in the invitation's organization.
      await setEventActor(manager, `user:${principal.userId}`);
      const joinedAs = { userId: principal.userId, before: null, after: invitation.role };
      await recordMemberEvent(manager, 'member.joined', joinedAs, invitation.tenant_id);
      return manager.findOneOrFail(Membership, {
        where: { tenantId: invitation.tenant_id, userId: principal.userId },
        relations: { tenant: true },
      });
    });
  }

  async updateRole(
    manager: EntityManager,
    tenant: ScopedTenant,
    actor: Principal,
    userId: string,
    role: MemberRole,
  ): Promise<Member> {
    const byRole = actorRole(tenant, actor);
    assertMayAssign(byRole, role);
    const current = await this.lockForChange(manager, tenant.id, userId);
    assertMayManage(byRole, current.role);
    if (current.role === MemberRole.OWNER && role !== MemberRole.OWNER)
      await this.assertNotLastOwner(manager, tenant.id);
    const [row]: MemberRow[] = await manager.query(
      `WITH changed AS (UPDATE public.memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2 RETURNING *)
       SELECT ${MEMBER_COLUMNS} FROM changed m JOIN public.users u ON u.id = m.user_id`,
      [tenant.id, userId, role],
    );
    if (current.role !== role)
      await recordMemberEvent(manager, 'member.role_changed', { userId, before: current.role, after: role }, tenant.id);
    return toMember(row);
  }

  async remove(manager: EntityManager, tenant: ScopedTenant, actor: Principal, userId: string): Promise<boolean> {
    const current = await this.lockForChange(manager, tenant.id, userId);
    assertMayManage(actorRole(tenant, actor), current.role);
    if (current.role === MemberRole.OWNER) await this.assertNotLastOwner(manager, tenant.id);
    await this.deleteMembership(manager, tenant.id, userId);
    return true;
  }

  /** Leaving needs no other permission than membership; the last OWNER must hand over first. */
  async leave(manager: EntityManager, tenant: ScopedTenant, principal: UserPrincipal): Promise<boolean> {
    const current = await this.lockForChange(manager, tenant.id, principal.userId);
    if (current.role === MemberRole.OWNER) await this.assertNotLastOwner(manager, tenant.id);
    await this.deleteMembership(manager, tenant.id, principal.userId);
    return true;
  }

  /**
   * The first OWNER of an organization a platform admin provisions (in its transaction): an existing
   * account joins at once, anyone else is invited by email.
   */
  async addFirstOwner(manager: EntityManager, tenant: ScopedTenant, email: string): Promise<'ADDED' | 'INVITED'> {
    const user = await this.deps.users.findByEmail(email, { manager });
    if (!user) {
      await this.invite(manager, tenant, { kind: 'platform-admin' }, email, MemberRole.OWNER);
      return 'INVITED';
    }
    await this.setProviderRole(manager, tenant.id, user.id, MemberRole.OWNER);
    return 'ADDED';
  }

  /**
   * A membership an identity provider asserts (token claims, webhooks). An OWNER stays OWNER unless the
   * provider makes someone OWNER explicitly: ownership is granted here, not by a provider role. No write when
   * nothing changes.
   */
  async setProviderRole(manager: EntityManager, tenantId: string, userId: string, role: MemberRole): Promise<void> {
    await manager.query(
      `INSERT INTO public.memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role
        WHERE memberships.role <> EXCLUDED.role AND (memberships.role <> 'OWNER' OR EXCLUDED.role = 'OWNER')`,
      [tenantId, userId, role],
    );
  }

  /** The provider removed the member: it wins, even over the last-owner rule (the provider owns the organization). */
  async removeProviderMember(manager: EntityManager, tenantId: string, userId: string): Promise<void> {
    await this.deleteMembership(manager, tenantId, userId);
  }

  /** Someone who joined by invitation frees a `team_members` slot; the organization's creator never took one. */
  private async deleteMembership(manager: EntityManager, tenantId: string, userId: string): Promise<void> {
    const [row]: { invited: boolean; role: MemberRole }[] = await manager.query(
      `WITH gone AS (
         DELETE FROM public.memberships WHERE tenant_id = $1 AND user_id = $2 RETURNING tenant_id, user_id, role
       )
       SELECT gone.role, EXISTS (
         SELECT 1 FROM public.invitations i WHERE i.tenant_id = gone.tenant_id AND i.accepted_by = gone.user_id
       ) AS invited FROM gone`,
      [tenantId, userId],
    );
    if (!row) return;
    if (row.invited) await this.deps.entitlements.release(manager, tenantId, 'team_members');
    // Named: the provider's webhooks remove members outside any tenant scope.
    await recordMemberEvent(manager, 'member.removed', { userId, before: row.role, after: null }, tenantId);
  }

  /**
   * Locks the organization's OWNER rows (always in the same order), then the member's row:
   * two concurrent demotions of two owners are serialised, so one of them sees the other
   * and the organization cannot end up without an owner.
   */
  private async lockForChange(manager: EntityManager, tenantId: string, userId: string): Promise<{ role: MemberRole }> {
    await manager.query(
      `SELECT user_id FROM public.memberships WHERE tenant_id = $1 AND role = 'OWNER' ORDER BY user_id FOR UPDATE`,
      [tenantId],
    );
    const [row]: { role: MemberRole }[] = isUuid(userId)
      ? await manager.query('SELECT role FROM public.memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE', [
          tenantId,
          userId,
        ])
      : [];
    if (!row) throw new NotFoundError('Member', userId);
    return row;
  }

  private async assertNotLastOwner(manager: EntityManager, tenantId: string): Promise<void> {
    const [{ owners }]: { owners: number }[] = await manager.query(
      `SELECT count(*)::int AS owners FROM public.memberships WHERE tenant_id = $1 AND role = 'OWNER'`,
      [tenantId],
    );
    if (owners <= 1)
      throw new ConflictError('An organization needs an owner: make someone else OWNER first', {
        reason: 'LAST_OWNER',
      });
  }
}

/** What the caller counts as here: their membership role; platform administrators act as owners. */
function actorRole(tenant: ScopedTenant, actor: Principal): MemberRole {
  if (actor.kind === 'user' && tenant.memberRole) return tenant.memberRole as MemberRole;
  if (actor.kind === 'platform-admin') return MemberRole.OWNER;
  throw new ForbiddenError('Only members manage members', { reason: 'USER_REQUIRED' });
}

const ownerRequired = () =>
  new ForbiddenError('Only an OWNER can grant, change or remove ownership', { reason: 'OWNER_REQUIRED' });

function assertMayAssign(byRole: MemberRole, role: MemberRole): void {
  if (role === MemberRole.OWNER && !roleAtLeast(byRole, MemberRole.OWNER)) throw ownerRequired();
}

function assertMayManage(byRole: MemberRole, targetRole: MemberRole): void {
  if (targetRole === MemberRole.OWNER && !roleAtLeast(byRole, MemberRole.OWNER)) throw ownerRequired();
}

/** Onboarding: done once anyone was invited. */
export const inviteTeamStep: OnboardingStepDefinition = {
  key: 'invite-team',
  title: 'Invite a team member',
  completedAt: async (manager, tenant) =>
    (await manager.query('SELECT min(created_at) AS at FROM public.invitations WHERE tenant_id = $1', [tenant.id]))[0]
      .at,
};
