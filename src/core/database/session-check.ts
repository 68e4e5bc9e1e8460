import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** How long the probe's last statement may wait for a server connection: a direct one never waits. */
const PROBE_WAIT_MS = 3000;
/**
 * Rounds of the probe. One round can miss a pooler when other clients take its server connections in
 * between (the second client then gets another backend and the first gets its own back); a direct
 * connection never shows either sign, so repeating only removes false negatives.
 */
const PROBE_ROUNDS = 5;

/**
 * Whether `url` reaches PostgreSQL through a pooler that shares server sessions between clients
 * (PgBouncer in transaction or statement mode). Session state does not survive there, so a session
 * advisory lock would protect nothing. Two client connections: the first sets a session setting,
 * the second holds a transaction open; the pooler hands the second the first one's server
 * connection (PgBouncer reuses the most recent one), or moves the first to another backend. A direct
 * connection or a session-mode pooler keeps one backend per client: same pid, setting still there.
 * Returns what gave the pooler away, or undefined.
 */
export async function sharedSessionPooler(url: string): Promise<string | undefined> {
  for (let round = 0; round < PROBE_ROUNDS; round++) {
    const evidence = await probeOnce(url);
    if (evidence) return evidence;
  }
  return undefined;
}

async function probeOnce(url: string): Promise<string | undefined> {
  const open = async () => {
    const client = new Client({
      connectionString: url,
      application_name: 'tenantql-session-check',
      query_timeout: PROBE_WAIT_MS,
    });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const first = await open();
  let second: Client | undefined;
  try {
    const marker = randomBytes(8).toString('hex');
    const set = `SELECT pg_backend_pid() AS pid, set_config('tenantql.session_probe', $1, false)`;
    const [a] = (await first.query(set, [marker])).rows;
    second = await open();
    await second.query('BEGIN');
    const probe = `SELECT pg_backend_pid() AS pid, current_setting('tenantql.session_probe', true) AS probe`;
    const [b] = (await second.query(probe)).rows;
    if (b.pid === a.pid || b.probe === marker) {
      return `two client connections were given the same PostgreSQL session (pid ${a.pid})`;
    }
    let c: { pid: number; probe: string | null };
    try {
      [c] = (await first.query(probe)).rows;
    } catch {
      return `a statement waited over ${PROBE_WAIT_MS} ms for a server connection`;
    }
    if (c.pid !== a.pid || c.probe !== marker) {
      return `the session changed between two statements (pid ${a.pid}, then ${c.pid})`;
    }
    return undefined;
  } finally {
    await second?.query('ROLLBACK').catch(() => undefined);
    await Promise.all([first.end().catch(() => undefined), second?.end().catch(() => undefined)]);
  }
}
