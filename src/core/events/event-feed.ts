import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { PgListener } from '../database/pg-listener';
import { ConflictError } from '../errors/app-error';
import type { DomainEventType, FieldChange } from './domain-event';

/** What the domain_events trigger notifies on (see migration 1765000000000). */
export const DOMAIN_EVENTS_CHANNEL = 'tenantql_events';

/** One committed row of `public.domain_events`, as subscribers get it. */
export interface StoredEvent {
  /** The bigserial id as a string: what a client resumes `after`. */
  id: string;
  tenantId: string;
  type: DomainEventType;
  version: number;
  actor: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
  /** The changed fields with before/after, when the event records them. */
  changes: FieldChange[] | null;
  occurredAt: Date;
}

/** Which events a subscriber wants, decided in memory for each event of its tenant. */
export interface EventSelector {
  tenantId: string;
  types: readonly DomainEventType[];
  /** Only the events about this entity (a ticket's id). */
  entityId?: string;
}

export interface EventSubscriber extends EventSelector {
  deliver(event: StoredEvent): void;
}

export interface ReplayWindow {
  /** At most this many events are replayed; a client further behind refetches. */
  maxEvents: number;
  /** Only events this recent are replayed. */
  maxAgeMs: number;
}

export interface EventFeedOptions {
  /** A direct connection for LISTEN (never a transaction-mode pooler). */
  listenUrl: string;
  /** The app's pool: event rows are read through it. */
  dataSource: DataSource;
  logger: Logger;
  replay: ReplayWindow;
}

const COLUMNS = `id::text AS id, tenant_id AS "tenantId", type, version, actor, entity_type AS "entityType",
  entity_id AS "entityId", payload, changes, occurred_at AS "occurredAt"`;

export const matches = (selector: EventSelector, event: StoredEvent): boolean =>
  event.tenantId === selector.tenantId &&
  selector.types.includes(event.type) &&
  (selector.entityId === undefined || selector.entityId === event.entityId);

/**
 * The process's one view of the domain events as they commit: one LISTEN connection (a PgListener, like
 * the ended sessions), each announced row loaded once per process (whatever the number of subscribers,
 * and only when its tenant has any) and handed to the subscribers it matches, in commit order. After a
 * dropped listener it reloads what committed meanwhile, so live subscribers miss nothing.
 */
export class EventFeed {
  private readonly listener: PgListener;
  private readonly subscribers = new Map<string, Set<EventSubscriber>>();
  /** Announced ids not loaded yet; one load takes every id announced meanwhile. */
  private pending: string[] = [];
  private loading?: Promise<void>;
  /** The newest id this feed handed out: after a reconnection, what follows it is reloaded. */
  private lastId?: string;

  constructor(private readonly options: EventFeedOptions) {
    this.listener = new PgListener({
      connectionString: options.listenUrl,
      channels: [DOMAIN_EVENTS_CHANNEL],
      name: 'domain event listener',
      applicationName: 'tenantql-events',
      logger: options.logger,
      onNotification: (_channel, payload) => this.announced(payload),
      onConnected: async (client) => {
        if (this.lastId === undefined) {
          const newest = await client.query<{ id: string | null }>(
            'SELECT max(id)::text AS id FROM public.domain_events',
          );
          this.lastId = newest.rows[0].id ?? '0';
          return;
        }
        const missed = await client.query<{ id: string }>(
          'SELECT id::text FROM public.domain_events WHERE id > $1 ORDER BY id LIMIT $2',
          [this.lastId, options.replay.maxEvents],
        );
        for (const row of missed.rows) this.enqueue(row.id);
      },
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  close(): Promise<void> {
    return this.listener.close();
  }

  /** Whether the listener is up (while it is down, live events wait until it reconnects and reloads). */
  get live(): boolean {
    return this.listener.connected;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  /** Live events from now on; the returned function unsubscribes. */
  subscribe(subscriber: EventSubscriber): () => void {
    let set = this.subscribers.get(subscriber.tenantId);
    if (!set) this.subscribers.set(subscriber.tenantId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (!set.size && this.subscribers.get(subscriber.tenantId) === set) this.subscribers.delete(subscriber.tenantId);
    };
  }

  /**
   * The selector's events after `afterId`, oldest first, within the replay window. A resume point
   * the window no longer covers (too old, pruned, another organization's, or more events behind than
   * the window holds) is CONFLICT `REPLAY_WINDOW_EXCEEDED`: the client refetches, then subscribes anew.
   */
  async replay(
    selector: EventSelector,
    afterId: string,
    /** The caller's transaction when it holds one (so a subscribe never waits for a second connection). */
    queryable: Pick<EntityManager, 'query'> = this.options.dataSource,
  ): Promise<StoredEvent[]> {
    const { maxEvents, maxAgeMs } = this.options.replay;
    const tooFarBehind = () =>
      new ConflictError('The events after this id are no longer available: refetch, then subscribe without `after`', {
        reason: 'REPLAY_WINDOW_EXCEEDED',
        maxEvents,
        maxAgeSeconds: Math.round(maxAgeMs / 1000),
      });
    const [resumePoint] = await queryable.query(
      `SELECT 1 FROM public.domain_events
        WHERE id = $1 AND tenant_id = $2 AND occurred_at > now() - $3 * interval '1 millisecond'`,
      [afterId, selector.tenantId, maxAgeMs],
    );
    if (!resumePoint) throw tooFarBehind();
    const rows: StoredEvent[] = await queryable.query(
      `SELECT ${COLUMNS} FROM public.domain_events
        WHERE tenant_id = $1 AND id > $2 AND type = ANY($3) AND ($4::text IS NULL OR entity_id = $4)
        ORDER BY id LIMIT $5`,
      [selector.tenantId, afterId, selector.types, selector.entityId ?? null, maxEvents + 1],
    );
    if (rows.length > maxEvents) throw tooFarBehind();
    return rows;
  }

  private announced(payload: string): void {
    let note: { id: number | string; tenantId: string };
    try {
      note = JSON.parse(payload);
    } catch {
      return this.options.logger.warn({ payload }, 'unreadable domain event notification');
    }
    // Nobody here listens to that organization: nothing to load.
    if (!this.subscribers.has(note.tenantId)) return this.advance(String(note.id));
    this.enqueue(String(note.id));
  }

  private enqueue(id: string): void {
    this.pending.push(id);
    this.loading ??= this.drain().finally(() => (this.loading = undefined));
  }

  /** Loads the announced rows in batches (one query each) and dispatches them, one batch after the other. */
  private async drain(): Promise<void> {
    while (this.pending.length) {
      const ids = this.pending;
      this.pending = [];
      let rows: StoredEvent[];
      try {
        rows = await this.options.dataSource.query(
          `SELECT ${COLUMNS} FROM public.domain_events WHERE id = ANY($1::bigint[]) ORDER BY id`,
          [ids],
        );
      } catch (error) {
        this.options.logger.error({ err: error, ids }, 'loading announced domain events failed');
        continue;
      }
      for (const event of rows) this.dispatch(event);
    }
  }

  private advance(id: string): void {
    if (this.lastId === undefined || BigInt(id) > BigInt(this.lastId)) this.lastId = id;
  }

  private dispatch(event: StoredEvent): void {
    this.advance(event.id);
    for (const subscriber of this.subscribers.get(event.tenantId) ?? []) {
      if (!matches(subscriber, event)) continue;
      try {
        subscriber.deliver(event);
      } catch (error) {
        this.options.logger.error({ err: error, eventId: event.id }, 'delivering a domain event failed');
      }
    }
  }
}
