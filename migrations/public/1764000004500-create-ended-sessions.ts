import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ended sessions, so access tokens die with their session (src/core/revocation). A session
 * that is revoked, or deleted while live (its user deleted), is recorded here by a trigger
 * and announced with NOTIFY in the same transaction: every API process hears it on commit.
 * No foreign key: the record must outlive a deleted user. Users can be suspended.
 */
export class CreateEndedSessions1764000004500 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.ended_sessions (
        session_id uuid PRIMARY KEY,
        user_id uuid NOT NULL,
        ended_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Processes load what ended within an access token's lifetime.
    await q.query('CREATE INDEX ended_sessions_ended_at_idx ON public.ended_sessions (ended_at)');
    await q.query(`
      CREATE FUNCTION public.record_ended_session() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO public.ended_sessions (session_id, user_id) VALUES (OLD.id, OLD.user_id) ON CONFLICT DO NOTHING;
        PERFORM pg_notify('tenantql_ended_sessions', OLD.id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER auth_sessions_revoked AFTER UPDATE OF revoked_at ON public.auth_sessions
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
        EXECUTE FUNCTION public.record_ended_session()`);
    await q.query(`
      CREATE TRIGGER auth_sessions_deleted AFTER DELETE ON public.auth_sessions
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
        EXECUTE FUNCTION public.record_ended_session()`);
    await q.query(`ALTER TABLE public.users
      ADD COLUMN suspended_at timestamptz(3),
      ADD COLUMN suspended_reason varchar(500)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE public.users DROP COLUMN suspended_reason, DROP COLUMN suspended_at');
    await q.query('DROP TRIGGER auth_sessions_deleted ON public.auth_sessions');
    await q.query('DROP TRIGGER auth_sessions_revoked ON public.auth_sessions');
    await q.query('DROP FUNCTION public.record_ended_session()');
    await q.query('DROP TABLE public.ended_sessions');
  }
}
