import { createHash } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../../core/errors/app-error';

export interface AuthThrottleOptions {
  /** Failed logins for one account (from any IP) before back-off starts. */
  loginMaxFailures: number;
  /** Failed logins from one IP (for any account) before back-off starts. */
  loginMaxFailuresPerIp: number;
  /** Registrations / reset requests per IP, verification resends per user, per hour. */
  perHour: number;
  /** First lockout; doubles with each further failure up to `backoffMaxSeconds`. */
  backoffBaseSeconds?: number;
  backoffMaxSeconds?: number;
}

/** What the limiters need of a pg Pool (a thin adapter lets the pool be looked up when first used). */
export interface ThrottleStore {
  query(query: { name?: string; text: string; values?: unknown[] }): Promise<unknown>;
}

export type HourlyAction = 'register' | 'password-reset' | 'verification-resend';

/** Reset mails one account receives per hour at most, whoever asks: no mail-bombing through the reset form. */
const RESET_MAILS_PER_ACCOUNT_PER_HOUR = 3;

/** Accounts are keyed by a hash of the normalised address: the limiter table holds no emails. */
const accountKey = (email: string) =>
  createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 40);

const remainingSeconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

/**
 * Throttling that holds across processes: rate-limiter-flexible on PostgreSQL
 * (`public.auth_rate_limits`, created by migration). Logins count failures per
 * account and per IP; past the free allowance each further failure locks that
 * key for base·2^n seconds. Unknown accounts are counted like real ones, so the
 * throttle tells nothing about which addresses exist.
 */
export class AuthThrottle {
  private readonly failures: RateLimiterPostgres;
  private readonly lockouts: RateLimiterPostgres;
  private readonly hourly: RateLimiterPostgres;
  private readonly resetMails: RateLimiterPostgres;
  private readonly baseSeconds: number;
  private readonly maxSeconds: number;

  constructor(
    storeClient: ThrottleStore,
    private readonly options: AuthThrottleOptions,
  ) {
    const store = {
      storeClient,
      storeType: 'pool',
      tableName: 'auth_rate_limits',
      schemaName: 'public',
      tableCreated: true,
      clearExpiredByTimeout: false,
    };
    // Consecutive failures, forgotten a day after the first one or at the next success.
    this.failures = new RateLimiterPostgres({ ...store, keyPrefix: 'login-fail', points: 1_000_000, duration: 86_400 });
    // Only `block()` writes here; one limiter sweeps expired rows of the shared table.
    this.lockouts = new RateLimiterPostgres({
      ...store,
      keyPrefix: 'login-lock',
      points: 1,
      duration: 1,
      clearExpiredByTimeout: true,
    });
    this.hourly = new RateLimiterPostgres({ ...store, keyPrefix: 'hourly', points: options.perHour, duration: 3600 });
    this.resetMails = new RateLimiterPostgres({
      ...store,
      keyPrefix: 'reset-mail',
      points: RESET_MAILS_PER_ACCOUNT_PER_HOUR,
      duration: 3600,
    });
    this.baseSeconds = options.backoffBaseSeconds ?? 30;
    this.maxSeconds = options.backoffMaxSeconds ?? 900;
  }

  /** RATE_LIMITED while the account or the IP is locked out; checked before the password is. */
  async assertLoginAllowed(email: string, ip: string): Promise<void> {
    const states = await Promise.all([this.lockouts.get(`acct:${accountKey(email)}`), this.lockouts.get(`ip:${ip}`)]);
    const locked = states.filter((s): s is RateLimiterRes => !!s && s.consumedPoints > 1 && s.msBeforeNext > 0);
    if (locked.length) throw new RateLimitedError(Math.max(...locked.map(remainingSeconds)));
  }

  async recordLoginFailure(email: string, ip: string): Promise<void> {
    await Promise.all([
      this.countFailure(`acct:${accountKey(email)}`, this.options.loginMaxFailures),
      this.countFailure(`ip:${ip}`, this.options.loginMaxFailuresPerIp),
    ]);
  }

  /** A successful sign-in (or password reset) clears the account's failures; the IP's stay counted. */
  async recordLoginSuccess(email: string): Promise<void> {
    const key = `acct:${accountKey(email)}`;
    await Promise.all([this.failures.delete(key), this.lockouts.delete(key)]);
  }

  async consumeHourly(action: HourlyAction, key: string): Promise<void> {
    try {
      await this.hourly.consume(`${action}:${key}`);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) throw new RateLimitedError(remainingSeconds(rejection));
      throw rejection;
    }
  }

  /** Whether another reset mail may go to this account this hour (the request is answered the same either way). */
  async allowResetMail(userId: string): Promise<boolean> {
    try {
      await this.resetMails.consume(userId);
      return true;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return false;
      throw rejection;
    }
  }

  private async countFailure(key: string, freeFailures: number): Promise<void> {
    const { consumedPoints } = await this.failures.consume(key);
    if (consumedPoints < freeFailures) return;
    const seconds = Math.min(this.maxSeconds, this.baseSeconds * 2 ** (consumedPoints - freeFailures));
    await this.lockouts.block(key, seconds);
  }
}
