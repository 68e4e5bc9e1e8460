import { Redis } from 'ioredis';
import type { AppConfig } from '../core/config/config';
import { createRequestRateLimiter } from '../core/http/rate-limit';
import { createLogger } from '../core/logging/logger';
import { metrics } from '../core/observability/metrics';
import { signUp, type TestAccount } from '../../test/support/accounts';
import { startTestApp, type TestApp } from '../../test/support/test-app';
import { openDatabase } from './database';
import { createHttpApp } from './http-app';
import { buildAppSchema } from './schema';
import { createServices } from './services';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MAX = 5;
const QUERY = '{ plans { code } }';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: { extensions: Record<string, unknown> }[] };
}

interface LimitedServer {
  post(headers?: Record<string, string>): Promise<Answer>;
  /** A REST route (here a PDF download), admitted like /graphql. */
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/** Another API process on the test app's database: its own pool, services and rate limiter, as bootstrap wires them. */
async function startLimitedServer(app: TestApp, redisUrl?: string): Promise<LimitedServer> {
  const config: AppConfig = { ...app.config, rateLimit: { max: MAX, windowMs: 60_000 }, redisUrl };
  const logger = createLogger('silent');
  const db = await openDatabase(config, logger);
  const services = createServices(config, db.dataSource, app.databaseUrl);
  const rateLimiter = createRequestRateLimiter({ ...config.rateLimit, redisUrl, dataSource: db.dataSource, logger });
  await rateLimiter.ready();
  const http = await createHttpApp({
    config,
    logger,
    dataSource: db.dataSource,
    schema: await buildAppSchema(services.container),
    jobsState: () => 'disabled',
    credentials: services.apiKeys,
    rateLimiter,
    routes: services.httpRoutes,
  });
  const origin = `http://127.0.0.1:${await http.listen(0, '127.0.0.1')}`;
  const url = `${origin}/graphql`;
  const answer = async (response: Response): Promise<Answer> => ({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Answer['body'],
  });
  return {
    get: async (path, headers = {}) => answer(await fetch(`${origin}${path}`, { headers })),
    post: async (headers = {}) =>
      answer(
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: QUERY }),
        }),
      ),
    close: async () => {
      await http.close();
      await rateLimiter.close();
      await db.close();
    },
  };
}

const hits = async () =>
  (await metrics.rateLimitHits.get()).values.find((v) => v.labels.limiter === 'requests')?.value ?? 0;

describe('request rate limits shared by API processes (real PostgreSQL and Redis)', () => {
  let app: TestApp;
  let alice: TestAccount;
  let bob: TestAccount;
  beforeAll(async () => {
    app = await startTestApp();
    alice = await signUp(app, 'alice@limits.example', 'Alice Co');
    bob = await signUp(app, 'bob@limits.example', 'Bob Co');
  });
  afterAll(() => app.close());

  /** Requests alternate between the two servers; returns the answers in order. */
  async function alternate(servers: LimitedServer[], count: number, headers: Record<string, string>) {
    const answers = [];
    for (let i = 0; i < count; i++) answers.push(await servers[i % servers.length].post(headers));
    return answers;
  }

  function expectRefused(answer: Answer) {
    expect(answer.status).toBe(429);
    const retryAfter = Number(answer.retryAfter);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(answer.body.errors![0].extensions).toEqual({ code: 'RATE_LIMITED', retryAfter, limiter: 'requests' });
    expect(answer.body.data).toBeUndefined();
  }

  describe('in PostgreSQL (no REDIS_URL)', () => {
    let servers: LimitedServer[];
    beforeAll(async () => {
      servers = [await startLimitedServer(app), await startLimitedServer(app)];
    });
    afterAll(() => Promise.all(servers.map((s) => s.close())));

    it('gives each user RATE_LIMIT_MAX requests per window across both servers, then RATE_LIMITED with Retry-After', async () => {
      const hitsBefore = await hits();
      const answers = await alternate(servers, MAX + 2, { authorization: `Bearer ${alice.token}` });
      expect(answers.slice(0, MAX).map((a) => a.status)).toEqual(Array(MAX).fill(200));
      for (const refused of answers.slice(MAX)) expectRefused(refused);
      expect(await hits()).toBe(hitsBefore + 2);
      // Another user has an allowance of their own.
      expect((await servers[1].post({ authorization: `Bearer ${bob.token}` })).status).toBe(200);
      const [row] = await app.dataSource.query(`SELECT points FROM public.rate_limits WHERE key = $1`, [
        `requests:user:${alice.userId}`,
      ]);
      expect(row.points).toBe(MAX + 2);
    });

    it('admits REST routes like /graphql: the same allowance, then RATE_LIMITED with Retry-After', async () => {
      const dave = await signUp(app, 'dave@limits.example', 'Dave Co');
      const headers = { authorization: `Bearer ${dave.token}`, 'x-organization-id': dave.tenant.id };
      const path = '/quotes/00000000-0000-4000-8000-000000000000/pdf';
      const answers = [await servers[0].post(headers), await servers[1].post(headers)];
      for (let i = 2; i < MAX + 1; i++) answers.push(await servers[i % 2].get(path, headers));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 404, 404, 429]);
      expectRefused(answers[MAX]);
    });

    it('counts requests that fail authentication against their IP, like anonymous ones', async () => {
      const answers = await alternate(servers, MAX, { authorization: 'Bearer not-a-valid-token' });
      expect(answers.map((a) => a.body.errors![0].extensions.code)).toEqual(Array(MAX).fill('UNAUTHENTICATED'));
      expectRefused(await servers[0].post({ authorization: 'Bearer not-a-valid-token' }));
      expectRefused(await servers[1].post());
      // Signed-in users are not held back by their IP's allowance.
      expect((await servers[0].post({ authorization: `Bearer ${bob.token}` })).status).toBe(200);
    });
  });

  describe('in Redis (REDIS_URL set)', () => {
    let servers: LimitedServer[];
    let redis: Redis;
    let carol: TestAccount;
    beforeAll(async () => {
      carol = await signUp(app, 'carol@limits.example', 'Carol Co');
      servers = [await startLimitedServer(app, REDIS_URL), await startLimitedServer(app, REDIS_URL)];
      redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
      await redis.del(`requests:user:${carol.userId}`);
      await redis.quit();
      await Promise.all(servers.map((s) => s.close()));
    });

    it('shares the allowance through Redis, and writes nothing to PostgreSQL', async () => {
      const answers = await alternate(servers, MAX + 1, { authorization: `Bearer ${carol.token}` });
      expect(answers.slice(0, MAX).map((a) => a.status)).toEqual(Array(MAX).fill(200));
      expectRefused(answers[MAX]);
      expect(Number(await redis.get(`requests:user:${carol.userId}`))).toBe(MAX + 1);
      expect(
        await app.dataSource.query(`SELECT key FROM public.rate_limits WHERE key = $1`, [
          `requests:user:${carol.userId}`,
        ]),
      ).toEqual([]);
    });
  });
});
