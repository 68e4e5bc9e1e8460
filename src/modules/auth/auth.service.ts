import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { setEventActor } from '../../core/events';
import { BadUserInputError, ConflictError, InternalError, UnauthenticatedError } from '../../core/errors/app-error';
import type { Principal } from '../../core/http/request-context';
import { metrics } from '../../core/observability/metrics';
import type { MailOutbox, MailTemplates } from '../../integrations/mail';
import type { ProvisionInput, Tenant, TenantService } from '../tenants';
import { MemberRole, Membership, recordMemberEvent, User, type UserPrincipal, type UserService } from '../users';
import { signAccessToken } from './access-token';
import type { AuthThrottle } from './auth-throttle';
import type { LoginInput, RegisterInput } from './auth.inputs';
import { AuthPayload, Session } from './auth.types';
import { consumeOneTimeToken, issueOneTimeToken } from './one-time-token';
import { slugCandidates } from './organization-slug';
import type { PasswordHasher } from './password-hasher';
import { assertAcceptablePassword } from './password-policy';
import type { ClientInfo, IssuedSession, SessionService } from './session.service';

export const VERIFY_EMAIL_LINK_HOURS = 48;
export const RESET_PASSWORD_LINK_HOURS = 1;
const SLUG_RETRIES = 5;
/** Names neither the address nor whether it exists; the holder of an existing account is mailed instead. */
export const REGISTRATION_FAILED = 'Registration failed: use another email or sign in';
export const INVALID_CREDENTIALS = 'Invalid email or password';

export interface AuthServiceDependencies {
  dataSource: DataSource;
  config: Pick<AppConfig, 'jwt' | 'frontendUrl'>;
  users: UserService;
  tenants: TenantService;
  sessions: SessionService;
  throttle: AuthThrottle;
  hasher: PasswordHasher;
  outbox: MailOutbox;
  templates: MailTemplates;
  logger: Logger;
}

const isUsersEmailConflict = (error: unknown) =>
  (error as { driverError?: { constraint?: string } }).driverError?.constraint === 'users_email_key';

/**
 * Sign-up, sign-in, sessions, email verification and password reset. Every email goes through the outbox in the event's
 * transaction.
 */
export class AuthService {
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly deps: AuthServiceDependencies) {}

  /**
   * User + organization (schema provisioned) + OWNER membership + verification
   * mail + first session, in one transaction. A taken address gets one generic
   * CONFLICT and its holder a notice; attempts are throttled per IP.
   */
  async register(input: RegisterInput, client: ClientInfo): Promise<AuthPayload> {
    const { dataSource, throttle, hasher } = this.deps;
    await throttle.consumeHourly('register', client.ip);
    const email = input.email.trim();
    const profile = { email, firstName: input.firstName.trim(), lastName: input.lastName.trim() };
    assertAcceptablePassword(input.password, profile);
    const passwordHash = await hasher.hash(input.password); // before the transaction: no connection held while hashing

    let outcome;
    try {
      outcome = await dataSource.transaction(async (em) => {
        const existing = await this.deps.users.findByEmail(email, { manager: em });
        if (existing) {
          await this.enqueueRegistrationNotice(em, existing);
          return undefined; // commit the notice, then answer CONFLICT
        }
        const user = await em.save(em.create(User, { ...profile, passwordHash, emailVerifiedAt: null }));
        const tenant = await this.provisionForSignUp(em, user.id, input.businessName.trim());
        await this.enqueueVerification(em, user);
        const session = await this.deps.sessions.start(em, user.id, client);
        return { user, tenant, session };
      });
    } catch (error) {
      // Two sign-ups with one address at the same moment: the loser gets the same answer.
      if (isUsersEmailConflict(error)) throw new ConflictError(REGISTRATION_FAILED, { reason: 'REGISTRATION_FAILED' });
      throw error;
    }
    if (!outcome) throw new ConflictError(REGISTRATION_FAILED, { reason: 'REGISTRATION_FAILED' });
    metrics.registrations.inc();
    return this.payload(outcome.user, outcome.session, outcome.tenant);
  }

  /** One error for unknown address and wrong password, at the same cost; throttled per account and per IP. */
  async login(input: LoginInput, client: ClientInfo): Promise<AuthPayload> {
    const { throttle, hasher } = this.deps;
    await throttle.assertLoginAllowed(input.email, client.ip);
    const user = await this.deps.users.findByEmail(input.email, { withPasswordHash: true });
    const valid = await hasher.verify(user?.passwordHash, input.password);
    if (!user || !valid) {
      await throttle.recordLoginFailure(input.email, client.ip);
      metrics.logins.inc({ outcome: 'failure' });
      throw new UnauthenticatedError(INVALID_CREDENTIALS);
    }
    await throttle.recordLoginSuccess(input.email);
    const rehash = hasher.needsRehash(user.passwordHash) ? await hasher.hash(input.password) : undefined;
    const session = await this.deps.dataSource.transaction(async (em) => {
      // The row lock orders this against a suspension: one committed first is seen here, a later one ends this session.
      const [[row]]: [{ suspended_at: Date | null }[], number] = await em.query(
        `UPDATE public.users SET last_login_at = now(), password_hash = coalesce($2, password_hash)
          WHERE id = $1 RETURNING suspended_at`,
        [user.id, rehash ?? null],
      );
      if (row?.suspended_at) {
        throw new UnauthenticatedError('This account is suspended', { reason: 'ACCOUNT_SUSPENDED' });
      }
      return this.deps.sessions.start(em, user.id, client);
    });
    metrics.logins.inc({ outcome: 'success' });
    return this.payload(user, session);
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<AuthPayload> {
    const { userId, session } = await this.deps.sessions.rotate(refreshToken, client);
    return this.payload(await this.deps.users.getSignedIn(userId), session);
  }

  /** Ends the session of this refresh token. Always true: an unknown token has nothing left to end. */
  async logout(refreshToken: string): Promise<boolean> {
    await this.deps.sessions.revokeByToken(refreshToken);
    return true;
  }

  async logoutAllSessions(principal: UserPrincipal): Promise<boolean> {
    await this.deps.sessions.revokeAll(this.deps.dataSource.manager, principal.userId, 'LOGOUT_ALL');
    return true;
  }

  async sessions(principal: UserPrincipal): Promise<Session[]> {
    const rows = await this.deps.sessions.listActive(principal.userId);
    return rows.map((row) => Object.assign(new Session(), row, { current: row.id === principal.sessionFamilyId }));
  }

  async revokeSession(principal: UserPrincipal, sessionId: string): Promise<boolean> {
    await this.deps.sessions.revoke(principal.userId, sessionId);
    return true;
  }

  async verifyEmail(token: string): Promise<boolean> {
    const verified = await this.deps.dataSource.transaction(async (em) => {
      const used = await consumeOneTimeToken(em, token, 'VERIFY_EMAIL');
      if (!used) return false;
      await em.query(
        'UPDATE public.users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = $1',
        [used.userId],
      );
      return true;
    });
    if (!verified) throw new BadUserInputError('This link is invalid, used or expired', { reason: 'INVALID_TOKEN' });
    return true;
  }

  async resendVerificationEmail(principal: UserPrincipal): Promise<boolean> {
    await this.deps.throttle.consumeHourly('verification-resend', principal.userId);
    const user = await this.deps.users.getSignedIn(principal.userId);
    if (user.emailVerified)
      throw new BadUserInputError('The email address is already confirmed', { reason: 'ALREADY_VERIFIED' });
    await this.deps.dataSource.transaction((em) => this.enqueueVerification(em, user));
    return true;
  }

  /**
   * Always `true`, answered before the address is even looked up: the lookup and
   * the mail happen afterwards, so neither the answer nor its timing depends on
   * whether an account exists. Throttled per IP (answered the same for all
   * addresses) and, silently, to a few mails per account per hour.
   */
  async requestPasswordReset(email: string, client: ClientInfo): Promise<boolean> {
    await this.deps.throttle.consumeHourly('password-reset', client.ip);
    this.inBackground(() => this.sendPasswordReset(email));
    return true;
  }

  /** New password from a mailed link: ends the user's other sessions and mails a notice; does not sign in. */
  async resetPassword(token: string, password: string, caller: Principal): Promise<boolean> {
    assertAcceptablePassword(password);
    const passwordHash = await this.deps.hasher.hash(password);
    const user = await this.deps.dataSource.transaction(async (em) => {
      const used = await consumeOneTimeToken(em, token, 'RESET_PASSWORD');
      if (!used) return undefined;
      const owner = await em.findOneByOrFail(User, { id: used.userId });
      assertAcceptablePassword(password, owner); // throwing rolls back: the link stays usable
      // Opening the mailed link proves the mailbox too.
      await em.query(
        `UPDATE public.users SET password_hash = $2, password_changed_at = now(),
                email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
          WHERE id = $1`,
        [owner.id, passwordHash],
      );
      const keep = caller.kind === 'user' && caller.userId === owner.id ? caller.sessionFamilyId : undefined;
      await this.deps.sessions.revokeAll(em, owner.id, 'PASSWORD_RESET', keep);
      await this.deps.outbox.enqueue(em, {
        idempotencyKey: `password-changed:${used.id}`,
        to: owner.email,
        ...this.deps.templates.passwordChanged({
          firstName: owner.firstName,
          resetLink: this.link('/forgot-password'),
        }),
      });
      return owner;
    });
    if (!user) throw new BadUserInputError('This link is invalid, used or expired', { reason: 'INVALID_TOKEN' });
    await this.deps.throttle.recordLoginSuccess(user.email); // lift a lockout an attacker may have caused
    return true;
  }

  /** `createTenant` by a signed-in user: needs a verified address; the user becomes OWNER in the same transaction. */
  async createOwnedTenant(principal: UserPrincipal, input: ProvisionInput): Promise<Tenant> {
    await this.deps.users.requireVerifiedEmail(principal);
    return this.deps.dataSource.transaction((em) => this.provisionOwned(em, principal.userId, input));
  }

  /** The organization an AuthPayload names: the one just created at sign-up, else the user's first. */
  payloadTenant(payload: AuthPayload): Promise<Tenant | null> {
    return payload.signUpTenant
      ? Promise.resolve(payload.signUpTenant)
      : this.deps.users.defaultTenant(payload.user.id);
  }

  /** Resolves once deferred work (reset mails) is done: for graceful shutdown and tests. */
  async whenIdle(): Promise<void> {
    while (this.background.size) await Promise.allSettled([...this.background]);
  }

  private async payload(user: User, session: IssuedSession, signUpTenant?: Tenant): Promise<AuthPayload> {
    const access = await signAccessToken(this.deps.config.jwt, {
      userId: user.id,
      sessionId: session.sessionId,
      emailVerified: user.emailVerified,
    });
    return Object.assign(new AuthPayload(), {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: session.refreshToken,
      user,
      signUpTenant,
    });
  }

  private async provisionOwned(em: EntityManager, userId: string, input: ProvisionInput): Promise<Tenant> {
    const tenant = await this.deps.tenants.provision(input, em);
    await em.insert(Membership, { tenantId: tenant.id, userId, role: MemberRole.OWNER });
    // Outside any organization scope: the new owner is the actor, in the organization just made.
    await setEventActor(em, `user:${userId}`);
    await recordMemberEvent(em, 'member.joined', { userId, before: null, after: MemberRole.OWNER }, tenant.id);
    return tenant;
  }

  /** Slug from the business name; when taken or reserved, the same with a short random suffix. */
  private async provisionForSignUp(em: EntityManager, userId: string, businessName: string): Promise<Tenant> {
    for (const slug of slugCandidates(businessName, SLUG_RETRIES)) {
      try {
        return await this.provisionOwned(em, userId, { name: businessName, slug });
      } catch (error) {
        // provisioning ran in a savepoint: the transaction is intact
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    throw new InternalError('No free organization slug found; retry', { reason: 'PROVISIONING_FAILED' });
  }

  private async enqueueVerification(em: EntityManager, user: User): Promise<void> {
    const { id, token } = await issueOneTimeToken(em, user.id, 'VERIFY_EMAIL', VERIFY_EMAIL_LINK_HOURS);
    await this.deps.outbox.enqueue(em, {
      idempotencyKey: `verify:${id}`,
      to: user.email,
      ...this.deps.templates.verifyEmail({
        firstName: user.firstName,
        link: this.link('/verify-email', token),
        expiresInHours: VERIFY_EMAIL_LINK_HOURS,
      }),
    });
  }

  /** At most one notice per account and day, however often the address is tried. */
  private async enqueueRegistrationNotice(em: EntityManager, user: User): Promise<void> {
    await this.deps.outbox.enqueue(em, {
      idempotencyKey: `signup-attempt:${user.id}:${new Date().toISOString().slice(0, 10)}`,
      to: user.email,
      ...this.deps.templates.registrationAttempt({
        firstName: user.firstName,
        signInLink: this.link('/login'),
        resetLink: this.link('/forgot-password'),
      }),
    });
  }

  private async sendPasswordReset(email: string): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user || !(await this.deps.throttle.allowResetMail(user.id))) return;
    await this.deps.dataSource.transaction(async (em) => {
      const { id, token } = await issueOneTimeToken(em, user.id, 'RESET_PASSWORD', RESET_PASSWORD_LINK_HOURS);
      await this.deps.outbox.enqueue(em, {
        idempotencyKey: `reset:${id}`,
        to: user.email,
        ...this.deps.templates.passwordReset({
          firstName: user.firstName,
          link: this.link('/reset-password', token),
          expiresInHours: RESET_PASSWORD_LINK_HOURS,
        }),
      });
    });
  }

  private inBackground(work: () => Promise<void>): void {
    const task: Promise<void> = work()
      .catch((error) => this.deps.logger.error({ err: error }, 'deferred account task failed'))
      .finally(() => this.background.delete(task));
    this.background.add(task);
  }

  /** Links are built from FRONTEND_URL only, never from the request's Host header. */
  private link(path: string, token?: string): string {
    return `${this.deps.config.frontendUrl}${path}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  }
}
