import { everyone, Policy, signedIn } from '../../core/authorization';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../core/http/request-context';
import { Tenant } from '../tenants';
import { CurrentUser, type UserPrincipal } from '../users';
import { LoginInput, RegisterInput } from './auth.inputs';
import { AuthService } from './auth.service';
import { AuthPayload, Session } from './auth.types';

@Resolver(() => AuthPayload)
export class AuthResolver {
  constructor(private readonly authService: AuthService) {}

  @Policy(everyone)
  @Mutation(() => AuthPayload, {
    description: 'Create an account and its organization (you become OWNER); a verification email is sent',
  })
  register(@Arg('input') input: RegisterInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.authService.register(input, ctx.client);
  }

  @Policy(everyone)
  @Mutation(() => AuthPayload)
  login(@Arg('input') input: LoginInput, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.authService.login(input, ctx.client);
  }

  @Policy(everyone)
  @Mutation(() => AuthPayload, {
    description: 'Exchange a refresh token for new tokens; the old refresh token stops working',
  })
  refreshToken(@Arg('token') token: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return this.authService.refresh(token, ctx.client);
  }

  @Policy(everyone)
  @Mutation(() => Boolean, { description: 'End the session of this refresh token' })
  logout(@Arg('refreshToken') refreshToken: string): Promise<boolean> {
    return this.authService.logout(refreshToken);
  }

  @Policy(signedIn)
  @Mutation(() => Boolean, { description: 'End every session of the signed-in user, this one included' })
  logoutAllSessions(@CurrentUser() user: UserPrincipal): Promise<boolean> {
    return this.authService.logoutAllSessions(user);
  }

  @Policy(signedIn)
  @Query(() => [Session], { description: 'Active sessions of the signed-in user, most recently used first' })
  sessions(@CurrentUser() user: UserPrincipal): Promise<Session[]> {
    return this.authService.sessions(user);
  }

  @Policy(signedIn)
  @Mutation(() => Boolean, { description: 'End one of your sessions' })
  revokeSession(@CurrentUser() user: UserPrincipal, @Arg('id', () => ID) id: string): Promise<boolean> {
    return this.authService.revokeSession(user, id);
  }

  @Policy(everyone)
  @Mutation(() => Boolean, { description: 'Confirm the email address with the token from the verification link' })
  verifyEmail(@Arg('token') token: string): Promise<boolean> {
    return this.authService.verifyEmail(token);
  }

  @Policy(signedIn)
  @Mutation(() => Boolean, { description: 'Send a new verification link (the previous one stops working)' })
  resendVerificationEmail(@CurrentUser() user: UserPrincipal): Promise<boolean> {
    return this.authService.resendVerificationEmail(user);
  }

  @Policy(everyone)
  @Mutation(() => Boolean, {
    description: 'Mail a reset link if an account uses this address; the answer is the same either way',
  })
  requestPasswordReset(@Arg('email') email: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.authService.requestPasswordReset(email, ctx.client);
  }

  @Policy(everyone)
  @Mutation(() => Boolean, {
    description: 'Set a new password with the token from the reset link; other sessions end. Sign in afterwards',
  })
  resetPassword(
    @Arg('token') token: string,
    @Arg('password') password: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return this.authService.resetPassword(token, password, ctx.principal);
  }

  @FieldResolver(() => Tenant, {
    nullable: true,
    description: 'The organization created at sign-up; otherwise your first one',
  })
  tenant(@Root() payload: AuthPayload): Promise<Tenant | null> {
    return this.authService.payloadTenant(payload);
  }
}
