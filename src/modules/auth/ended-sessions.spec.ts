import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { sleep, waitFor } from '../../../test/faults/dedicated-postgres';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { loadConfig } from '../../core/config/config';
import { createLogger } from '../../core/logging/logger';
import { STALE_AFTER_MS, type RevocationFeed } from '../../core/revocation/revocation-feed';
import { createEndedSessions } from './ended-sessions';

/** The ended-sessions feed on a real PostgreSQL: the triggers, NOTIFY on commit, reload after a dropped listener. */
describe('ended sessions (per-process set fed by LISTEN/NOTIFY)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let check: Client;
  const feeds: RevocationFeed[] = [];
  const jwt = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }).jwt;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await new DataSource({ type: 'postgres', url: database.url }).initialize();
    check = new Client({ connectionString: database.url });
    await check.connect();
  });
  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.close()));
  });
  afterAll(async () => {
    await check?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  const startFeed = async (listenUrl = database.url) => {
    const feed = createEndedSessions({ dataSource, listenUrl, jwt, logger: createLogger('silent') });
    feeds.push(feed);
    await feed.start();
    return feed;
  };

  const addSession = async (userId: string): Promise<string> => {
    const sql = `INSERT INTO public.auth_sessions (user_id, expires_at)
                 VALUES ($1, now() + interval '1 day') RETURNING id`;
    return (await check.query(sql, [userId])).rows[0].id;
  };
  /** A user with one live session. */
  const newSession = async (): Promise<{ userId: string; sessionId: string }> => {
    const email = `u-${randomBytes(4).toString('hex')}@example.com`;
    const sql = `INSERT INTO public.users (email, password_hash, first_name, last_name)
                 VALUES ($1, 'x', 'A', 'B') RETURNING id`;
    const [{ id: userId }] = (await check.query(sql, [email])).rows;
    return { userId, sessionId: await addSession(userId) };
  };
  const revoke = (sessionId: string, client: Client = check) =>
    client.query(`UPDATE public.auth_sessions SET revoked_at = now(), revoked_reason = 'REVOKED' WHERE id = $1`, [
      sessionId,
    ]);
  /** Polls for up to 1 s: the promise every process keeps. */
  const refusedWithinASecond = (feed: RevocationFeed, sessionId: string) =>
    waitFor(`session ${sessionId} refused`, async () => (await feed.isRevoked(sessionId)) || undefined, 1_000, 20);
  const listenerPids = async () => {
    const sql = `SELECT pid FROM pg_stat_activity
                  WHERE application_name = 'tenantql-revocations' AND datname = current_database()`;
    return (await check.query(sql)).rows;
  };

  it('loads at start what ended within an access token lifetime, and nothing older', async () => {
    const recent = await newSession();
    const old = await newSession();
    await revoke(recent.sessionId);
    await revoke(old.sessionId);
    const expired = `UPDATE public.ended_sessions SET ended_at = now() - $2 * interval '1 hour' WHERE session_id = $1`;
    await check.query(expired, [old.sessionId, jwt.expirationHours + 1]);
    const feed = await startFeed();
    expect(feed.live).toBe(true);
    expect(await feed.isRevoked(recent.sessionId)).toBe(true);
    expect(await feed.isRevoked(old.sessionId)).toBe(false);
  });

  it('hears a revocation on commit, not before; deleting a user ends its live sessions', async () => {
    const feed = await startFeed();
    const { sessionId } = await newSession();
    const tx = new Client({ connectionString: database.url });
    await tx.connect();
    try {
      await tx.query('BEGIN');
      await revoke(sessionId, tx);
      await sleep(200);
      expect(await feed.isRevoked(sessionId)).toBe(false);
      await tx.query('COMMIT');
    } finally {
      await tx.end();
    }
    await refusedWithinASecond(feed, sessionId);

    const deleted = await newSession();
    const second = await addSession(deleted.userId);
    await check.query('DELETE FROM public.users WHERE id = $1', [deleted.userId]);
    await refusedWithinASecond(feed, deleted.sessionId);
    await refusedWithinASecond(feed, second);
    expect(await feed.isRevoked((await newSession()).sessionId)).toBe(false);
  });

  it('a dropped listener reconnects and reloads: what ended while it was away is refused', async () => {
    const feed = await startFeed();
    const [{ pid }] = await listenerPids();
    const { sessionId } = await newSession();
    // Terminate the listener and revoke at once: the notification goes nowhere, the reload finds it.
    await check.query('SELECT pg_terminate_backend($1)', [pid]);
    await revoke(sessionId);
    await refusedWithinASecond(feed, sessionId);
    await waitFor('the listener back', async () => (feed.live ? true : undefined), 5_000);
    const [{ pid: newPid }] = await listenerPids();
    expect(newPid).not.toBe(pid);
  });

  it(`while the listener cannot reconnect, checks ask the database after ${STALE_AFTER_MS} ms`, async () => {
    const role = `revocation_listener_${randomBytes(3).toString('hex')}`;
    const url = new URL(database.url);
    // The same password as the test's own role: the embedded server asks for one, a trust server ignores it.
    const password = decodeURIComponent(url.password);
    await check.query(`CREATE ROLE ${role} LOGIN${password ? ` PASSWORD '${password.replace(/'/g, "''")}'` : ''}`);
    await check.query(`GRANT SELECT ON public.ended_sessions TO ${role}`);
    try {
      url.username = role;
      const feed = await startFeed(url.toString());
      const { sessionId } = await newSession();
      await check.query(`ALTER ROLE ${role} NOLOGIN`);
      await check.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      await waitFor('the listener seen as lost', async () => (feed.live ? undefined : true), 2_000, 10);
      await revoke(sessionId);
      await refusedWithinASecond(feed, sessionId); // no notification, no reload: the database answered
      expect(feed.live).toBe(false);
      expect(await feed.isRevoked((await newSession()).sessionId)).toBe(false);

      await check.query(`ALTER ROLE ${role} LOGIN`);
      await waitFor('the listener back', async () => (feed.live ? true : undefined), 10_000);
      expect(await feed.isRevoked(sessionId)).toBe(true);
      await feed.close();
    } finally {
      await check.query(`REVOKE ALL ON public.ended_sessions FROM ${role}`);
      await check.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
      await check.query(`DROP ROLE ${role}`);
    }
  });
});
