import { CreateCustomerDocument } from '../generated/graphql';
import { startTestApp, type TestApp } from '../support/test-app';
import { sleep, startDedicatedPostgres, waitFor, type DedicatedPostgres } from './dedicated-postgres';

const LANES = 4;
/** Load before the stop, time PostgreSQL stays down, load after it is back. */
const STEADY_MS = 1500;
const DOWN_MS = 2500;
const AFTER_MS = 1500;
/** The loop stops by itself whatever happens. */
const MAX_REQUESTS = 20_000;
/** "Recovers by itself within seconds": the bound, not a performance target. */
const RECOVERY_DEADLINE_MS = 15_000;

describe('PostgreSQL restart under load', () => {
  let postgres: DedicatedPostgres;
  let app: TestApp;

  beforeAll(async () => {
    postgres = await startDedicatedPostgres();
    app = await startTestApp({ DATABASE_URL: postgres.url, DATABASE_POOL_MAX: '5' });
  });
  afterAll(async () => {
    await app?.close();
    await postgres?.destroy();
  });

  it('answers 503 on /health while PostgreSQL is down, recovers by itself, and loses no acknowledged write', async () => {
    const tenant = await app.createTenant('restart');
    const acknowledged: string[] = [];
    let failed = 0;
    let sent = 0;
    let phase: 'steady' | 'down' | 'starting' | 'back' = 'steady';
    let startAt = 0;
    let backAt = 0;
    let firstWriteAfterStart = 0;
    let firstWriteAfterBack = 0;
    let running = true;
    const health: { phase: string; status: number }[] = [];

    const writer = async (lane: number) => {
      for (let i = 0; running && sent < MAX_REQUESTS; i++) {
        sent++;
        const started = phase;
        const res = await app
          .gql(CreateCustomerDocument, { input: { name: `restart/${lane}/${i}` } }, { org: tenant.slug })
          .catch(() => undefined);
        const id = res?.data?.createCustomer.id;
        if (id) {
          acknowledged.push(id);
          if ((started === 'starting' || started === 'back') && !firstWriteAfterStart)
            firstWriteAfterStart = Date.now();
          if (started === 'back' && !firstWriteAfterBack) firstWriteAfterBack = Date.now();
        } else {
          failed++;
          await sleep(20); // a failing client backs off a little, as real ones do
        }
      }
    };
    const prober = async () => {
      while (running) {
        const sentIn = phase;
        const res = await fetch(`${app.url}/health`).catch(() => undefined);
        // A probe sent before a change and answered after it belongs to neither phase.
        health.push({ phase: sentIn === phase ? sentIn : 'transition', status: res?.status ?? 0 });
        await sleep(100);
      }
    };

    const load = Promise.all([...Array.from({ length: LANES }, (_, lane) => writer(lane)), prober()]);
    try {
      await sleep(STEADY_MS);
      const servedBefore = acknowledged.length;
      await postgres.stop();
      phase = 'down';
      const downAt = Date.now();
      await sleep(DOWN_MS);
      // PostgreSQL accepts connections somewhere inside start(): that stretch belongs to neither phase.
      phase = 'starting';
      startAt = Date.now();
      const downFor = startAt - downAt;
      await postgres.start();
      phase = 'back';
      backAt = Date.now();
      await waitFor(
        'a write after the restart',
        async () => (firstWriteAfterBack ? true : undefined),
        RECOVERY_DEADLINE_MS,
      );
      const healthyAgain = await waitFor(
        '/health to answer 200',
        async () => (health.some((h) => h.phase === 'back' && h.status === 200) ? true : undefined),
        RECOVERY_DEADLINE_MS,
      );
      await sleep(AFTER_MS);
      running = false;
      await load;

      const direct = await postgres.connect();
      let missing: string[];
      let stored: number;
      try {
        const { rows } = await direct.query(`SELECT id FROM "${tenant.schemaName}".customers`);
        const present = new Set(rows.map((r: { id: string }) => r.id));
        missing = acknowledged.filter((id) => !present.has(id));
        stored = rows.length;
      } finally {
        await direct.end();
      }
      const statusesWhileDown = [...new Set(health.filter((h) => h.phase === 'down').map((h) => h.status))];
      console.log(
        `[faults] PostgreSQL restart: ${sent} requests, ${acknowledged.length} acknowledged (${servedBefore} before the stop), ` +
          `${failed} refused with an error, ${missing.length} acknowledged writes lost, ${stored} rows stored; ` +
          `down ${downFor} ms; /health while down: ${statusesWhileDown.join(',')}; ` +
          `PostgreSQL start took ${backAt - startAt} ms; first acknowledged write ${firstWriteAfterStart - startAt} ms after the start command, ` +
          `${firstWriteAfterBack - backAt} ms after PostgreSQL reported ready`,
      );
      expect(healthyAgain).toBe(true);
      expect(statusesWhileDown).toEqual([503]);
      expect(failed).toBeGreaterThan(0); // the outage really hit requests
      expect(missing).toEqual([]);
      // Writes the client saw fail may still have committed (the answer was lost), never the reverse.
      expect(stored).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      running = false;
      await load;
    }
  });
});
