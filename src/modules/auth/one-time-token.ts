import type { EntityManager } from 'typeorm';
import { hashSecureToken, newSecureToken } from './secure-token';

export type OneTimeTokenPurpose = 'VERIFY_EMAIL' | 'RESET_PASSWORD';

/** Issues a link token for one user and purpose; older unused ones of that purpose stop working. */
export async function issueOneTimeToken(
  manager: EntityManager,
  userId: string,
  purpose: OneTimeTokenPurpose,
  lifetimeHours: number,
): Promise<{ id: string; token: string }> {
  await manager.query(
    'UPDATE public.one_time_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL',
    [userId, purpose],
  );
  const { token, hash } = newSecureToken();
  const [row]: { id: string }[] = await manager.query(
    `INSERT INTO public.one_time_tokens (user_id, purpose, token_hash, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
    [userId, purpose, hash, new Date(Date.now() + lifetimeHours * 3_600_000)],
  );
  return { id: row.id, token };
}

/** Marks the token used and returns it, in one statement: two concurrent uses cannot both succeed. */
export async function consumeOneTimeToken(
  manager: EntityManager,
  token: string,
  purpose: OneTimeTokenPurpose,
): Promise<{ id: string; userId: string } | undefined> {
  const [row]: { id: string; user_id: string }[] = await manager.query(
    `WITH used AS (
       UPDATE public.one_time_tokens SET used_at = now()
        WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
       RETURNING id, user_id)
     SELECT id, user_id FROM used`,
    [hashSecureToken(token), purpose],
  );
  return row && { id: row.id, userId: row.user_id };
}
