import { hasRole, MemberRole, Policy, signedIn } from '../../core/authorization';
import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../core/http/request-context';
import type { ScopedTenant } from '../../core/tenancy/tenant-scope';
import { CurrentTenant, TenantManager } from '../../core/tenancy/tenant-request';
import { CurrentUser, Membership, type UserPrincipal } from '../users';
import { Invitation } from './invitation.entity';
import { Member } from './member.type';
import { InviteMemberArgs } from './membership.inputs';
import { MembershipService } from './membership.service';

/** Members and invitations of the organization in X-Organization-ID (who may do what: each field's @Policy). */
@Resolver()
export class MembershipResolver {
  constructor(private readonly memberships: MembershipService) {}

  @Policy(hasRole(MemberRole.VIEWER))
  @Query(() => [Member], { description: 'People in the organization, in the order they joined' })
  members(@TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Member[]> {
    return this.memberships.members(manager, tenant.id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Query(() => [Invitation], { description: 'Invitations not yet accepted, revoked or expired, newest first' })
  invitations(@TenantManager() manager: EntityManager, @CurrentTenant() tenant: ScopedTenant): Promise<Invitation[]> {
    return this.memberships.invitations(manager, tenant.id);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Invitation, {
    description: 'Email an invitation link (valid 7 days); a new one to the same address replaces the pending one',
  })
  inviteMember(
    @Args() { email, role }: InviteMemberArgs,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<Invitation> {
    return this.memberships.invite(manager, tenant, principal, email, role);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Boolean, { description: 'The invitation link stops working' })
  revokeInvitation(
    @Arg('id', () => ID) id: string,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<boolean> {
    return this.memberships.revokeInvitation(manager, tenant.id, id);
  }

  @Policy(signedIn)
  @Mutation(() => Membership, {
    description: 'Join with the token from an invitation link; the signed-in account must have the invited address',
  })
  acceptInvitation(@Arg('token') token: string, @CurrentUser() user: UserPrincipal): Promise<Membership> {
    return this.memberships.accept(user, token);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Member, { description: 'Only an OWNER grants or takes away OWNER; the last OWNER cannot be demoted' })
  updateMemberRole(
    @Arg('userId', () => ID) userId: string,
    @Arg('role', () => MemberRole) role: MemberRole,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<Member> {
    return this.memberships.updateRole(manager, tenant, principal, userId, role);
  }

  @Policy(hasRole(MemberRole.ADMIN))
  @Mutation(() => Boolean, { description: 'Only an OWNER removes an OWNER; the last OWNER cannot be removed' })
  removeMember(
    @Arg('userId', () => ID) userId: string,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
    @Ctx() { principal }: RequestContext,
  ): Promise<boolean> {
    return this.memberships.remove(manager, tenant, principal, userId);
  }

  @Policy(hasRole(MemberRole.VIEWER))
  @Mutation(() => Boolean, {
    description: 'Leave the organization in X-Organization-ID (the last OWNER must hand over first)',
  })
  leaveOrganization(
    @CurrentUser() user: UserPrincipal,
    @TenantManager() manager: EntityManager,
    @CurrentTenant() tenant: ScopedTenant,
  ): Promise<boolean> {
    return this.memberships.leave(manager, tenant, user);
  }
}
