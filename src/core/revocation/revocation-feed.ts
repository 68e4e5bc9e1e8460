import { Client } from 'pg';
import type { Logger } from 'pino';

/** Longest the feed trusts its set while its listener is down; past it, `isRevoked` asks the database. */
export const STALE_AFTER_MS = 500;
/** How often the listener connection is probed (a silently dead one is found this way) and old entries dropped. */
const HEARTBEAT_MS = 5_000;
const PROBE_TIMEOUT_MS = 2_000;
const RECONNECT_MAX_MS = 5_000;

export interface RevocationSource {
  /** PostgreSQL channel on which the id of each revocation is sent (NOTIFY, delivered on commit). */
  channel: string;
  /** Ids revoked within the last `withinMs`, with when, read on the listener's connection. */
  load(client: Client, withinMs: number): Promise<{ id: string; revokedAt: Date }[]>;
  /** Whether one id is revoked, asked of the database while the listener is down (the app's pool). */
  lookup(id: string): Promise<boolean>;
}

export interface RevocationFeedOptions {
  /** A direct connection (LISTEN holds a session: never a transaction-mode pooler). */
  connectionString: string;
  source: RevocationSource;
  /** Entries older than this cannot matter any more (the lifetime of what they revoke). */
  retentionMs: number;
  logger: Logger;
  applicationName?: string;
}

/**
 * A per-process set of revoked ids (ended sessions), loaded at start and kept current by
 * LISTEN, so checking one costs no database round trip. When the listener connection drops,
 * it reconnects, LISTENs again and reloads (what was sent meanwhile is in the table); for
 * up to STALE_AFTER_MS the set is trusted, after that every check asks the database until
 * the set is current again. Nothing is ever accepted on the strength of a set that missed
 * notifications for longer than that.
 */
export class RevocationFeed {
  private readonly revoked = new Map<string, number>();
  private client?: Client;
  /** Since when the set may have missed notifications; undefined while it is current. */
  private downSince: number | undefined = Date.now();
  private reconnectDelayMs = 100;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RevocationFeedOptions) {}

  /** Connects, listens and loads; rejects when the first attempt fails (the process should not serve). */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async isRevoked(id: string): Promise<boolean> {
    if (this.revoked.has(id)) return true;
    if (this.downSince === undefined || Date.now() - this.downSince < STALE_AFTER_MS) return false;
    return this.options.source.lookup(id);
  }

  /** Whether the set is current (the listener is up and loaded). */
  get live(): boolean {
    return this.downSince === undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { connectionString, source, retentionMs, applicationName } = this.options;
    const client = new Client({
      connectionString,
      keepAlive: true,
      application_name: applicationName ?? 'tenantql-revocations',
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === source.channel && message.payload) this.revoked.set(message.payload, Date.now());
    });
    try {
      await client.connect();
      // LISTEN before loading: whatever commits in between arrives as a notification.
      await client.query(`LISTEN "${source.channel}"`);
      for (const row of await source.load(client, retentionMs)) this.revoked.set(row.id, row.revokedAt.getTime());
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.downSince = undefined;
    this.reconnectDelayMs = 100;
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.downSince = Date.now();
    this.options.logger.warn({ err: error }, 'revocation listener lost; reconnecting (checks ask the database then)');
    void client.end().catch(() => undefined);
    this.scheduleReconnect(0);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(async () => {
      if (this.closed) return;
      try {
        await this.connect();
        this.options.logger.info('revocation listener reconnected and reloaded');
      } catch (error) {
        const retryInMs = this.reconnectDelayMs;
        this.options.logger.warn({ err: error, retryInMs }, 'revocation listener reconnect failed');
        this.scheduleReconnect(this.reconnectDelayMs);
        this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
      }
    }, delayMs);
    this.reconnectTimer.unref();
  }

  /** Probes the listener (a dead one is replaced) and forgets entries that can no longer matter. */
  private async beat(): Promise<void> {
    const oldest = Date.now() - this.options.retentionMs;
    for (const [id, at] of this.revoked) if (at < oldest) this.revoked.delete(id);
    const client = this.client;
    if (!client) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      const unanswered = new Error(`listener probe unanswered after ${PROBE_TIMEOUT_MS} ms`);
      timer = setTimeout(() => reject(unanswered), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (error) {
      this.lost(client, error as Error);
    } finally {
      clearTimeout(timer);
    }
  }
}
