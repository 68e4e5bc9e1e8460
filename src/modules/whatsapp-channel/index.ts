export { createWhatsAppServices, type WhatsAppServices } from './whatsapp-services';
export { WhatsAppChannelResolver } from './whatsapp-channel.resolver';
export { WhatsAppChannelService } from './whatsapp-channel.service';
export { WhatsAppInbound } from './whatsapp-inbound.service';
export { WhatsAppOutbox, type WhatsAppDeliveryReport } from './whatsapp-outbox';
export { whatsAppConfiguredStep } from './whatsapp-configured.step';
export { WHATSAPP_WEBHOOK_PATH, WhatsAppChannel } from './whatsapp-channel.types';
export { resealWhatsAppSecrets } from './whatsapp-channel-reseal';
