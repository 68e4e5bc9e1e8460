import type { Client } from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../database/pg-listener';

/** Longest the feed trusts its set while its listener is down; past it, `isRevoked` asks the database. */
export const STALE_AFTER_MS = 500;

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
 * at start and kept current by LISTEN on one connection (a PgListener), so checking one costs
 * no database round trip. When the listener connection drops, it reconnects, LISTENs again and
 * reloads (what was sent meanwhile is in the tables); for up to STALE_AFTER_MS the sets are
 * trusted, after that every check asks the database until they are current again. Nothing is
 * ever accepted on the strength of a set that missed notifications for longer than that.
 */
export class RevocationFeed {
  /** Per channel: revoked id → when. */
  private readonly revoked = new Map<string, Map<string, number>>();
  private readonly listener: PgListener;
  /**
   * Since when the sets may have missed notifications; undefined while they are current. Never loaded (not started,
   * as in the CLIs) counts as stale already: checks ask the database rather than trust empty sets for a while.
   */
  private downSince: number | undefined = Date.now() - STALE_AFTER_MS;

  constructor(private readonly options: RevocationFeedOptions) {
    const { connectionString, sources, logger, applicationName } = options;
    for (const source of sources) this.revoked.set(source.channel, new Map());
    this.listener = new PgListener({
      connectionString,
      channels: sources.map((source) => source.channel),
      name: 'revocation listener',
      applicationName: applicationName ?? 'tenantql-revocations',
      logger,
      onNotification: (channel, id) => this.revoked.get(channel)?.set(id, Date.now()),
      onConnected: async (client) => {
        for (const source of sources) {
          const revoked = this.revoked.get(source.channel)!;
          for (const row of await source.load(client, source.retentionMs)) revoked.set(row.id, row.revokedAt.getTime());
        }
        this.downSince = undefined;
      },
      onLost: () => (this.downSince = Date.now()), // checks ask the database once the sets are stale
      onHeartbeat: () => this.forgetOld(),
    });
  }

  /** Connects, listens and loads; rejects when the first attempt fails (the process should not serve). */
  start(): Promise<void> {
    return this.listener.start();
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

  /** Whether the sets are current (the listener is up and loaded). */
  get live(): boolean {
    return this.downSince === undefined;
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  private check(source: RevocationSource, revoked: Map<string, number>, id: string): Promise<boolean> | boolean {
    if (revoked.has(id)) return true;
    if (this.downSince === undefined || Date.now() - this.downSince < STALE_AFTER_MS) return false;
    return source.lookup(id);
  }

  /** Forgets entries that can no longer matter. */
  private forgetOld(): void {
    for (const source of this.options.sources) {
      const oldest = Date.now() - source.retentionMs;
      const revoked = this.revoked.get(source.channel)!;
      for (const [id, at] of revoked) if (at < oldest) revoked.delete(id);
    }
  }
}
