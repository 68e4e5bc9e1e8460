import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import type { SecretBox } from '../../core/crypto/secret-box';
import type { MailOutbox } from '../../integrations/mail';
import type { MembershipService } from '../memberships';
import type { EntitlementService } from '../plans';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEndpointService } from './webhook-endpoint.service';
import { WebhookHttp } from './webhook-http';
import { WebhookResolver } from './webhook.resolver';
import { WebhookService } from './webhook.service';

export interface WebhookServicesDependencies {
  config: AppConfig;
  dataSource: DataSource;
  /** A direct connection for the dispatcher's LISTEN. */
  listenUrl: string;
  secrets: SecretBox;
  entitlements: Pick<EntitlementService, 'requireFeature'>;
  members: Pick<MembershipService, 'members'>;
  outbox: Pick<MailOutbox, 'enqueue'>;
  logger: Logger;
}

/** Partner webhooks, wired: endpoints, the dispatcher (events → deliveries) and the sender (the outbox). */
export function createWebhookServices(deps: WebhookServicesDependencies) {
  const { config } = deps;
  const targets = { allowHttp: config.webhooks.allowHttp, allowPrivate: config.webhooks.allowPrivate };
  const http = new WebhookHttp({ ...targets, timeoutMs: config.webhooks.timeoutMs });
  const sender = new WebhookDeliveryService({
    dataSource: deps.dataSource,
    secrets: deps.secrets,
    config: config.webhooks,
    http,
    members: deps.members,
    outbox: deps.outbox,
    entitlements: deps.entitlements,
    frontendUrl: config.frontendUrl,
    productName: config.productName,
    logger: deps.logger,
  });
  const endpoints = new WebhookEndpointService({ secrets: deps.secrets, entitlements: deps.entitlements, targets });
  const dispatcher = new WebhookDispatcher({
    dataSource: deps.dataSource,
    listenUrl: deps.listenUrl,
    logger: deps.logger,
    deliver: (ids) => sender.deliverNow(ids),
  });
  const service = new WebhookService(endpoints, sender, deps.entitlements);
  return { endpoints, sender, dispatcher, service, http, resolver: new WebhookResolver(service) };
}

export type WebhookServices = ReturnType<typeof createWebhookServices>;
