import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { Principal } from './request-context';

export interface RequestRateLimiterOptions {
  /** Requests allowed per key and window, unless `consume` is given another allowance. */
  max: number;
  /** Window length (fixed windows aligned on the epoch, so every process has the same ones). */
  windowMs: number;
  /** Without Redis: how often each process adds its counts to `public.rate_limits` and reads the totals back. */
  syncMs: number;
  /** Count in Redis when set (exact, a Redis round trip per request); else in process, shared through PostgreSQL. */
  redisUrl?: string;
  dataSource: DataSource;
  logger: Logger;
}

export interface RequestRateLimiter {
  store: 'redis' | 'postgres';
  /**
   * Resolves once the store answers (Redis connected), or after `timeoutMs`: until then the in-process limiter stands
   * in.
   */
  ready(timeoutMs?: number): Promise<void>;
  /**
   * Counts one request for `key` against `max` per window (default: the limiter's own): undefined when it may go
   * ahead, else the seconds until it may (Retry-After).
   */
  consume(key: string, max?: number): Promise<number | undefined>;
  /** Shares what this process counted now (PostgreSQL store; Redis counts at once). */
  flush(): Promise<void>;
  /** Shares the last counts, then lets go of the store. */
  close(): Promise<void>;
}

/**
 * Whose allowance a request uses: its API key's organization (the plan's `requests_per_minute`), its user, or else
 * (anonymous, failed authentication) its IP. Platform administrators (the operator's admin secret) are not limited:
 * their support work must not be held back by, nor eat into, the allowance of the IP they share.
 */
export function rateLimitKey(principal: Principal, ip: string): string | undefined {
  if (principal.kind === 'api-key') return `tenant:${principal.tenantId}`;
  if (principal.kind === 'user') return `user:${principal.userId}`;
  if (principal.kind === 'platform-admin') return undefined;
  return `ip:${ip}`;
}

const KEY_PREFIX = 'requests';
const secondsUntil = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

interface WindowCount {
  window: number;
  /** The total of every process, as of this process's last share. */
  shared: number;
  /** Counted here and being shared (not in `shared` until the share answers). */
  sharing: number;
  /** Counted here since. */
  pending: number;
}

/**
 * Request counts without a database write per request: each process counts in memory per
 * key and fixed window, and every `syncMs` adds what it counted to `public.rate_limits` in
 * one statement, which answers every process's total (RETURNING). A key is refused once
 * the total it last heard plus its own new counts reach the allowance. Other processes'
 * requests are heard at most one share later: across N processes a key can exceed its
 * allowance by at most what the other N − 1 processes admit for it in `syncMs` (and never
 * by more than (N − 1) × the allowance). A failed share keeps the counts for the next one.
 */
class SharedWindowCounts {
  private counts = new Map<string, WindowCount>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private sweptWindow = 0;

  constructor(private readonly options: RequestRateLimiterOptions) {}

  consume(key: string, max: number): number | undefined {
    const now = Date.now();
    const window = Math.floor(now / this.options.windowMs);
    let count = this.counts.get(key);
    if (count?.window !== window) this.counts.set(key, (count = { window, shared: 0, sharing: 0, pending: 0 }));
    if (count.shared + count.sharing + count.pending >= max)
      return secondsUntil((window + 1) * this.options.windowMs - now);
    count.pending++;
    // No timer while nothing is pending: an idle process keeps no timer alive.
    this.timer ??= setTimeout(() => void this.flush(), this.options.syncMs).unref();
    return undefined;
  }

  /** Shares what is pending; concurrent calls queue behind each other. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { windowMs, dataSource, logger } = this.options;
    const window = Math.floor(Date.now() / windowMs);
    const batch: [string, number][] = [];
    for (const [key, count] of this.counts) {
      // A past window's counts no longer matter, shared or not.
      if (count.window !== window) this.counts.delete(key);
      else if (count.pending) batch.push([key, count.pending]);
    }
    if (!batch.length) return;
    for (const [key, n] of batch) Object.assign(this.counts.get(key)!, { pending: 0, sharing: n });
    // Sorted: two processes sharing the same keys lock their rows in the same order (no deadlock).
    batch.sort(([a], [b]) => (a < b ? -1 : 1));
    try {
      const rows: { key: string; points: number }[] = await dataSource.query(
        `INSERT INTO public.rate_limits AS r (key, points, expire)
         SELECT b.key, b.n, $3 FROM unnest($1::text[], $2::int[]) AS b(key, n)
         ON CONFLICT (key) DO UPDATE
           SET points = CASE WHEN r.expire IS NULL OR r.expire <= $4 THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
               expire = EXCLUDED.expire
         RETURNING key, points`,
        [
          batch.map(([key]) => `${KEY_PREFIX}:${key}`),
          batch.map(([, n]) => n),
          (window + 1) * windowMs,
          window * windowMs,
        ],
      );
      for (const row of rows) {
        const count = this.counts.get(row.key.slice(KEY_PREFIX.length + 1));
        // The total includes what was being shared.
        if (count?.window === window) Object.assign(count, { shared: row.points, sharing: 0 });
      }
      if (this.sweptWindow !== window) await this.sweep(window);
    } catch (error) {
      logger.warn({ err: error, keys: batch.length }, 'could not share request counts; will retry');
      for (const [key, n] of batch) {
        const count = this.counts.get(key);
        if (count?.window === window) Object.assign(count, { sharing: 0, pending: count.pending + n });
      }
      this.timer ??= setTimeout(() => void this.flush(), this.options.syncMs).unref();
    }
  }

  /** Once per window: rows of keys nobody used since the previous one go. */
  private async sweep(window: number): Promise<void> {
    this.sweptWindow = window;
    await this.options.dataSource.query('DELETE FROM public.rate_limits WHERE expire < $1', [
      (window - 1) * this.options.windowMs,
    ]);
  }
}

function redisClient(url: string, logger: Logger): Redis {
  // No offline queue: while Redis is away, calls fail at once and the in-process limiter answers instead of requests
  // waiting.
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let available = true;
  client.on('ready', () => (available = true));
  client.on('error', (error) => {
    if (available)
      logger.warn(
        { err: error },
        'Redis for rate limits is unavailable; each process limits on its own until it is back',
      );
    available = false;
  });
  return client;
}

/**
 * Exact fixed-window counts in Redis (rate-limiter-flexible), one round trip per request. The
 * allowance is checked here against the count Redis returns, so keys with different allowances
 * (plans) share one limiter. If Redis fails, an in-process limiter answers, so an outage neither
 * takes the API down nor lifts the limits.
 */
function redisCounts(options: RequestRateLimiterOptions, redis: Redis): RateLimiterAbstract {
  const common = {
    keyPrefix: KEY_PREFIX,
    points: Number.MAX_SAFE_INTEGER,
    duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
  };
  const insuranceLimiter = new RateLimiterMemory(common);
  return new RateLimiterRedis({ ...common, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter });
}

/** Fixed-window request limits shared by every API process: in Redis when configured, else through PostgreSQL. */
export function createRequestRateLimiter(options: RequestRateLimiterOptions): RequestRateLimiter {
  const redis = options.redisUrl ? redisClient(options.redisUrl, options.logger) : undefined;
  if (!redis) {
    const counts = new SharedWindowCounts(options);
    return {
      store: 'postgres',
      ready: async () => undefined,
      consume: async (key, max = options.max) => counts.consume(key, max),
      flush: () => counts.flush(),
      close: () => counts.flush(),
    };
  }
  const limiter = redisCounts(options, redis);
  return {
    store: 'redis',
    ready: async (timeoutMs = 5000) => {
      if (redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    consume: async (key, max = options.max) => {
      let counted: RateLimiterRes;
      try {
        counted = await limiter.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        counted = rejection;
      }
      return counted.consumedPoints > max ? secondsUntil(counted.msBeforeNext) : undefined;
    },
    flush: async () => undefined,
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
