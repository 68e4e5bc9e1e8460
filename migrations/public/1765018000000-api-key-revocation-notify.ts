import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys are cached by every API process after their first verification (src/modules/api-keys):
 * a key that is revoked, or deleted with its organization, is announced with NOTIFY in the same
 * transaction, so every process drops it on commit (the revocation feed, src/core/revocation).
 */
export class ApiKeyRevocationNotify1765018000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION public.notify_revoked_api_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tenantql_revoked_api_keys', OLD.id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER api_keys_revoked AFTER UPDATE OF revoked_at ON public.api_keys
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
        EXECUTE FUNCTION public.notify_revoked_api_key()`);
    await q.query(`
      CREATE TRIGGER api_keys_deleted AFTER DELETE ON public.api_keys
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL)
        EXECUTE FUNCTION public.notify_revoked_api_key()`);
    // Processes load what was revoked within a cached key's lifetime.
    await q.query('CREATE INDEX api_keys_revoked_at_idx ON public.api_keys (revoked_at) WHERE revoked_at IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX public.api_keys_revoked_at_idx');
    await q.query('DROP TRIGGER api_keys_deleted ON public.api_keys');
    await q.query('DROP TRIGGER api_keys_revoked ON public.api_keys');
    await q.query('DROP FUNCTION public.notify_revoked_api_key()');
  }
}
