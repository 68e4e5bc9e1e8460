import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../core/config/config';
import { RevocationFeed, type RevocationSource } from '../../core/revocation/revocation-feed';

/** What the trigger of migration 1764000004500 notifies on with each ended session's id. */
export const ENDED_SESSIONS_CHANNEL = 'tenantql_ended_sessions';
/** verifyAccessToken's clock tolerance, plus a margin: an entry is kept until no token it refuses can be valid. */
const RETENTION_MARGIN_MS = 60_000;

/** Ended sessions as a source of the process's revocation feed (one listener for every source). */
export function endedSessionsSource(dataSource: DataSource, jwt: AppConfig['jwt']): RevocationSource {
  return {
    channel: ENDED_SESSIONS_CHANNEL,
    retentionMs: jwt.expirationHours * 3_600_000 + RETENTION_MARGIN_MS,
    load: async (client, withinMs) =>
      (
        await client.query<{ id: string; revokedAt: Date }>(
          `SELECT session_id::text AS id, ended_at AS "revokedAt" FROM public.ended_sessions
            WHERE ended_at > now() - $1 * interval '1 millisecond'`,
          [withinMs],
        )
      ).rows,
    lookup: async (id) =>
      (await dataSource.query('SELECT 1 FROM public.ended_sessions WHERE session_id = $1', [id])).length > 0,
  };
}

/**
 * The sessions that ended (logout, revocation, password reset, refresh-token reuse, suspended or
 * deleted user), as every API process knows them: access tokens naming one are refused.
 */
export function createEndedSessions(options: {
  dataSource: DataSource;
  listenUrl: string;
  jwt: AppConfig['jwt'];
  logger: Logger;
}): RevocationFeed {
  return new RevocationFeed({
    connectionString: options.listenUrl,
    sources: [endedSessionsSource(options.dataSource, options.jwt)],
    logger: options.logger,
  });
}
