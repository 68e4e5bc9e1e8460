import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import type { SecretBox } from '../../core/crypto/secret-box';
import { WhatsAppClient } from '../../integrations/whatsapp';
import type { EntitlementService } from '../plans';
import type { TicketService } from '../tickets';
import { WhatsAppChannelResolver } from './whatsapp-channel.resolver';
import { WhatsAppChannelService } from './whatsapp-channel.service';
import { WhatsAppInbound } from './whatsapp-inbound.service';
import { WhatsAppOutbox } from './whatsapp-outbox';
import { whatsAppWebhookRoute } from './whatsapp-webhook.route';

export interface WhatsAppServicesDependencies {
  config: AppConfig;
  dataSource: DataSource;
  secrets: SecretBox;
  entitlements: Pick<EntitlementService, 'requireFeature'>;
  tickets: TicketService;
  logger: Logger;
}

/** The WhatsApp channel, wired: its public replies go through the outbox, registered with the tickets module here. */
export function createWhatsAppServices({
  config,
  dataSource,
  secrets,
  entitlements,
  tickets,
  logger,
}: WhatsAppServicesDependencies) {
  const channels = new WhatsAppChannelService({ dataSource, secrets, entitlements });
  const retry = { maxAttempts: config.whatsapp.maxAttempts };
  const inbound = new WhatsAppInbound({ dataSource, channels, tickets, logger, retry });
  const outbox = new WhatsAppOutbox({
    dataSource,
    channels,
    client: new WhatsAppClient(config.whatsapp.apiBaseUrl),
    tickets,
    logger,
    retry,
  });
  tickets.registerReplyChannel(outbox);
  return {
    channels,
    inbound,
    outbox,
    resolver: new WhatsAppChannelResolver(channels),
    webhookRoute: whatsAppWebhookRoute(channels, inbound),
  };
}

export type WhatsAppServices = ReturnType<typeof createWhatsAppServices>;
