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
 * few failed checks to take the instance out). The time the client needs to notice plus LB_LAG_MS is
 * below SHUTDOWN_READY_DELAY_MS, the time the process keeps serving after /ready turned 503: what an
 * operator sets it to (docs/operations.md). A request is FAILED when it was sent (all of
 * them were sent before the client stopped) and did not end with HTTP 2xx and a GraphQL result
 * without errors: a non-2xx status, a socket error (ECONNREFUSED, ECONNRESET, socket hang up), no
 * answer within 10 s, or an `errors` entry (e.g. "Cannot use a pool after calling end on the pool").
 */

const CONNECTIONS = 20;
/**
 * Above the client's detection time: a poll interval, plus the latency of a /ready check made under
 * this load (up to ~700 ms measured on a busy 2-core machine), plus LB_LAG_MS.
 */
const READY_DELAY_MS = 2000;
const POLL_MS = 50;
const LB_LAG_MS = 300;
/** Load before SIGTERM, so that requests are in flight on every connection when it comes. */
const WARM_UP_MS = 600;
const TRIALS = 3;
/** What the process logs at each step of its shutdown. */
const STEPS = [
  'shutting down: /ready answers 503, still serving',
  'shutting down: no new connections, draining requests and jobs',
  'stopped',
];

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
    const ok = await fetch(`${url}/ready`).then(
      (res) => res.ok,
      () => false,
    );
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
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      MIGRATE_ON_START: 'false', // the test database is cloned from a migrated template
      ADMIN_SECRET: TEST_ADMIN_SECRET,
      RATE_LIMIT_MAX: '10000000',
      SHUTDOWN_READY_DELAY_MS: String(READY_DELAY_MS),
      SHUTDOWN_GRACE_MS: '5000',
    };
    const api = await processes.startApi('api-setup', await freeLocalPort(), env);
    const input = { name: 'Drain', slug: 'drain' };
    const created = await api.gql(CreateTenantDocument, { input }, { 'x-admin-secret': TEST_ADMIN_SECRET });
    expect(created.errors).toBeUndefined();
    api.child.kill('SIGTERM');
    await api.exited;
  }, 60_000);

  afterAll(async () => {
    await processes.killAll();
    await database?.drop();
  });

  it(`answers every request sent up to ${LB_LAG_MS} ms after the client saw /ready 503 (${TRIALS} trials)`, async () => {
    for (let i = 1; i <= TRIALS; i++) {
      // One after the other: starting three at once on a busy 2-core machine takes longer than the three.
      const api = await processes.startApi(`api-${i}`, await freeLocalPort(), env);
      const { requests, failed, notReadyAt, exit } = await trial(api, 'drain');
      const served = requests.filter((r) => !failedRequest(r));
      const failures = failed.map((r) => ({
        sentAfterNotReadyMs: r.sentAt - notReadyAt,
        status: r.status,
        error: r.error,
        body: r.body?.slice(0, 200),
      }));
      // When the server (same clock) began each step, relative to the moment the client saw /ready turn 503.
      const stepAt = (msg: string) => (api.logs.find((l) => l.msg === msg)?.time ?? NaN) - notReadyAt;
      const steps = { notReady: stepAt(STEPS[0]), listenerClosed: stepAt(STEPS[1]), exit };
      expect({ api: api.name, failures, steps }).toEqual({ api: api.name, failures: [], steps });
      // Every connection was busy, and requests sent after /ready said 503 were still served (the delay).
      const servedAfterNotReady = served.filter((r) => r.sentAt > notReadyAt).length;
      const figures = `${requests.length} requests, ${failed.length} failed`;
      console.log(`${api.name}: ${figures}, ${servedAfterNotReady} sent after /ready 503`);
      expect(served.length).toBeGreaterThan(CONNECTIONS);
      expect(servedAfterNotReady).toBeGreaterThan(0);
      expect(exit).toBe(0);
      const messages = api.logs.map((l) => l.msg);
      const at = STEPS.map((m) => messages.indexOf(m));
      expect(Math.min(...at)).toBeGreaterThanOrEqual(0);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      // Nothing went wrong on the way down: no error or warning logged (pool ended under work, lost connections)
      // but the probes' own 503s.
      const probe = (l: LogLine) => (l.req as { path?: string } | undefined)?.path === '/ready';
      expect(api.logs.filter((l) => l.level >= 40 && !probe(l)).map((l) => l.msg)).toEqual([]);
    }
  }, 120_000);
});
