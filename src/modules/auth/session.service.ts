import type { DataSource, EntityManager } from 'typeorm';
import { NotFoundError, UnauthenticatedError } from '../../core/errors/app-error';
import { isUuid } from '../../core/tenancy/tenant-schema';
import { hashSecureToken, newSecureToken } from './secure-token';

export interface ClientInfo {
  ip: string;
  userAgent?: string;
}

export interface IssuedSession {
  sessionId: string;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export interface SessionRow {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  userAgent: string | null;
  ipAddress: string | null;
}

export type RevokeReason =
  'LOGOUT' | 'LOGOUT_ALL' | 'REVOKED' | 'PASSWORD_RESET' | 'REFRESH_TOKEN_REUSED' | 'USER_SUSPENDED';

type RotationOutcome = { kind: 'rotated'; userId: string; session: IssuedSession } | { kind: 'invalid' };

/**
 * Sessions are refresh-token families (Auth0-style rotation with reuse detection):
 * every refresh spends the presented token and adds a new one to the family; a
 * spent token presented again means two parties hold the family, so the whole
 * family is revoked and both must sign in again.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly refreshLifetimeDays: number,
  ) {}

  private expiry(): Date {
    return new Date(Date.now() + this.refreshLifetimeDays * 86_400_000);
  }

  async start(manager: EntityManager, userId: string, client: ClientInfo): Promise<IssuedSession> {
    const expiresAt = this.expiry();
    const [session]: { id: string }[] = await manager.query(
      `INSERT INTO public.auth_sessions (user_id, user_agent, ip_address, expires_at) VALUES ($1, $2, $3, $4) RETURNING id`,
      [userId, client.userAgent ?? null, client.ip, expiresAt],
    );
    return {
      sessionId: session.id,
      refreshToken: await this.addToken(manager, session.id, expiresAt),
      refreshTokenExpiresAt: expiresAt,
    };
  }

  /**
   * Spends `refreshToken` and returns the family's next one; UNAUTHENTICATED for anything unknown, expired, revoked or
   * reused.
   */
  async rotate(refreshToken: string, client: ClientInfo): Promise<{ userId: string; session: IssuedSession }> {
    // Reuse must revoke the family even though the call fails: the transaction returns normally and commits.
    const outcome = await this.dataSource.transaction(async (em): Promise<RotationOutcome> => {
      const [row]: {
        id: string;
        session_id: string;
        user_id: string;
        expires_at: Date;
        rotated_at: Date | null;
        revoked_at: Date | null;
      }[] = await em.query(
        `SELECT t.id, t.session_id, s.user_id, t.expires_at, t.rotated_at, s.revoked_at
             FROM public.refresh_tokens t JOIN public.auth_sessions s ON s.id = t.session_id
            WHERE t.token_hash = $1
              FOR UPDATE OF t, s`,
        [hashSecureToken(refreshToken)],
      );
      if (!row || row.revoked_at) return { kind: 'invalid' };
      if (row.rotated_at) {
        await this.revokeWhere(em, 'id = $1', [row.session_id], 'REFRESH_TOKEN_REUSED');
        return { kind: 'invalid' };
      }
      if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' };
      const expiresAt = this.expiry();
      await em.query('UPDATE public.refresh_tokens SET rotated_at = now() WHERE id = $1', [row.id]);
      await em.query(
        `UPDATE public.auth_sessions SET last_used_at = now(), expires_at = $2, ip_address = $3, user_agent = coalesce($4, user_agent) WHERE id = $1`,
        [row.session_id, expiresAt, client.ip, client.userAgent ?? null],
      );
      const next = await this.addToken(em, row.session_id, expiresAt);
      return {
        kind: 'rotated',
        userId: row.user_id,
        session: { sessionId: row.session_id, refreshToken: next, refreshTokenExpiresAt: expiresAt },
      };
    });
    if (outcome.kind === 'invalid') throw new UnauthenticatedError('Invalid or expired refresh token');
    return outcome;
  }

  /** Ends the session the token belongs to (any token of the family, spent or not). Unknown tokens are ignored. */
  async revokeByToken(refreshToken: string): Promise<void> {
    await this.revokeWhere(
      this.dataSource.manager,
      'id = (SELECT session_id FROM public.refresh_tokens WHERE token_hash = $1)',
      [hashSecureToken(refreshToken)],
      'LOGOUT',
    );
  }

  async revoke(userId: string, sessionId: string): Promise<void> {
    const revoked = isUuid(sessionId)
      ? await this.revokeWhere(this.dataSource.manager, 'id = $1 AND user_id = $2', [sessionId, userId], 'REVOKED')
      : 0;
    if (!revoked) throw new NotFoundError('Session', sessionId);
  }

  /** Ends every session of the user except `keepSessionId`; returns how many. */
  revokeAll(manager: EntityManager, userId: string, reason: RevokeReason, keepSessionId?: string): Promise<number> {
    return this.revokeWhere(
      manager,
      'user_id = $1 AND id IS DISTINCT FROM $2::uuid',
      [userId, keepSessionId ?? null],
      reason,
    );
  }

  listActive(userId: string): Promise<SessionRow[]> {
    return this.dataSource.query(
      `SELECT id, created_at AS "createdAt", last_used_at AS "lastUsedAt", expires_at AS "expiresAt",
              user_agent AS "userAgent", ip_address AS "ipAddress"
         FROM public.auth_sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY last_used_at DESC`,
      [userId],
    );
  }

  private async addToken(manager: EntityManager, sessionId: string, expiresAt: Date): Promise<string> {
    const { token, hash } = newSecureToken();
    await manager.query('INSERT INTO public.refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)', [
      sessionId,
      hash,
      expiresAt,
    ]);
    return token;
  }

  private async revokeWhere(
    manager: EntityManager,
    condition: string,
    params: unknown[],
    reason: RevokeReason,
  ): Promise<number> {
    const reasonParam = `$${params.length + 1}`;
    const rows: unknown[] = await manager.query(
      `WITH revoked AS (
         UPDATE public.auth_sessions SET revoked_at = now(), revoked_reason = ${reasonParam}
          WHERE revoked_at IS NULL AND ${condition}
         RETURNING id)
       SELECT id FROM revoked`,
      [...params, reason],
    );
    return rows.length;
  }
}
