import type { EntityManager } from 'typeorm';
import type { SecretBox } from '../../core/crypto/secret-box';
import { BadUserInputError, NotFoundError } from '../../core/errors/app-error';
import { DOMAIN_EVENTS } from '../../core/events/domain-event';
import type { EntitlementService } from '../plans';
import { newSigningSecret } from './webhook-signature';
import { checkTarget, type TargetPolicy } from './webhook-target';
import type {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from './webhook.types';

export interface WebhookEndpointServiceDependencies {
  secrets: SecretBox;
  entitlements: Pick<EntitlementService, 'requireFeature'>;
  targets: TargetPolicy;
}

/** What seals an endpoint's secret: a sealed value cannot be moved to another endpoint. */
export const secretContext = (endpointId: string) => `webhook-endpoint:${endpointId}`;

const ENDPOINT_COLUMNS = `id, url, events, description, enabled, disabled_reason AS "disabledReason",
  consecutive_failures AS "consecutiveFailures", created_at AS "createdAt", updated_at AS "updatedAt"`;
const ALL_EVENTS = '*';

/** Each type once, every one in the catalogue (or `*`). */
function checkedEvents(events: string[]): string[] {
  const unknown = events.filter((e) => e !== ALL_EVENTS && !(e in DOMAIN_EVENTS));
  if (unknown.length)
    throw new BadUserInputError(`Unknown event types: ${unknown.join(', ')}`, {
      reason: 'UNKNOWN_EVENT_TYPE',
      unknown,
      known: [ALL_EVENTS, ...Object.keys(DOMAIN_EVENTS)],
    });
  return [...new Set(events)];
}

/** An organization's webhook endpoints (public.webhook_endpoints, always filtered by its tenant id). */
export class WebhookEndpointService {
  constructor(private readonly deps: WebhookEndpointServiceDependencies) {}

  list(em: EntityManager, tenantId: string): Promise<WebhookEndpoint[]> {
    return em.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM public.webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
  }

  async get(em: EntityManager, tenantId: string, id: string): Promise<WebhookEndpoint> {
    const [endpoint]: WebhookEndpoint[] = await em.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM public.webhook_endpoints WHERE tenant_id = $1 AND id::text = $2`,
      [tenantId, id],
    );
    if (!endpoint) throw new NotFoundError('WebhookEndpoint', id);
    return endpoint;
  }

  async create(
    em: EntityManager,
    tenantId: string,
    input: CreateWebhookEndpointInput,
  ): Promise<WebhookEndpointWithSecret> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'webhooks');
    const url = (await checkTarget(input.url, this.deps.targets)).toString();
    const events = checkedEvents(input.events);
    const [{ id }]: { id: string }[] = await em.query('SELECT gen_random_uuid()::text AS id');
    const secret = newSigningSecret();
    await em.query(
      `INSERT INTO public.webhook_endpoints (id, tenant_id, url, events, description, secret) VALUES ($1, $2, $3, $4, $5, $6)`,
      [id, tenantId, url, events, input.description.trim(), this.deps.secrets.seal(secret, secretContext(id))],
    );
    return { endpoint: await this.get(em, tenantId, id), secret };
  }

  async update(
    em: EntityManager,
    tenantId: string,
    id: string,
    input: UpdateWebhookEndpointInput,
  ): Promise<WebhookEndpoint> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'webhooks');
    await this.get(em, tenantId, id);
    const url = input.url === undefined ? null : (await checkTarget(input.url, this.deps.targets)).toString();
    const events = input.events === undefined ? null : checkedEvents(input.events);
    await em.query(
      `UPDATE public.webhook_endpoints
          SET url = coalesce($3, url), events = coalesce($4, events), description = coalesce($5, description),
              enabled = coalesce($6, enabled),
              disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason WHEN $6 THEN NULL ELSE 'disabled by hand' END,
              consecutive_failures = CASE WHEN $6 THEN 0 ELSE consecutive_failures END,
              failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END,
              updated_at = now()
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, url, events, input.description?.trim() ?? null, input.enabled ?? null],
    );
    return this.get(em, tenantId, id);
  }

  /** Its deliveries go with it. */
  async delete(em: EntityManager, tenantId: string, id: string): Promise<boolean> {
    await this.get(em, tenantId, id);
    await em.query('DELETE FROM public.webhook_endpoints WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return true;
  }

  /** A new secret at once: deliveries from now on are signed with it (receivers should accept both for a moment). */
  async rotateSecret(em: EntityManager, tenantId: string, id: string): Promise<WebhookEndpointWithSecret> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'webhooks');
    await this.get(em, tenantId, id);
    const secret = newSigningSecret();
    await em.query(
      'UPDATE public.webhook_endpoints SET secret = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2',
      [tenantId, id, this.deps.secrets.seal(secret, secretContext(id))],
    );
    return { endpoint: await this.get(em, tenantId, id), secret };
  }
}
