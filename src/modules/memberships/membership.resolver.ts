import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager, TenantScoped } from '../../core/tenancy/tenant-scoped.middleware';
import { CurrentUser, MemberRole, Membership, type UserPrincipal } from '../users';
import { Invitation } from './invitation.entity';
import { Member } from './member.type';
import { InviteMemberArgs } from './membership.inputs';
import { MembershipService } from './membership.service';

/** Members and invitations of the organization in X-Organization-ID (who may do what: membership.permissions.ts). */
@Resolver()
export class MembershipResolver {
  constructor(private readonly memberships: MembershipService) {}

  @Query(() => [Member], { description: 'People in the organization, in the order they joined' })
  @TenantScoped()
  members(@TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Member[]> {
    return this.memberships.members(manager, tenant.id);
  }

  @Query(() => [Invitation], { description: 'Invitations not yet accepted, revoked or expired, newest first' })
  @TenantScoped()
  invitations(@TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Invitation[]> {
    return this.memberships.invitations(manager, tenant.id);
  }

  @Mutation(() => Invitation, { description: 'Email an invitation link (valid 7 days); a new one to the same address replaces the pending one' })
  @TenantScoped()
  inviteMember(
    @Args() { email, role }: InviteMemberArgs,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<Invitation> {
    return this.memberships.invite(manager, tenant, principal, email, role);
  }

  @Mutation(() => Boolean, { description: 'The invitation link stops working' })
  @TenantScoped()
  revokeInvitation(@Arg('id', () => ID) id: string, @TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<boolean> {
    return this.memberships.revokeInvitation(manager, tenant.id, id);
  }

  @Mutation(() => Membership, { description: 'Join with the token from an invitation link; the signed-in account must have the invited address' })
  acceptInvitation(@Arg('token') token: string, @CurrentUser() user: UserPrincipal): Promise<Membership> {
    return this.memberships.accept(user, token);
  }

  @Mutation(() => Member, { description: 'Only an OWNER grants or takes away OWNER; the last OWNER cannot be demoted' })
  @TenantScoped()
  updateMemberRole(
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => MemberRole) role: MemberRole,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<Member> {
    return this.memberships.updateRole(manager, tenant, principal, userId, role);
  }

  @Mutation(() => Boolean, { description: 'Only an OWNER removes an OWNER; the last OWNER cannot be removed' })
  @TenantScoped()
  removeMember(
    @Arg('userId', () => ID) userId: string,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<boolean> {
    return this.memberships.remove(manager, tenant, principal, userId);
  }

  @Mutation(() => Boolean, { description: 'Leave the organization in X-Organization-ID (the last OWNER must hand over first)' })
  @TenantScoped()
  leaveOrganization(@CurrentUser() user: UserPrincipal, @TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<boolean> {
    return this.memberships.leave(manager, tenant, user);
  }
}
