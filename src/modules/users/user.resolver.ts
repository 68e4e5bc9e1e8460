import { Policy, signedIn } from '../../core/authorization';
import { FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { CurrentUser, type UserPrincipal } from './current-user';
import { Membership } from './membership.entity';
import { User } from './user.entity';
import { UserService } from './user.service';

@Resolver(() => User)
export class UserResolver {
  constructor(private readonly userService: UserService) {}

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
}
