import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organizations' invitations and API keys. Both live in `public`: an invitation is
 * opened from a mailed link and an API key is looked up before anyone knows which
 * tenant the request is for. Secrets of either kind are stored only as SHA-256.
 */
export class CreateInvitationsAndApiKeys1764000002000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        email varchar(320) NOT NULL,
        role varchar(10) NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
        token_hash bytea NOT NULL,
        invited_by uuid REFERENCES public.users (id) ON DELETE SET NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        accepted_at timestamptz(3),
        accepted_by uuid REFERENCES public.users (id) ON DELETE SET NULL,
        revoked_at timestamptz(3),
        CONSTRAINT invitations_token_hash_key UNIQUE (token_hash)
      )`);
    // Pending invitations of an organization (listing, replacing one for the same address).
    await q.query(`
      CREATE INDEX invitations_pending_idx ON public.invitations (tenant_id, lower(email))
        WHERE accepted_at IS NULL AND revoked_at IS NULL`);

    await q.query(`
      CREATE TABLE public.api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        name varchar(100) NOT NULL,
        prefix varchar(32) NOT NULL,
        secret_hash bytea NOT NULL,
        scopes text[] NOT NULL,
        created_by uuid REFERENCES public.users (id) ON DELETE SET NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3),
        last_used_at timestamptz(3),
        revoked_at timestamptz(3),
        CONSTRAINT api_keys_secret_hash_key UNIQUE (secret_hash)
      )`);
    // Every API request looks its key up by hash (the unique index above); listings go by tenant.
    await q.query('CREATE INDEX api_keys_tenant_id_idx ON public.api_keys (tenant_id, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.api_keys');
    await q.query('DROP TABLE public.invitations');
  }
}
