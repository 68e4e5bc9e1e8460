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
  /** Entries older than this cannot matter any more (the lifetime of what they revoke, or of its cached copy). */
  retentionMs: number;
  /** Ids revoked within the last `withinMs`, with when, read on the listener's connection. */
  load(client: Client, withinMs: number): Promise<{ id: string; revokedAt: Date }[]>;
  /** Whether one id is revoked, asked of the database while the listener is down (the app's pool). */
  lookup(id: string): Promise<boolean>;
}

export interface RevocationFeedOptions {
  /** A direct connection (LISTEN holds a session: never a transaction-mode pooler). */
  connectionString: string;
  /** What is revoked (ended sessions, API keys): one listener connection serves them all. */
  sources: RevocationSource[];
  logger: Logger;
  applicationName?: string;
}

/** Whether one id of one source is revoked. */
export interface RevocationCheck {
  isRevoked(id: string): Promise<boolean>;
}

/**
 * Per-process sets of revoked ids (ended sessions, revoked API keys), one per source, loaded
 * at start and kept current by LISTEN on one connection, so checking one costs no database
 * round trip. When the listener connection drops,
 * it reconnects, LISTENs again and reloads (what was sent meanwhile is in the table); for
 * up to STALE_AFTER_MS the set is trusted, after that every check asks the database until
 * the set is current again. Nothing is ever accepted on the strength of a set that missed
 * notifications for longer than that.
 */
export class RevocationFeed {
  /** Per channel: revoked id → when. */
  private readonly revoked = new Map<string, Map<string, number>>();
  private client?: Client;
  /** Since when the set may have missed notifications; undefined while it is current. */
  private downSince: number | undefined = Date.now();
  private reconnectDelayMs = 100;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: RevocationFeedOptions) {
    for (const source of options.sources) this.revoked.set(source.channel, new Map());
  }

  /** Connects, listens and loads; rejects when the first attempt fails (the process should not serve). */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** The check of one source (its channel). */
  of(channel: string): RevocationCheck {
    const source = this.options.sources.find((s) => s.channel === channel);
    if (!source) throw new Error(`The revocation feed does not listen on ${channel}`);
    const revoked = this.revoked.get(channel)!;
    return { isRevoked: async (id) => this.check(source, revoked, id) };
  }

  /** Whether `id` is revoked in any source (a feed of one source, or ids unique across them). */
  async isRevoked(id: string): Promise<boolean> {
    for (const source of this.options.sources)
      if (await this.check(source, this.revoked.get(source.channel)!, id)) return true;
    return false;
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

  private check(source: RevocationSource, revoked: Map<string, number>, id: string): Promise<boolean> | boolean {
    if (revoked.has(id)) return true;
    if (this.downSince === undefined || Date.now() - this.downSince < STALE_AFTER_MS) return false;
    return source.lookup(id);
  }

  private async connect(): Promise<void> {
    const { connectionString, sources, applicationName } = this.options;
    const client = new Client({
      connectionString,
      keepAlive: true,
      application_name: applicationName ?? 'tenantql-revocations',
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.payload) this.revoked.get(message.channel)?.set(message.payload, Date.now());
    });
    try {
      await client.connect();
      // LISTEN before loading: whatever commits in between arrives as a notification.
      for (const source of sources) await client.query(`LISTEN "${source.channel}"`);
      for (const source of sources) {
        const revoked = this.revoked.get(source.channel)!;
        for (const row of await source.load(client, source.retentionMs)) revoked.set(row.id, row.revokedAt.getTime());
      }
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
    for (const source of this.options.sources) {
      const oldest = Date.now() - source.retentionMs;
      const revoked = this.revoked.get(source.channel)!;
      for (const [id, at] of revoked) if (at < oldest) revoked.delete(id);
    }
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
