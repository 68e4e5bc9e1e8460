import { Field, ID, ObjectType } from 'type-graphql';
import type { Tenant } from '../tenants';
import { User } from '../users';

@ObjectType({ description: 'Tokens for a signed-in user. Send the access token as `Authorization: Bearer …`' })
export class AuthPayload {
  @Field({ description: 'JWT (HS256) for the Authorization header' })
  accessToken: string;

  @Field({
    description: 'Opaque; exchange it with refreshToken for new tokens. Works once: each use returns a new one',
  })
  refreshToken: string;

  @Field()
  accessTokenExpiresAt: Date;

  @Field(() => User)
  user: User;

  /** Set by register (the organization just created); otherwise resolved on demand as the default one. */
  signUpTenant?: Tenant;
}

@ObjectType({ description: 'A signed-in device or browser (one refresh-token family)' })
export class Session {
  @Field(() => ID)
  id: string;

  @Field()
  createdAt: Date;

  @Field()
  lastUsedAt: Date;

  @Field({ description: 'When the session ends unless its refresh token is used before' })
  expiresAt: Date;

  @Field(() => String, { nullable: true })
  userAgent: string | null;

  @Field(() => String, { nullable: true, description: 'Address the session was last used from' })
  ipAddress: string | null;

  @Field({ description: 'The session of the access token making this request' })
  current: boolean;
}
