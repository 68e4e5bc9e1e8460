import type { EntityManager } from 'typeorm';
import { resealStoredSecrets, type ResealCount } from '../../core/crypto/reseal';
import type { SecretBox } from '../../core/crypto/secret-box';
import { context } from './whatsapp-channel.service';

const COLUMNS = { accessToken: 'access_token', appSecret: 'app_secret' } as const;

/**
 * ENCRYPTION_KEY rotation: re-seals the organization's WhatsApp token and app secret with the
 * current key. The row is locked, so a concurrent `configure` is not overwritten with old values.
 */
export async function resealWhatsAppSecrets(
  em: EntityManager,
  secrets: SecretBox,
  tenantId: string,
  options: { dryRun?: boolean } = {},
): Promise<ResealCount> {
  const [row]: { access_token: string; app_secret: string }[] = await em.query(
    `SELECT access_token, app_secret FROM public.whatsapp_channels WHERE tenant_id = $1${options.dryRun ? '' : ' FOR UPDATE'}`,
    [tenantId],
  );
  const fields = row ? (Object.keys(COLUMNS) as (keyof typeof COLUMNS)[]) : [];
  return resealStoredSecrets(
    secrets,
    fields.map((field) => ({
      sealed: row[COLUMNS[field]],
      context: context(tenantId, field),
      write: async (resealed) =>
        void (await em.query(`UPDATE public.whatsapp_channels SET ${COLUMNS[field]} = $2 WHERE tenant_id = $1`, [
          tenantId,
          resealed,
        ])),
    })),
    !!options.dryRun,
  );
}
