import { print } from 'graphql';
import { freeLocalPort } from '../../src/core/database/embedded-postgres';
import { CreateTenantDocument, CustomersDocument } from '../generated/graphql';
import { AppProcessGroup, type ApiProcess, type LogLine } from '../scale-out/app-process';
import { runKeepAliveLoad, type LoadRequest } from '../support/keep-alive-load';
import { TEST_ADMIN_SECRET } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { sleep } from './dedicated-postgres';

/**
 * SIGTERM to an API process (src/main.ts, a real child) under 20 keep-alive connections.
 *
 * The client honours /ready the way a load balancer does: it polls /ready every POLL_MS, and
 * LB_LAG_MS after the first answer that is not 200 it sends no new request (a balancer that takes a
 * few failed checks to take the instance out). LB_LAG_MS is below SHUTDOWN_READY_DELAY_MS, the time
 * the process keeps serving after /ready turned 503. A request is FAILED when it was sent (all of
 * them were sent before the client stopped) and did not end with HTTP 2xx and a GraphQL result
 * without errors: a non-2xx status, a socket error (ECONNREFUSED, ECONNRESET, socket hang up), no
 * answer within 10 s, or an `errors` entry (e.g. "Cannot use a pool after calling end on the pool").
 */

const CONNECTIONS = 20;
const READY_DELAY_MS = 1000;
const POLL_MS = 50;
const LB_LAG_MS = 300;
/** Load before SIGTERM, so that requests are in flight on every connection when it comes. */
const WARM_UP_MS = 600;
const TRIALS = 3;

interface Trial {
  requests: LoadRequest[];
  failed: LoadRequest[];
  notReadyAt: number;
  exit: NodeJS.Signals | number | null;
}

function failedRequest(request: LoadRequest): boolean {
  if (request.error || !request.status || request.status < 200 || request.status > 299) return true;
  const body = JSON.parse(request.body ?? '{}') as { data?: unknown; errors?: unknown[] };
  return !body.data || !!body.errors?.length;
}

/** Polls /ready until it answers anything but 200 (a refused connection counts); the time it first did. */
async function firstNotReady(url: string, deadline: number): Promise<number> {
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/ready`).then((res) => res.ok, () => false);
    if (!ok) return Date.now();
    await sleep(POLL_MS);
  }
  throw new Error('/ready never stopped answering 200');
}

async function trial(api: ApiProcess, orgSlug: string): Promise<Trial> {
  let stopSendingAt = Infinity;
  const load = runKeepAliveLoad({
    url: `${api.url}/graphql`,
    connections: CONNECTIONS,
    body: JSON.stringify({ query: print(CustomersDocument), variables: { first: 10 } }),
    headers: { 'content-type': 'application/json', 'x-admin-secret': TEST_ADMIN_SECRET, 'x-organization-id': orgSlug },
    keepSending: () => Date.now() < stopSendingAt,
    maxRequests: 20_000,
  });
  await sleep(WARM_UP_MS);
  const signalledAt = Date.now();
  api.child.kill('SIGTERM');
  const notReadyAt = await firstNotReady(api.url, signalledAt + 5000);
  stopSendingAt = notReadyAt + LB_LAG_MS;
  const requests = await load;
  const exit = await api.exited;
  return { requests, failed: requests.filter(failedRequest), notReadyAt, exit };
}

describe('shutdown drains an API under load without failing a request', () => {
  const processes = new AppProcessGroup();
  let database: TestDatabase;
  let apis: ApiProcess[];

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      MIGRATE_ON_START: 'false', // the test database is cloned from a migrated template
      ADMIN_SECRET: TEST_ADMIN_SECRET,
      RATE_LIMIT_MAX: '10000000',
      SHUTDOWN_READY_DELAY_MS: String(READY_DELAY_MS),
      SHUTDOWN_GRACE_MS: '5000',
    };
    const ports = await Promise.all(Array.from({ length: TRIALS }, () => freeLocalPort()));
    apis = await Promise.all(ports.map((port, i) => processes.startApi(`api-${i + 1}`, port, env)));
    const created = await apis[0].gql(CreateTenantDocument, { input: { name: 'Drain', slug: 'drain' } }, { 'x-admin-secret': TEST_ADMIN_SECRET });
    expect(created.errors).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    await processes.killAll();
    await database?.drop();
  });

  it(`answers every request sent before the client saw /ready turn 503 (+${LB_LAG_MS} ms), ${TRIALS} trials`, async () => {
    for (const api of apis) {
      const { requests, failed, notReadyAt, exit } = await trial(api, 'drain');
      const served = requests.filter((r) => !failedRequest(r));
      const failures = failed.map((r) => ({ sentAfterNotReadyMs: r.sentAt - notReadyAt, status: r.status, error: r.error, body: r.body?.slice(0, 200) }));
      expect({ api: api.name, failures }).toEqual({ api: api.name, failures: [] });
      expect(served.length).toBeGreaterThan(CONNECTIONS * 5);
      // Requests sent after /ready said 503 were still served: the listener stayed open for the delay.
      expect(served.filter((r) => r.sentAt > notReadyAt).length).toBeGreaterThan(CONNECTIONS);
      expect(exit).toBe(0);
      const messages = api.logs.map((l) => l.msg);
      const steps = ['shutting down: /ready answers 503, still serving', 'shutting down: no new connections, draining requests and jobs', 'stopped'];
      const at = steps.map((m) => messages.indexOf(m));
      expect(Math.min(...at)).toBeGreaterThanOrEqual(0);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      // Nothing went wrong on the way down: no error or warning logged (pool ended under work, lost connections)
      // but the probes' own 503s.
      const probe = (l: LogLine) => (l.req as { path?: string } | undefined)?.path === '/ready';
      expect(api.logs.filter((l) => l.level >= 40 && !probe(l)).map((l) => l.msg)).toEqual([]);
    }
  }, 60_000);
});
