import { Client } from 'pg';
import type { Logger } from 'pino';

/** How often the listener connection is probed (a silently dead one is found this way). */
const HEARTBEAT_MS = 5_000;
const PROBE_TIMEOUT_MS = 2_000;
const RECONNECT_MAX_MS = 5_000;

export interface PgListenerOptions {
  /** A direct connection (LISTEN holds a session: never a transaction-mode pooler). */
  connectionString: string;
  /** Channels LISTENed to on the one connection. */
  channels: string[];
  /** Shown in pg_stat_activity and in the log lines ("revocation listener lost"). */
  name: string;
  applicationName: string;
  logger: Logger;
  onNotification(channel: string, payload: string): void;
  /**
   * After each (re)connection, once LISTEN is in place, on the listener's connection: reload what may have been
   * sent while nobody listened. A failure counts as a failed connection.
   */
  onConnected(client: Client): Promise<void>;
  /** The connection was lost: notifications may be missed until the next `onConnected`. */
  onLost?(): void;
  /** Every heartbeat, whether or not the listener is up (housekeeping of what the notifications fed). */
  onHeartbeat?(): void;
}

/**
 * One LISTEN connection held for good: reconnects with back-off when it drops (or stops answering the
 * heartbeat probe), LISTENs again and calls `onConnected` so its owner reloads what it missed.
 * The one mechanism behind every per-process feed of NOTIFY (ended sessions, domain events).
 */
export class PgListener {
  private client?: Client;
  private reconnectDelayMs = 100;
  private reconnectTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: PgListenerOptions) {}

  /** Connects, listens and loads; rejects when the first attempt fails (the process should not serve). */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get connected(): boolean {
    return this.client !== undefined;
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
    const { connectionString, channels, applicationName } = this.options;
    const client = new Client({ connectionString, keepAlive: true, application_name: applicationName });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (channels.includes(message.channel) && message.payload)
        this.options.onNotification(message.channel, message.payload);
    });
    try {
      await client.connect();
      // LISTEN before loading: whatever commits in between arrives as a notification.
      for (const channel of channels) await client.query(`LISTEN "${channel}"`);
      await this.options.onConnected(client);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    this.reconnectDelayMs = 100;
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.options.onLost?.();
    this.options.logger.warn({ err: error }, `${this.options.name} lost; reconnecting`);
    void client.end().catch(() => undefined);
    this.scheduleReconnect(0);
  }

  private scheduleReconnect(delayMs: number): void {
    this.reconnectTimer = setTimeout(async () => {
      if (this.closed) return;
      try {
        await this.connect();
        this.options.logger.info(`${this.options.name} reconnected and reloaded`);
      } catch (error) {
        const retryInMs = this.reconnectDelayMs;
        this.options.logger.warn({ err: error, retryInMs }, `${this.options.name} reconnect failed`);
        this.scheduleReconnect(this.reconnectDelayMs);
        this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
      }
    }, delayMs);
    this.reconnectTimer.unref();
  }

  /** Probes the listener: one that does not answer is replaced. */
  private async beat(): Promise<void> {
    this.options.onHeartbeat?.();
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
