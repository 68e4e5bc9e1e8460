import { Redis } from 'ioredis';
import type { AppConfig } from '../core/config/config';
import { createRequestRateLimiter } from '../core/http/rate-limit';
import { createLogger } from '../core/logging/logger';
import { metrics } from '../core/observability/metrics';
import { signUp, type TestAccount } from '../../test/support/accounts';
import { startTestApp, type TestApp } from '../../test/support/test-app';
import { openDatabase } from './database';
import { createHttpApp } from './http-app';
import { runInSchema } from '../core/tenancy/tenant-scope';
import { buildAppSchema } from './schema';
import { createServices } from './services';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MAX = 5;
const QUERY = '{ plans { code } }';
/** Servers share their counts on `share()` only, unless started with a short interval. */

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: unknown; errors?: { extensions: Record<string, unknown> }[] };
}

interface LimitedServer {
  post(headers?: Record<string, string>): Promise<Answer>;
  /** Shares this process's counts now (what its timer does every `syncMs`). */
  share(): Promise<void>;
  /** A REST route (here a PDF download), admitted like /graphql. */
  get(path: string, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/** Another API process on the test app's database: its own pool, services and rate limiter, as bootstrap wires them. */
function startLimitedServer(app: TestApp, redisUrl?: string): Promise<LimitedServer> {
  return startLimitedServerWith(app, MAX, 60_000, redisUrl);
}

async function startLimitedServerWith(
  app: TestApp,
  max: number,
  syncMs: number,
  redisUrl?: string,
): Promise<LimitedServer> {
  const config: AppConfig = { ...app.config, rateLimit: { max, windowMs: 60_000, syncMs }, redisUrl };
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
    tenantRequestsPerMinute: services.tenantRequestsPerMinute,
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
    share: () => rateLimiter.flush(),
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
  // Windows are aligned on the clock: a test never straddles two (its counts would start again halfway).
  beforeEach(async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
  });

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

  describe('in process, shared through PostgreSQL (no REDIS_URL)', () => {
    let servers: LimitedServer[];
    beforeAll(async () => {
      servers = [await startLimitedServer(app), await startLimitedServer(app)];
    });
    afterAll(() => Promise.all(servers.map((s) => s.close())));
    const shareAll = () => Promise.all(servers.map((s) => s.share()));

    it('writes nothing per request; once shared, the other server refuses what the first used, with Retry-After', async () => {
      const hitsBefore = await hits();
      const alices = { authorization: `Bearer ${alice.token}` };
      const key = `requests:user:${alice.userId}`;
      const first = [await servers[0].post(alices), await servers[0].post(alices), await servers[0].post(alices)];
      expect(first.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(await app.dataSource.query('SELECT 1 FROM public.rate_limits WHERE key = $1', [key])).toEqual([]);
      await servers[0].share();
      // The second server has not heard of alice: it admits her until its own share tells it the total.
      expect((await servers[1].post(alices)).status).toBe(200);
      await servers[1].share();
      expect((await servers[1].post(alices)).status).toBe(200);
      expectRefused(await servers[1].post(alices)); // 3 + 2 = MAX
      // The first server learns of the second's requests at its own next share: one more there (the tolerance).
      expect((await servers[0].post(alices)).status).toBe(200);
      await shareAll();
      expectRefused(await servers[0].post(alices));
      expect(await hits()).toBe(hitsBefore + 2);
      const [row] = await app.dataSource.query('SELECT points FROM public.rate_limits WHERE key = $1', [key]);
      expect(row.points).toBe(MAX + 1);
      // Another user has an allowance of their own.
      expect((await servers[1].post({ authorization: `Bearer ${bob.token}` })).status).toBe(200);
    });

    it('counts exactly within one process, concurrent requests and shares in flight included', async () => {
      const gina = await signUp(app, 'gina@limits.example', 'Gina Co');
      const headers = { authorization: `Bearer ${gina.token}` };
      const sharing = servers[0].share(); // a share under way must not hide what it carries
      const answers = await Promise.all(Array.from({ length: 3 * MAX }, () => servers[0].post(headers)));
      await sharing;
      expect(answers.filter((a) => a.status === 200)).toHaveLength(MAX);
      expect(answers.filter((a) => a.status === 429)).toHaveLength(2 * MAX);
    });

    it('admits REST routes like /graphql: the same allowance, then RATE_LIMITED with Retry-After', async () => {
      const dave = await signUp(app, 'dave@limits.example', 'Dave Co');
      const headers = { authorization: `Bearer ${dave.token}`, 'x-organization-id': dave.tenant.id };
      const path = '/quotes/00000000-0000-4000-8000-000000000000/pdf';
      const answers = [await servers[0].post(headers), await servers[0].post(headers)];
      for (let i = 2; i < MAX + 1; i++) answers.push(await servers[0].get(path, headers));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 404, 404, 429]);
      expectRefused(answers[MAX]);
    });

    it('counts requests that fail authentication against their IP, like anonymous ones; admins have no IP bucket', async () => {
      const answers = await alternate([servers[0]], MAX, { authorization: 'Bearer not-a-valid-token' });
      expect(answers.map((a) => a.body.errors![0].extensions.code)).toEqual(Array(MAX).fill('UNAUTHENTICATED'));
      expectRefused(await servers[0].post({ authorization: 'Bearer not-a-valid-token' }));
      expectRefused(await servers[0].post());
      // Signed-in users are not held back by their IP's allowance, nor platform admins (the operator's secret).
      expect((await servers[0].post({ authorization: `Bearer ${bob.token}` })).status).toBe(200);
      const admin = { 'x-admin-secret': app.config.adminSecret! };
      const admins = await alternate(servers, 3 * MAX, admin);
      expect(admins.map((a) => a.status)).toEqual(Array(3 * MAX).fill(200));
    });

    it("gives an API key's organization its plan's requests_per_minute, shared by all its keys", async () => {
      const erin = await signUp(app, 'erin@limits.example', 'Erin Co');
      const [{ plan }] = await app.dataSource.query('SELECT plan FROM public.subscriptions WHERE tenant_id = $1', [
        erin.tenant.id,
      ]);
      const perMinute = 4;
      await app.dataSource.query(
        `UPDATE public.plan_limits SET limit_value = $2 WHERE plan = $1 AND metric = 'requests_per_minute'`,
        [plan, perMinute],
      );
      const planned = await startLimitedServer(app); // its plan catalogue reads the new value
      try {
        const [tenant] = await app.dataSource.query('SELECT schema_name FROM public.tenants WHERE id = $1', [
          erin.tenant.id,
        ]);
        const scoped = { id: erin.tenant.id, slug: erin.tenant.slug, status: 'ACTIVE' as const, schema: '' };
        const newKey = () =>
          runInSchema(app.dataSource, tenant.schema_name, (manager) =>
            app.services.apiKeys.create(
              manager,
              { ...scoped, schema: tenant.schema_name },
              { kind: 'platform-admin' },
              {
                name: 'partner',
                scopes: ['customers:read'],
              },
            ),
          );
        const keys = [(await newKey()).secret, (await newKey()).secret];
        const answers = [];
        for (let i = 0; i < perMinute + 1; i++) answers.push(await planned.post({ 'x-api-key': keys[i % 2] }));
        expect(answers.slice(0, perMinute).map((a) => a.status)).toEqual(Array(perMinute).fill(200));
        expectRefused(answers[perMinute]);
        // Not RATE_LIMIT_MAX: the plan's rate is the tenant's, users keep their own.
        expect((await planned.post({ authorization: `Bearer ${erin.token}` })).status).toBe(200);
      } finally {
        await planned.close();
        await app.dataSource.query(
          `UPDATE public.plan_limits SET limit_value = $2 WHERE plan = $1 AND metric = 'requests_per_minute'`,
          [plan, 12_000],
        );
      }
    });
  });

  describe('two processes sharing every few milliseconds', () => {
    const BURST_MAX = 20;
    const SYNC_MS = 25;
    let processes: LimitedServer[];
    let frank: TestAccount;
    beforeAll(async () => {
      frank = await signUp(app, 'frank@limits.example', 'Frank Co');
      const config = (syncMs: number) => startLimitedServerWith(app, BURST_MAX, syncMs);
      processes = [await config(SYNC_MS), await config(SYNC_MS)];
    });
    afterAll(() => Promise.all(processes.map((s) => s.close())));

    it('admits at most the allowance plus what each process serves in a share interval (docs/operations.md)', async () => {
      const headers = { authorization: `Bearer ${frank.token}` };
      const started = Date.now();
      const served = await Promise.all(
        processes.map(async (server) => {
          const statuses: number[] = [];
          // Until this process has refused a few in a row (it heard the total), or 5 s.
          while (Date.now() - started < 5_000 && statuses.slice(-3).join() !== '429,429,429') {
            statuses.push((await server.post(headers)).status);
          }
          return statuses;
        }),
      );
      const elapsed = Date.now() - started;
      const admitted = served.flat().filter((status) => status === 200).length;
      // Each process's own rate (requests per ms) times the interval (twice: a timer or a share can be late under
      // load), plus the one request each may have had in flight.
      const tolerance = served.reduce((sum, statuses) => sum + (statuses.length / elapsed) * 2 * SYNC_MS + 1, 0);
      expect(served.flat().filter((status) => status !== 200 && status !== 429)).toEqual([]);
      expect(admitted).toBeGreaterThanOrEqual(BURST_MAX);
      expect(admitted).toBeLessThanOrEqual(BURST_MAX + Math.ceil(tolerance));
      // Without sharing, each would have admitted the whole allowance.
      expect(admitted).toBeLessThan(2 * BURST_MAX);
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
