import { Client } from 'pg';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';

/** The channel the domain_events trigger notifies on commit (migrations/public/1765000000000-…). */
export const EVENTS_CHANNEL = 'tenantql_events';
const RECONNECT_MAX_MS = 10_000;

/**
 * One delivery per event and matching endpoint: enabled, subscribed to the type (or `*`), and existing when the
 * event happened. The body is fixed here, so every attempt (and a replay) sends the same bytes.
 */
const INSERT_DELIVERIES = (events: string) => `
  INSERT INTO public.webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body)
  SELECT e.tenant_id, w.id, e.id::text, e.type, json_build_object(
           'id', e.id::text, 'type', e.type, 'version', e.version,
           'occurredAt', to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'tenantId', e.tenant_id, 'actor', e.actor,
           'entity', json_build_object('type', e.entity_type, 'id', e.entity_id), 'data', e.payload)::text
    FROM (${events}) e
    JOIN public.webhook_endpoints w
      ON w.tenant_id = e.tenant_id AND w.enabled AND w.created_at <= e.occurred_at
     AND (e.type = ANY (w.events) OR '*' = ANY (w.events))
  ON CONFLICT (endpoint_id, event_id) WHERE replay_of IS NULL DO NOTHING
  RETURNING id`;

export interface DispatcherDependencies {
  dataSource: DataSource;
  /** A direct connection for LISTEN (never a transaction-mode pooler). */
  listenUrl: string;
  logger: Logger;
  /** Attempts the deliveries just created (the listener's fast path). */
  deliver: (deliveryIds: string[]) => Promise<void>;
}

/**
 * Turns committed domain events into webhook deliveries. Two paths, both idempotent (one delivery per event and
 * endpoint): NOTIFY on `tenantql_events` makes the listener dispatch and attempt an event at once; `catchUp`
 * (a job, and after the listener reconnects) walks every finished transaction's events from a cursor stored in
 * public.webhook_dispatch_cursor, so nothing is lost while no listener runs. See the webhooks migration for why
 * the cursor is a transaction id.
 */
export class WebhookDispatcher {
  private client?: Client;
  private closed = false;
  private reconnectMs = 200;
  private reconnectTimer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: DispatcherDependencies) {}

  /**
   * Dispatches one event (the listener's path; a rolled-back event does not exist and creates none) and returns its
   * deliveries still waiting for a first attempt. Those include the ones a concurrent catch-up created first: its
   * insert wins the conflict and this one's RETURNING is empty, yet the event must still be attempted at once.
   */
  async dispatchEvent(eventId: string): Promise<string[]> {
    await this.deps.dataSource.query(INSERT_DELIVERIES('SELECT * FROM public.domain_events WHERE id = $1'), [eventId]);
    const rows: { id: string }[] = await this.deps.dataSource.query(
      `SELECT d.id FROM public.domain_events e
         JOIN public.webhook_endpoints w ON w.tenant_id = e.tenant_id
         JOIN public.webhook_deliveries d ON d.endpoint_id = w.id AND d.event_id = e.id::text AND d.replay_of IS NULL
        WHERE e.id = $1 AND d.status = 'PENDING' AND d.attempts = 0`,
      [eventId],
    );
    return rows.map((r) => r.id);
  }

  /** Dispatches events of finished transactions past the cursor, `limit` at a time; returns deliveries created. */
  async catchUp(limit = 500): Promise<number> {
    let created = 0;
    for (;;) {
      const batch = await this.deps.dataSource.transaction((em) => this.catchUpBatch(em, limit));
      created += batch.created;
      if (batch.events < limit) return created;
    }
  }

  private async catchUpBatch(em: EntityManager, limit: number): Promise<{ events: number; created: number }> {
    // The lock serialises catch-ups of several workers; each sees the cursor the previous one left.
    const [cursor]: { tx_id: string; event_id: string }[] = await em.query(
      'SELECT tx_id::text, event_id FROM public.webhook_dispatch_cursor FOR UPDATE',
    );
    const events: { id: string; tx_id: string }[] = await em.query(
      `SELECT id, tx_id::text FROM public.domain_events
        WHERE (tx_id, id) > ($1::xid8, $2::bigint) AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY tx_id, id LIMIT $3`,
      [cursor.tx_id, cursor.event_id, limit],
    );
    if (!events.length) return { events: 0, created: 0 };
    const created: unknown[] = await em.query(
      INSERT_DELIVERIES('SELECT * FROM public.domain_events WHERE id = ANY ($1::bigint[])'),
      [events.map((e) => e.id)],
    );
    const last = events[events.length - 1];
    await em.query('UPDATE public.webhook_dispatch_cursor SET tx_id = $1::xid8, event_id = $2, updated_at = now()', [
      last.tx_id,
      last.id,
    ]);
    return { events: events.length, created: created.length };
  }

  /** LISTENs (worker processes); on every (re)connection it catches up on what it may have missed. */
  async listen(): Promise<void> {
    const client = new Client({ connectionString: this.deps.listenUrl, application_name: 'tenantql-webhooks' });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      const id = message.payload ? (JSON.parse(message.payload) as { id?: unknown }).id : undefined;
      if (message.channel === EVENTS_CHANNEL && id !== undefined) this.track(this.dispatchAndDeliver(String(id)));
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.client = client;
    this.reconnectMs = 200;
    this.track(this.catchUp().then(() => undefined));
  }

  /** Stops listening and waits for the dispatches under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private async dispatchAndDeliver(eventId: string): Promise<void> {
    const ids = await this.dispatchEvent(eventId);
    if (ids.length) await this.deps.deliver(ids);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error) =>
      this.deps.logger.error({ err: error }, 'webhook dispatch failed; the catch-up job will retry'),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = undefined;
    this.deps.logger.warn({ err: error }, 'webhook event listener lost; reconnecting');
    void client.end().catch(() => undefined);
    const reconnect = () => {
      this.reconnectTimer = setTimeout(() => {
        if (this.closed) return;
        this.listen().catch(() => {
          this.reconnectMs = Math.min(RECONNECT_MAX_MS, this.reconnectMs * 2);
          reconnect();
        });
      }, this.reconnectMs);
    };
    reconnect();
  }
}
