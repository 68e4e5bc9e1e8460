import type { DataSource, EntityManager } from 'typeorm';
import { ForbiddenError, UnauthenticatedError } from '../../core/errors/app-error';
import type { Tenant } from '../tenants';
import type { UserPrincipal } from './current-user';
import { Membership } from './membership.entity';
import { User } from './user.entity';

/** Profile of an account an identity provider vouches for (first sight, or its later updates). */
export interface ExternalProfile {
  email: string;
  emailVerified: boolean;
  firstName: string;
  lastName: string;
}

/**
 * Reading users and their memberships (public schema). Accounts are written by the auth module, and for
 * identity providers' users here (`createExternal`, `updateExternal`).
 */
export class UserService {
  constructor(private readonly dataSource: DataSource) {}

  /** The signed-in user; a token whose user was deleted is no longer a valid sign-in. */
  async getSignedIn(userId: string): Promise<User> {
    const user = await this.dataSource.manager.findOneBy(User, { id: userId });
    if (!user) throw new UnauthenticatedError('The account no longer exists');
    return user;
  }

  /** Case-insensitive lookup (served by the lower(email) unique index); with the password hash when asked. */
  findByEmail(
    email: string,
    options: { withPasswordHash?: boolean; manager?: EntityManager } = {},
  ): Promise<User | null> {
    const query = (options.manager ?? this.dataSource.manager)
      .createQueryBuilder(User, 'u')
      .where('lower(u.email) = lower(:email)', { email: email.trim() });
    if (options.withPasswordHash) query.addSelect('u.passwordHash');
    return query.getOne();
  }

  memberships(userId: string): Promise<Membership[]> {
    return this.dataSource.manager.find(Membership, {
      where: { userId },
      relations: { tenant: true },
      order: { createdAt: 'ASC' },
    });
  }

  /** The organization a client opens by default: the user's first one. */
  async defaultTenant(userId: string): Promise<Tenant | null> {
    const first = await this.dataSource.manager.findOne(Membership, {
      where: { userId },
      relations: { tenant: true },
      order: { createdAt: 'ASC' },
    });
    return first?.tenant ?? null;
  }

  /**
   * An account for a provider's user, in the caller's transaction. `passwordHash` is of a secret nobody
   * knows: such a user signs in at the provider (or sets a password through a reset mail).
   */
  async createExternal(manager: EntityManager, profile: ExternalProfile, passwordHash: string): Promise<User> {
    return manager.save(
      manager.create(User, {
        email: profile.email,
        firstName: profile.firstName.slice(0, 100),
        lastName: profile.lastName.slice(0, 100),
        emailVerifiedAt: profile.emailVerified ? new Date() : null,
        passwordHash,
      }),
    );
  }

  /**
   * Names, and the address when the provider verified it and no other account has it: an account's sign-in
   * address never becomes one nobody confirmed.
   */
  async updateExternal(manager: EntityManager, userId: string, profile: ExternalProfile): Promise<void> {
    await manager.query(
      `UPDATE public.users u SET first_name = $2, last_name = $3, updated_at = now(),
              email = CASE WHEN other.usable THEN $4 ELSE u.email END,
              email_verified_at = CASE WHEN other.usable THEN coalesce(u.email_verified_at, now())
                                       ELSE u.email_verified_at END
         FROM (SELECT $5::boolean AND NOT EXISTS (
                 SELECT 1 FROM public.users WHERE lower(email) = lower($4) AND id <> $1) AS usable) other
        WHERE u.id = $1`,
      [userId, profile.firstName.slice(0, 100), profile.lastName.slice(0, 100), profile.email, profile.emailVerified],
    );
  }

  /**
   * Guard for operations that need a confirmed address: FORBIDDEN with reason
   * EMAIL_NOT_VERIFIED otherwise. The token's claim is trusted when it says
   * verified; when it says not, the database is asked, so a user who verified
   * a minute ago need not refresh their token first.
   */
  async requireVerifiedEmail(principal: UserPrincipal): Promise<void> {
    if (principal.emailVerified) return;
    const user = await this.dataSource.manager.findOneBy(User, { id: principal.userId });
    if (!user?.emailVerifiedAt) {
      throw new ForbiddenError('Confirm your email address first (see the link we sent, or resendVerificationEmail)', {
        reason: 'EMAIL_NOT_VERIFIED',
      });
    }
  }
}
