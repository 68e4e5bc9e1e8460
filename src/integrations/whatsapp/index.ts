export { WhatsAppClient, WhatsAppSendError, type WhatsAppTextMessage } from './whatsapp-client';
export {
  parseWebhookDelivery,
  type WebhookDelivery,
  type WhatsAppEvent,
  type WhatsAppInboundMessage,
  type WhatsAppStatus,
  type WhatsAppStatusUpdate,
} from './whatsapp-payload';
export { hasValidSignature } from './whatsapp-signature';
