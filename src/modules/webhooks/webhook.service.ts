import type { EntityManager } from 'typeorm';
import type { EntitlementService } from '../plans';
import type { WebhookDeliveryService } from './webhook-delivery.service';
import type { WebhookEndpointService } from './webhook-endpoint.service';
import type { WebhookDelivery, WebhookDeliveryConnection } from './webhook.types';

/** The type of the event `sendTestWebhook` sends (not a domain event: receivers can ignore it). */
export const TEST_EVENT_TYPE = 'webhook.test';

/** What the resolver calls: endpoints, their delivery log, test sends and replays. */
export class WebhookService {
  constructor(
    readonly endpoints: WebhookEndpointService,
    private readonly sender: WebhookDeliveryService,
    private readonly entitlements: Pick<EntitlementService, 'requireFeature'>,
  ) {}

  async deliveries(
    em: EntityManager,
    tenantId: string,
    endpointId: string,
    first: number,
    after?: string,
  ): Promise<WebhookDeliveryConnection> {
    await this.endpoints.get(em, tenantId, endpointId);
    return this.sender.list(em, tenantId, endpointId, first, after);
  }

  async sendTest(em: EntityManager, tenantId: string, endpointId: string): Promise<WebhookDelivery> {
    await this.entitlements.requireFeature(em, tenantId, 'webhooks');
    await this.endpoints.get(em, tenantId, endpointId);
    return this.sender.queueAndDeliver(tenantId, {
      sql: `WITH test AS (SELECT 'test_' || gen_random_uuid() AS id, now() AS at)
            INSERT INTO public.webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body)
            SELECT $1::uuid, $2::uuid, test.id, $3::text, json_build_object(
                     'id', test.id, 'type', $3::text, 'version', 1,
                     'occurredAt', to_char(test.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                     'tenantId', $1::uuid, 'actor', 'system:webhook-test',
                     'entity', json_build_object('type', 'webhook_endpoint', 'id', $2::uuid), 'data', '{}'::json)::text
              FROM test
            RETURNING id`,
      parameters: [tenantId, endpointId, TEST_EVENT_TYPE],
    });
  }

  async replay(em: EntityManager, tenantId: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.entitlements.requireFeature(em, tenantId, 'webhooks');
    await this.sender.get(em, tenantId, deliveryId);
    return this.sender.queueAndDeliver(tenantId, {
      sql: `INSERT INTO public.webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, replay_of)
            SELECT tenant_id, endpoint_id, event_id, event_type, body, id FROM public.webhook_deliveries
             WHERE tenant_id = $1 AND id = $2
            RETURNING id`,
      parameters: [tenantId, deliveryId],
    });
  }
}
