import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { Principal } from './request-context';

export interface RequestRateLimiterOptions {
  /** Requests allowed per key and window. */
  max: number;
  /** Window length; stores count in whole seconds, so it is rounded up to one. */
  windowMs: number;
  /** Count in Redis when set; otherwise in PostgreSQL (`public.rate_limits`, through the app's pool). */
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
  /** Counts one request for `key`: undefined when it may go ahead, else the seconds until it may (Retry-After). */
  consume(key: string): Promise<number | undefined>;
  close(): Promise<void>;
}

/**
 * Whose allowance a request uses: its API key, its user, or else (anonymous, admin secret, failed authentication) its
 * IP.
 */
export function rateLimitKey(principal: Principal, ip: string): string {
  if (principal.kind === 'api-key') return `key:${principal.apiKeyId}`;
  if (principal.kind === 'user') return `user:${principal.userId}`;
  return `ip:${ip}`;
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
 * Fixed-window request limits shared by every API process (rate-limiter-flexible). If
 * the shared store fails, an in-process limiter with the same allowance answers, so an
 * outage of the store neither takes the API down nor lifts the limits.
 */
export function createRequestRateLimiter(options: RequestRateLimiterOptions): RequestRateLimiter {
  const common = {
    keyPrefix: 'requests',
    points: options.max,
    duration: Math.max(1, Math.ceil(options.windowMs / 1000)),
  };
  const insuranceLimiter = new RateLimiterMemory(common);
  const redis = options.redisUrl ? redisClient(options.redisUrl, options.logger) : undefined;
  const limiter: RateLimiterAbstract = redis
    ? new RateLimiterRedis({ ...common, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter })
    : new RateLimiterPostgres({
        ...common,
        storeClient: options.dataSource,
        storeType: 'typeorm',
        schemaName: 'public',
        tableName: 'rate_limits',
        tableCreated: true,
        insuranceLimiter,
      });
  return {
    store: redis ? 'redis' : 'postgres',
    ready: async (timeoutMs = 5000) => {
      if (!redis || redis.status === 'ready') return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    consume: async (key) => {
      try {
        await limiter.consume(key);
        return undefined;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw rejection;
      }
    },
    close: async () => {
      await redis?.quit().catch(() => redis.disconnect());
    },
  };
}
