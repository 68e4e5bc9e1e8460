import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { errorText, OutboxQueue, type ClaimedRow, type OutboxHandler, type RetryPolicy } from '../../core/outbox';
import { runInTenantScope } from '../../core/tenancy/tenant-scope';
import { hasValidSignature, parseWebhookDelivery, type WhatsAppEvent } from '../../integrations/whatsapp';
import { DeliveryStatus, TicketChannel, TicketMessage, type TicketService } from '../tickets';
import type { WhatsAppChannelService } from './whatsapp-channel.service';

export interface WhatsAppInboundDependencies {
  dataSource: DataSource;
  channels: Pick<WhatsAppChannelService, 'forWebhook' | 'recordError'>;
  tickets: Pick<TicketService, 'receiveFromCustomer' | 'recordDelivery'>;
  logger: Logger;
  retry: RetryPolicy;
}

/**
 * 200: verified (new events stored, redeliveries ignored) or no number of ours; 400: not a webhook body; 401: a
 * signature that does not verify.
 */
export interface WebhookAcceptance {
  status: 200 | 400 | 401;
  /** Stored events that were not known yet: apply them with `apply`. */
  eventIds: string[];
}

/** How far a reply got; a status arriving late (Meta does not keep order) never moves it back. */
const PROGRESS: Record<DeliveryStatus, number> = {
  [DeliveryStatus.QUEUED]: 0,
  [DeliveryStatus.SENT]: 1,
  [DeliveryStatus.FAILED]: 2,
  [DeliveryStatus.DELIVERED]: 2,
  [DeliveryStatus.READ]: 3,
};
const STATUS: Record<string, DeliveryStatus> = {
  sent: DeliveryStatus.SENT,
  delivered: DeliveryStatus.DELIVERED,
  read: DeliveryStatus.READ,
  failed: DeliveryStatus.FAILED,
};

/** Background appliers per process (each holds a pooled connection while it applies). */
const APPLY_CONCURRENCY = 2;
/** A claimed event is reserved this long; a worker that died with it leaves it due again. */
const LEASE_MS = 120_000;

interface ClaimedEvent extends ClaimedRow {
  tenant_id: string;
  payload: WhatsAppEvent;
}

/**
 * The webhook's two halves. `accept` verifies a delivery and stores its events in `public`
 * (the event key dedupes redeliveries) before Meta gets its 200; `apply` then turns each event
 * into ticket changes in its tenant's transaction, marking it processed in that same
 * transaction. An event that could not be applied (the tickets limit, a crash) stays stored and
 * `applyDue` (a job) tries it again with back-off, through the shared outbox primitive.
 */
export class WhatsAppInbound {
  private readonly queue: string[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly events: OutboxQueue<ClaimedEvent>;

  constructor(private readonly deps: WhatsAppInboundDependencies) {
    this.events = new OutboxQueue<ClaimedEvent>(deps.dataSource, deps.logger, {
      name: 'whatsapp_inbound',
      table: 'public.whatsapp_inbound',
      columns: ['tenant_id', 'payload'],
      retry: deps.retry,
      leaseMs: LEASE_MS,
    });
  }

  async accept(rawBody: Buffer, signature: string | undefined): Promise<WebhookAcceptance> {
    const delivery = parseWebhookDelivery(rawBody);
    if (!delivery) return { status: 400, eventIds: [] };
    const channels = await this.deps.channels.forWebhook(delivery.phoneNumberIds);
    if (![...channels.values()].every((channel) => hasValidSignature(rawBody, signature, channel.appSecret)))
      return { status: 401, eventIds: [] };
    // Numbers that are not (or no longer) ours: acknowledged, so Meta stops retrying, and dropped.
    const unknown = delivery.phoneNumberIds.filter((id) => !channels.has(id));
    if (unknown.length)
      this.deps.logger.warn({ phoneNumberIds: unknown }, 'whatsapp webhook for unknown phone number ids ignored');
    const rows = delivery.events.flatMap((event) => {
      const channel = channels.get(event.phoneNumberId);
      return channel ? [{ key: eventKey(channel.tenantId, event), tenant_id: channel.tenantId, payload: event }] : [];
    });
    if (!rows.length) return { status: 200, eventIds: [] };
    // One statement (atomic on its own, one round trip): store what is new, note when each number last heard from Meta.
    const stored: { id: string }[] = await this.deps.dataSource.query(
      `WITH events AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS e(key text, tenant_id uuid, payload jsonb)
       ), heard AS (
         UPDATE public.whatsapp_channels SET last_received_at = now() WHERE tenant_id IN (SELECT tenant_id FROM events)
       ), inserted AS (
         INSERT INTO public.whatsapp_inbound (event_key, tenant_id, payload)
         SELECT key, tenant_id, payload FROM events
         ON CONFLICT (event_key) DO NOTHING
         RETURNING id
       )
       SELECT id FROM inserted`,
      [JSON.stringify(rows)],
    );
    return { status: 200, eventIds: stored.map((r) => r.id) };
  }

  /**
   * Applies these events in the background (after the webhook answered), a few at a time so
   * a burst of deliveries leaves pooled connections to the webhook itself; `whenIdle` waits.
   */
  applyLater(eventIds: string[]): void {
    this.queue.push(...eventIds);
    while (this.inFlight.size < APPLY_CONCURRENCY && this.queue.length) {
      const work = (async () => {
        for (let id = this.queue.shift(); id; id = this.queue.shift()) await this.applyNext(id);
      })().catch((error) =>
        this.deps.logger.error({ err: error }, 'applying whatsapp webhook events failed; the retry job will'),
      );
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    }
  }

  async whenIdle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Applies up to `limit` due events (never applied, or failed and due again). */
  async applyDue(
    limit = 50,
    afterEach: () => Promise<unknown> = async () => undefined,
  ): Promise<{ applied: number; failed: number }> {
    const report = await this.events.deliverDue(limit, this.apply, afterEach);
    return { applied: report.sent, failed: report.retried + report.failed };
  }

  /** Claims this event (or the next due one) and applies it. */
  private async applyNext(id: string): Promise<void> {
    await this.events.deliverOne(id, this.apply);
  }

  /** The ticket changes and the event's completion commit together in the tenant's transaction. */
  private readonly apply: OutboxHandler<ClaimedEvent> = async (event, attempt) => {
    try {
      await runInTenantScope(this.deps.dataSource, { id: event.tenant_id }, async (em) => {
        await this.applyEvent(em, event.tenant_id, event.payload);
        await attempt.complete(em, { processed_at: new Date(), last_error: null });
      });
    } catch (error) {
      // A customer's message that is not in a ticket is worth showing; a status of a message we did not send is not.
      if (event.payload.kind === 'message')
        await this.deps.channels.recordError(
          event.tenant_id,
          `A received message could not be applied: ${errorText(error)}`,
        );
      throw error;
    }
  };

  private async applyEvent(em: EntityManager, tenantId: string, event: WhatsAppEvent): Promise<void> {
    if (event.kind === 'message') {
      await this.deps.tickets.receiveFromCustomer(em, tenantId, {
        channel: TicketChannel.WHATSAPP,
        externalId: event.wamid,
        from: { address: event.from, name: event.name },
        subject: event.body.split('\n', 1)[0].slice(0, 120),
        body: event.body,
      });
      return;
    }
    // Statuses may arrive before the sender recorded the wamid: an unknown one is retried.
    const reply = await em.findOneBy(TicketMessage, { externalId: event.wamid });
    if (!reply) throw new Error(`No reply with WhatsApp id ${event.wamid}`);
    const status = STATUS[event.status];
    if (reply.deliveryStatus && PROGRESS[reply.deliveryStatus] >= PROGRESS[status]) return;
    await this.deps.tickets.recordDelivery(em, { externalId: event.wamid }, status, { error: event.error });
  }
}

/** Unique per tenant: a number's owner can sign any wamid, so keys must not collide across tenants. */
function eventKey(tenantId: string, event: WhatsAppEvent): string {
  return event.kind === 'message'
    ? `${tenantId}:message:${event.wamid}`
    : `${tenantId}:status:${event.wamid}:${event.status}`;
}
