import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { SecretBox } from '../../core/crypto/secret-box';
import { rawWrite } from '../../core/database/raw-write';
import { ConflictError } from '../../core/errors/app-error';
import type { EntitlementService } from '../plans';
import {
  WHATSAPP_WEBHOOK_PATH,
  type ConfigureWhatsAppChannelInput,
  type WhatsAppChannel,
} from './whatsapp-channel.types';

export interface WhatsAppChannelDependencies {
  dataSource: DataSource;
  secrets: SecretBox;
  entitlements: Pick<EntitlementService, 'requireFeature'>;
}

/** A channel as the webhook sees it: whose number it is and the secret that signs its deliveries. */
export interface WebhookChannel {
  tenantId: string;
  appSecret: string;
}

interface ChannelRow {
  phone_number_id: string;
  last_error: string | null;
  last_received_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
export const context = (tenantId: string, field: 'accessToken' | 'appSecret') => `whatsapp:${tenantId}:${field}`;

const toChannel = (row: ChannelRow): WhatsAppChannel => ({
  phoneNumberId: row.phone_number_id,
  webhookPath: WHATSAPP_WEBHOOK_PATH,
  lastError: row.last_error,
  lastReceivedAt: row.last_received_at,
  configuredAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Each organization's WhatsApp Cloud API number (the plan feature `whatsapp_channel`). The
 * rows live in `public` because one webhook serves every tenant; the token and app secret are
 * sealed for this tenant, the verify token is kept as a hash (the handshake only compares).
 */
export class WhatsAppChannelService {
  constructor(private readonly deps: WhatsAppChannelDependencies) {}

  /** Creates or replaces the organization's channel. */
  async configure(em: EntityManager, tenantId: string, input: ConfigureWhatsAppChannelInput): Promise<WhatsAppChannel> {
    await this.deps.entitlements.requireFeature(em, tenantId, 'whatsapp_channel');
    const verifyTokenHash = hashToken(input.verifyToken);
    const [taken]: { phone_number_id: string }[] = await em.query(
      'SELECT phone_number_id FROM public.whatsapp_channels WHERE tenant_id <> $1 AND (phone_number_id = $2 OR verify_token_hash = $3)',
      [tenantId, input.phoneNumberId, verifyTokenHash],
    );
    if (taken) {
      const reason = taken.phone_number_id === input.phoneNumberId ? 'PHONE_NUMBER_ID_TAKEN' : 'VERIFY_TOKEN_TAKEN';
      throw new ConflictError(
        reason === 'PHONE_NUMBER_ID_TAKEN'
          ? 'This phone number id is connected to another organization'
          : 'Choose another verify token',
        { reason },
      );
    }
    const { secrets } = this.deps;
    const [row]: ChannelRow[] = await em.query(
      `INSERT INTO public.whatsapp_channels (tenant_id, phone_number_id, access_token, app_secret, verify_token_hash)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id) DO UPDATE
         SET phone_number_id = EXCLUDED.phone_number_id, access_token = EXCLUDED.access_token, app_secret = EXCLUDED.app_secret,
             verify_token_hash = EXCLUDED.verify_token_hash, last_error = NULL, updated_at = now()
       RETURNING phone_number_id, last_error, last_received_at, created_at, updated_at`,
      [
        tenantId,
        input.phoneNumberId,
        secrets.seal(input.accessToken, context(tenantId, 'accessToken')),
        secrets.seal(input.appSecret, context(tenantId, 'appSecret')),
        verifyTokenHash,
      ],
    );
    return toChannel(row);
  }

  async get(em: EntityManager, tenantId: string): Promise<WhatsAppChannel | null> {
    const [row]: ChannelRow[] = await em.query(
      'SELECT phone_number_id, last_error, last_received_at, created_at, updated_at FROM public.whatsapp_channels WHERE tenant_id = $1',
      [tenantId],
    );
    return row ? toChannel(row) : null;
  }

  /** Replies still queued then fail (CHANNEL_REMOVED); events already received are still applied. */
  async remove(em: EntityManager, tenantId: string): Promise<boolean> {
    const { affected } = await rawWrite(em, 'DELETE FROM public.whatsapp_channels WHERE tenant_id = $1', [tenantId]);
    return affected > 0;
  }

  /** True when some organization chose this verify token (Meta's GET handshake names no number). */
  async isVerifyToken(token: string): Promise<boolean> {
    const rows: unknown[] = await this.deps.dataSource.query(
      'SELECT 1 FROM public.whatsapp_channels WHERE verify_token_hash = $1',
      [hashToken(token)],
    );
    return rows.length > 0;
  }

  /** The channels of these phone number ids (unknown ids are absent), with their app secrets opened. */
  async forWebhook(phoneNumberIds: string[]): Promise<Map<string, WebhookChannel>> {
    const rows: { tenant_id: string; phone_number_id: string; app_secret: string }[] = await this.deps.dataSource.query(
      'SELECT tenant_id, phone_number_id, app_secret FROM public.whatsapp_channels WHERE phone_number_id = ANY($1)',
      [phoneNumberIds],
    );
    return new Map(
      rows.map((r) => [
        r.phone_number_id,
        { tenantId: r.tenant_id, appSecret: this.deps.secrets.open(r.app_secret, context(r.tenant_id, 'appSecret')) },
      ]),
    );
  }

  /** What sending needs; null when the organization has no channel (any more). */
  async senderOf(tenantId: string): Promise<{ phoneNumberId: string; accessToken: string } | null> {
    const [row]: { phone_number_id: string; access_token: string }[] = await this.deps.dataSource.query(
      'SELECT phone_number_id, access_token FROM public.whatsapp_channels WHERE tenant_id = $1',
      [tenantId],
    );
    return row
      ? {
          phoneNumberId: row.phone_number_id,
          accessToken: this.deps.secrets.open(row.access_token, context(tenantId, 'accessToken')),
        }
      : null;
  }

  /** Shown as `lastError` (null clears it). */
  async recordError(tenantId: string, error: string | null): Promise<void> {
    await this.deps.dataSource.query('UPDATE public.whatsapp_channels SET last_error = $2 WHERE tenant_id = $1', [
      tenantId,
      error,
    ]);
  }
}
