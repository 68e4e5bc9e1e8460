import type { EntityManager } from 'typeorm';
import { resealStoredSecrets, type ResealCount } from '../../core/crypto/reseal';
import type { SecretBox } from '../../core/crypto/secret-box';
import { passwordContext } from './email-channel.service';

/**
 * ENCRYPTION_KEY rotation: re-seals the mailbox password with the current key, in the tenant's
 * transaction. The row is locked, so a concurrent `configure` is not overwritten with the old password.
 */
export async function resealEmailChannelSecrets(
  em: EntityManager,
  secrets: SecretBox,
  tenantId: string,
  options: { dryRun?: boolean } = {},
): Promise<ResealCount> {
  const rows: { id: number; password_sealed: string }[] = await em.query(
    `SELECT id, password_sealed FROM email_channels${options.dryRun ? '' : ' FOR UPDATE'}`,
  );
  return resealStoredSecrets(
    secrets,
    rows.map((row) => ({
      sealed: row.password_sealed,
      context: passwordContext(tenantId),
      write: async (resealed) =>
        void (await em.query('UPDATE email_channels SET password_sealed = $2 WHERE id = $1', [row.id, resealed])),
    })),
    !!options.dryRun,
  );
}
