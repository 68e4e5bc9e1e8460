import type { EntityManager } from 'typeorm';
import { ConflictError } from '../../core/errors/app-error';
import type { EventFeed, EventSelector, StoredEvent } from '../../core/events/event-feed';
import { metrics } from '../../core/observability/metrics';
import { EventStream } from './event-stream';

/**
 * Opens the event streams of GraphQL subscriptions on the process's event feed: live events from the
 * moment of subscribing, preceded (with `after`) by the replay of what the client missed, each event
 * exactly once and in order.
 */
export class EventSubscriptionService {
  constructor(
    private readonly feed: EventFeed,
    /** Events waiting for a slow client before its subscription is ended (it then resumes with `after`). */
    private readonly maxBuffered: number,
  ) {}

  /**
   * `after`: replay the events after this id first (read through `manager`, the subscribe's transaction);
   * `until`: the stream fails with the signal's reason when it aborts (the connection's credentials ended).
   */
  async open(
    family: string,
    selector: EventSelector,
    { after, until, manager }: { after?: string; until?: AbortSignal; manager?: Pick<EntityManager, 'query'> } = {},
  ): Promise<EventStream<StoredEvent>> {
    until?.throwIfAborted();
    const tooSlow = () =>
      new ConflictError('This subscription fell too far behind its events: resubscribe with `after`', {
        reason: 'SUBSCRIBER_TOO_SLOW',
      });
    const stream = new EventStream<StoredEvent>(this.maxBuffered, () => end(), tooSlow);
    // Live events that commit while the replay is read wait here, so none is lost or repeated.
    let held: StoredEvent[] | undefined = after === undefined ? undefined : [];
    const unsubscribe = this.feed.subscribe({
      ...selector,
      deliver: (event) => (held ? held.push(event) : stream.push(event)),
    });
    metrics.subscriptionsActive.inc({ family });
    const failWithSignal = () => stream.fail(until!.reason as Error);
    until?.addEventListener('abort', failWithSignal, { once: true });
    const end = () => {
      unsubscribe();
      until?.removeEventListener('abort', failWithSignal);
      metrics.subscriptionsActive.dec({ family });
    };
    if (after === undefined) return stream;
    try {
      const replayed = await this.feed.replay(selector, after, manager);
      const seen = new Set(replayed.map((event) => event.id));
      for (const event of replayed) stream.push(event);
      for (const event of held!) if (!seen.has(event.id) && BigInt(event.id) > BigInt(after)) stream.push(event);
      held = undefined;
      return stream;
    } catch (error) {
      await stream.return();
      throw error;
    }
  }
}
