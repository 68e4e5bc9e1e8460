import type { DataSource, EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '../../core/errors/app-error';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { User } from './user.entity';

/** Ends every session of a user in the caller's transaction (supplied by the accounts module). */
export type SessionEnder = (manager: EntityManager, userId: string) => Promise<unknown>;

/**
 * Platform-admin account ends. Both end the user's sessions, and with them their access tokens
 * in every API process (src/core/revocation): suspension revokes them, deletion removes them.
 */
export class UserAdminService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly endSessions: SessionEnder,
  ) {}

  /** Signing in is refused (ACCOUNT_SUSPENDED) until reinstated; sessions end now. */
  suspend(userId: string, reason?: string): Promise<User> {
    return this.dataSource.transaction(async (em) => {
      await this.setSuspension(em, userId, reason ?? null, true);
      await this.endSessions(em, userId);
      return em.findOneByOrFail(User, { id: userId });
    });
  }

  async reinstate(userId: string): Promise<User> {
    await this.setSuspension(this.dataSource.manager, userId, null, false);
    return this.dataSource.manager.findOneByOrFail(User, { id: userId });
  }

  /** Memberships and sessions go with the user; the last OWNER of an organization is kept (CONFLICT LAST_OWNER). */
  async delete(userId: string): Promise<boolean> {
    await this.dataSource.transaction(async (em) => {
      if (!(await this.lockUser(em, userId))) throw new NotFoundError('User', userId);
      const [soleOwner]: { tenant_id: string }[] = await em.query(
        `SELECT m.tenant_id FROM public.memberships m
          WHERE m.user_id = $1 AND m.role = 'OWNER'
            AND NOT EXISTS (SELECT 1 FROM public.memberships o
                             WHERE o.tenant_id = m.tenant_id AND o.role = 'OWNER' AND o.user_id <> $1)
          LIMIT 1`,
        [userId],
      );
      if (soleOwner) {
        throw new ConflictError('This user is the last owner of an organization: make someone else OWNER first', {
          reason: 'LAST_OWNER',
          tenantId: soleOwner.tenant_id,
        });
      }
      await em.query('DELETE FROM public.users WHERE id = $1', [userId]);
    });
    return true;
  }

  private async lockUser(em: EntityManager, userId: string): Promise<boolean> {
    if (!isUuid(userId)) return false;
    return (await em.query('SELECT 1 FROM public.users WHERE id = $1 FOR UPDATE', [userId])).length > 0;
  }

  private async setSuspension(em: EntityManager, userId: string, reason: string | null, suspended: boolean) {
    const [rows]: [unknown[], number] = await em.query(
      `UPDATE public.users SET suspended_at = CASE WHEN $2 THEN coalesce(suspended_at, now()) END,
              suspended_reason = $3, updated_at = now()
        WHERE id = $1 RETURNING id`,
      [isUuid(userId) ? userId : null, suspended, reason],
    );
    if (!rows.length) throw new NotFoundError('User', userId);
  }
}
