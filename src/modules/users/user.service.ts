import type { DataSource, EntityManager } from 'typeorm';
import { ForbiddenError, UnauthenticatedError } from '../../core/errors/app-error';
import type { Tenant } from '../tenants';
import type { UserPrincipal } from './current-user';
import { Membership } from './membership.entity';
import { User } from './user.entity';

/** Reading users and their memberships (public schema). Accounts are written by the auth module. */
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
