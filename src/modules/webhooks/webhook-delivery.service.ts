import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { WebhookConfig } from '../../core/config/config';
import type { SecretBox } from '../../core/crypto/secret-box';
import { rawWrite } from '../../core/database/raw-write';
import { NotFoundError, PlanUpgradeRequiredError } from '../../core/errors/app-error';
import { decodeCursor, toConnection } from '../../core/graphql/connection';
import { metrics } from '../../core/observability/metrics';
import { OutboxQueue, type ClaimedRow, type OutboxReport } from '../../core/outbox';
import type { MailOutbox } from '../../integrations/mail';
import type { MembershipService } from '../memberships';
import type { EntitlementService } from '../plans';
import { MemberRole } from '../users';
import { endpointDisabledMail } from './webhook-mail';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { secretContext } from './webhook-endpoint.service';
import { WebhookHttp, WebhookStatusError } from './webhook-http';
import type { WebhookDelivery, WebhookDeliveryConnection } from './webhook.types';

export interface WebhookDeliveryDependencies {
  dataSource: DataSource;
  secrets: SecretBox;
  config: WebhookConfig;
  http: WebhookHttp;
  members: Pick<MembershipService, 'members'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  /** A plan without `webhooks` (a downgrade) stops deliveries: they fail with PLAN_UPGRADE_REQUIRED's message. */
  entitlements: Pick<EntitlementService, 'requireFeature'>;
  frontendUrl: string;
  productName: string;
  logger: Logger;
}

interface ClaimedDelivery extends ClaimedRow {
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  body: string;
}

/** An endpoint that was deleted or disabled since the delivery was queued: no attempt can succeed. */
class EndpointGoneError extends Error {}

/** Retries back off to at most this, so WEBHOOK_MAX_ATTEMPTS (15) attempts from 10 s span about a day. */
const RETRY_MAX_MS = 6 * 3_600_000;

const DELIVERY_COLUMNS = `id, endpoint_id AS "endpointId", event_id AS "eventId", event_type AS "eventType", status,
  attempts, response_status AS "responseStatus", latency_ms AS "latencyMs", last_error AS "lastError",
  next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt", replay_of AS "replayOf", created_at AS "createdAt"`;

/**
 * Webhook deliveries: rows of the shared outbox (src/core/outbox), each a POST of the event's JSON body signed with
 * the endpoint's current secret at the time of the attempt. A 2xx answer delivers it; anything else (another
 * status, a timeout, a refused address) is a failed attempt retried with back-off, and counts against the endpoint:
 * after WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row spanning WEBHOOK_DISABLE_AFTER_HOURS, the endpoint
 * is disabled and its organization's owners and admins are mailed.
 */
export class WebhookDeliveryService {
  private readonly queue: OutboxQueue<ClaimedDelivery>;

  constructor(private readonly deps: WebhookDeliveryDependencies) {
    this.queue = new OutboxQueue<ClaimedDelivery>(deps.dataSource, deps.logger, {
      name: 'webhooks',
      table: 'public.webhook_deliveries',
      columns: ['tenant_id', 'endpoint_id', 'event_id', 'body'],
      retry: { maxAttempts: deps.config.maxAttempts, baseMs: deps.config.retryBaseMs, maxMs: RETRY_MAX_MS },
      // Connect plus answer (each bounded by the timeout), with room to record the outcome.
      leaseMs: 3 * deps.config.timeoutMs + 30_000,
      isPermanent: (error) => error instanceof EndpointGoneError || error instanceof PlanUpgradeRequiredError,
    });
  }

  deliverDue(limit = 50, afterEach?: () => Promise<unknown>): Promise<OutboxReport> {
    return this.queue.deliverDue(limit, (row) => this.attempt(row), afterEach);
  }

  /** Attempts these deliveries now (just dispatched, or asked for), one after the other. */
  async deliverNow(ids: string[]): Promise<void> {
    for (const id of ids) await this.queue.deliverOne(id, (row) => this.attempt(row));
  }

  async list(
    em: EntityManager,
    tenantId: string,
    endpointId: string,
    first: number,
    after?: string,
  ): Promise<WebhookDeliveryConnection> {
    const cursor = after ? decodeCursor(after) : null;
    const rows: WebhookDelivery[] = await em.query(
      `SELECT ${DELIVERY_COLUMNS} FROM public.webhook_deliveries
        WHERE tenant_id = $1 AND endpoint_id::text = $2
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $5`,
      [tenantId, endpointId, cursor?.createdAt ?? null, cursor?.id ?? null, first + 1],
    );
    return toConnection(rows, first);
  }

  async get(em: Pick<EntityManager, 'query'>, tenantId: string, id: string): Promise<WebhookDelivery> {
    const [delivery]: WebhookDelivery[] = await em.query(
      `SELECT ${DELIVERY_COLUMNS} FROM public.webhook_deliveries WHERE tenant_id = $1 AND id::text = $2`,
      [tenantId, id],
    );
    if (!delivery) throw new NotFoundError('WebhookDelivery', id);
    return delivery;
  }

  /**
   * Queues `rows` (committed at once, outside the caller's transaction, so the attempt can start) and attempts
   * them now; returns the first as it stands after its attempt.
   */
  async queueAndDeliver(tenantId: string, insert: { sql: string; parameters: unknown[] }): Promise<WebhookDelivery> {
    const [row]: { id: string }[] = await this.deps.dataSource.query(insert.sql, insert.parameters);
    await this.deliverNow([row.id]);
    return this.get(this.deps.dataSource, tenantId, row.id);
  }

  private async attempt(row: ClaimedDelivery): Promise<Record<string, unknown>> {
    const [endpoint]: { url: string; secret: string; enabled: boolean; failing: boolean }[] =
      await this.deps.dataSource.query(
        'SELECT url, secret, enabled, consecutive_failures > 0 AS failing FROM public.webhook_endpoints WHERE id = $1',
        [row.endpoint_id],
      );
    if (!endpoint?.enabled)
      throw new EndpointGoneError(endpoint ? 'the endpoint is disabled' : 'the endpoint was deleted');
    await this.deps.entitlements.requireFeature(this.deps.dataSource.manager, row.tenant_id, 'webhooks');
    const secret = this.deps.secrets.open(endpoint.secret, secretContext(row.endpoint_id));
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(secret, row.body, Math.floor(Date.now() / 1000)),
      [EVENT_ID_HEADER]: row.event_id,
    };
    const started = performance.now();
    try {
      const answer = await this.deps.http.post(endpoint.url, row.body, headers);
      this.observe('success', answer.latencyMs);
      if (endpoint.failing) await this.endpointSucceeded(row.endpoint_id);
      return { response_status: answer.status, latency_ms: answer.latencyMs, delivered_at: new Date() };
    } catch (error) {
      const answer = error instanceof WebhookStatusError ? error.response : null;
      const latencyMs = answer?.latencyMs ?? Math.round(performance.now() - started);
      this.observe(answer ? 'http_error' : 'network_error', latencyMs);
      // The log shows what the last attempt got, while this attempt still owns the row.
      await this.deps.dataSource.query(
        `UPDATE public.webhook_deliveries SET response_status = $3, latency_ms = $4
          WHERE id = $1 AND status = 'SENDING' AND attempts = $2`,
        [row.id, row.attempts, answer?.status ?? null, latencyMs],
      );
      await this.endpointFailed(row);
      throw error;
    }
  }

  private observe(outcome: string, latencyMs: number): void {
    metrics.webhookDeliveries.inc({ outcome });
    metrics.webhookLatency.observe({ outcome }, latencyMs / 1000);
  }

  private async endpointSucceeded(endpointId: string): Promise<void> {
    await this.deps.dataSource.query(
      `UPDATE public.webhook_endpoints SET consecutive_failures = 0, failing_since = NULL
        WHERE id = $1`,
      [endpointId],
    );
  }

  /** Counts the failure; the attempt that crosses the threshold disables the endpoint and mails, in one transaction. */
  private async endpointFailed(row: ClaimedDelivery): Promise<void> {
    const { disableAfterFailures, disableAfterMs } = this.deps.config;
    await this.deps.dataSource.transaction(async (em) => {
      // SET reads the values before the update: `crossed` is whether this failure reaches the threshold.
      const { rows } = await rawWrite<{ url: string; consecutive_failures: number; enabled: boolean }>(
        em,
        `WITH previous AS (
           SELECT id, consecutive_failures + 1 >= $2
                      AND coalesce(failing_since, now()) <= now() - $3 * interval '1 millisecond' AS crossed
             FROM public.webhook_endpoints WHERE id = $1 AND enabled FOR UPDATE
         )
         UPDATE public.webhook_endpoints e
            SET consecutive_failures = e.consecutive_failures + 1, failing_since = coalesce(e.failing_since, now()),
                enabled = NOT p.crossed,
                disabled_reason = CASE WHEN p.crossed
                  THEN format('%s failed attempts in a row', e.consecutive_failures + 1) ELSE e.disabled_reason END,
                updated_at = CASE WHEN p.crossed THEN now() ELSE e.updated_at END
           FROM previous p WHERE e.id = p.id
         RETURNING e.url, e.consecutive_failures, e.enabled`,
        [row.endpoint_id, disableAfterFailures, disableAfterMs],
      );
      const disabled = rows[0] && !rows[0].enabled ? rows[0] : undefined;
      if (disabled) await this.mailDisabled(em, row, disabled);
    });
  }

  private async mailDisabled(
    em: EntityManager,
    row: ClaimedDelivery,
    endpoint: { url: string; consecutive_failures: number },
  ): Promise<void> {
    this.deps.logger.warn({ endpointId: row.endpoint_id, tenantId: row.tenant_id }, 'webhook endpoint disabled');
    const [tenant]: { name: string }[] = await em.query('SELECT name FROM public.tenants WHERE id = $1', [
      row.tenant_id,
    ]);
    const admins = (await this.deps.members.members(em, row.tenant_id)).filter(
      (m) => m.role === MemberRole.OWNER || m.role === MemberRole.ADMIN,
    );
    for (const admin of admins)
      await this.deps.outbox.enqueue(em, {
        idempotencyKey: `webhook-disabled:${row.endpoint_id}:${row.id}:${row.attempts}:${admin.userId}`,
        to: admin.email,
        ...endpointDisabledMail({
          productName: this.deps.productName,
          firstName: admin.firstName,
          organizationName: tenant?.name ?? '',
          url: endpoint.url,
          failures: endpoint.consecutive_failures,
          link: `${this.deps.frontendUrl}/settings/webhooks`,
        }),
      });
  }
}
