import type { Client } from 'pg';
import type { Logger } from 'pino';
import { PgListener } from '../database/pg-listener';

/** Longest the feed trusts its set while its listener is down; past it, `isRevoked` asks the database. */
export const STALE_AFTER_MS = 500;

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
 * notifications for longer than that. The connection itself is a PgListener.
 */
export class RevocationFeed {
  private readonly revoked = new Map<string, number>();
  private readonly listener: PgListener;
  /** Since when the set may have missed notifications; undefined while it is current. */
  private downSince: number | undefined = Date.now();

  constructor(private readonly options: RevocationFeedOptions) {
    const { connectionString, source, retentionMs, logger, applicationName } = options;
    this.listener = new PgListener({
      connectionString,
      channel: source.channel,
      name: 'revocation listener',
      applicationName: applicationName ?? 'tenantql-revocations',
      logger,
      onNotification: (id) => this.revoked.set(id, Date.now()),
      onConnected: async (client) => {
        for (const row of await source.load(client, retentionMs)) this.revoked.set(row.id, row.revokedAt.getTime());
        this.downSince = undefined;
      },
      onLost: () => (this.downSince = Date.now()), // checks ask the database once the set is stale
      onHeartbeat: () => this.forgetOld(),
    });
  }

  /** Connects, listens and loads; rejects when the first attempt fails (the process should not serve). */
  start(): Promise<void> {
    return this.listener.start();
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

  close(): Promise<void> {
    return this.listener.close();
  }

  /** Entries that can no longer matter. */
  private forgetOld(): void {
    const oldest = Date.now() - this.options.retentionMs;
    for (const [id, at] of this.revoked) if (at < oldest) this.revoked.delete(id);
  }
}
