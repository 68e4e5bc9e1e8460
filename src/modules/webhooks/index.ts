export { createWebhookServices, type WebhookServices } from './webhook-services';
export { WebhookResolver } from './webhook.resolver';
export { WebhookDispatcher, EVENTS_CHANNEL } from './webhook-dispatcher';
export { WebhookDeliveryService } from './webhook-delivery.service';
export { SIGNATURE_HEADER, EVENT_ID_HEADER } from './webhook-signature';
export { isPrivateAddress } from './webhook-target';
