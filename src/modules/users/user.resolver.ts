import { Arg, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { platformAdmin, Policy, signedIn } from '../../core/authorization';
import { CurrentUser, type UserPrincipal } from './current-user';
import { Membership } from './membership.entity';
import { User } from './user.entity';
import type { UserAdminService } from './user-admin.service';
import { UserService } from './user.service';

@Resolver(() => User)
export class UserResolver {
  constructor(
    private readonly userService: UserService,
    private readonly admin: UserAdminService,
  ) {}

  @Policy(signedIn)
  @Query(() => User, { description: 'The signed-in user' })
  me(@CurrentUser() principal: UserPrincipal): Promise<User> {
    return this.userService.getSignedIn(principal.userId);
  }

  // Public data, no tenant transaction involved: loading it lazily here is safe.
  @FieldResolver(() => [Membership], { description: 'Organizations the user belongs to, oldest first' })
  memberships(@Root() user: User): Promise<Membership[]> {
    return this.userService.memberships(user.id);
  }

  @Policy(platformAdmin)
  @Mutation(() => User, {
    description: "Platform admin: refuse the user's sign-ins and end their sessions (access tokens included)",
  })
  suspendUser(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason?: string,
  ): Promise<User> {
    return this.admin.suspend(id, reason);
  }

  @Policy(platformAdmin)
  @Mutation(() => User, { description: 'Platform admin: let a suspended user sign in again' })
  reinstateUser(@Arg('id', () => ID) id: string): Promise<User> {
    return this.admin.reinstate(id);
  }

  @Policy(platformAdmin)
  @Mutation(() => Boolean, {
    description: "Platform admin: delete the user, memberships and sessions too (not an organization's last owner)",
  })
  deleteUser(@Arg('id', () => ID) id: string): Promise<boolean> {
    return this.admin.delete(id);
  }
}
