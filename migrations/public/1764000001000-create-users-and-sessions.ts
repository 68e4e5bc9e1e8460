import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Accounts: users, their memberships, sessions (refresh-token families), one-time tokens, login throttling. */
export class CreateUsersAndSessions1764000001000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(320) NOT NULL,
        password_hash text NOT NULL,
        first_name varchar(100) NOT NULL,
        last_name varchar(100) NOT NULL,
        email_verified_at timestamptz(3),
        password_changed_at timestamptz(3) NOT NULL DEFAULT now(),
        last_login_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // Addresses are unique whatever their case; lookups use lower(email) and hit this index.
    await q.query('CREATE UNIQUE INDEX users_email_key ON public.users (lower(email))');

    await q.query(`
      CREATE TABLE public.memberships (
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
        role varchar(10) NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id)
      )`);
    await q.query('CREATE INDEX memberships_user_id_idx ON public.memberships (user_id)');

    // A session is one refresh-token family: each rotation adds a token, revoking the session ends them all.
    await q.query(`
      CREATE TABLE public.auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
        user_agent varchar(500),
        ip_address varchar(64),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        last_used_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        revoked_at timestamptz(3),
        revoked_reason varchar(30)
      )`);
    await q.query(
      'CREATE INDEX auth_sessions_active_user_idx ON public.auth_sessions (user_id) WHERE revoked_at IS NULL',
    );
    await q.query(`
      CREATE TABLE public.refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES public.auth_sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        rotated_at timestamptz(3),
        CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await q.query('CREATE INDEX refresh_tokens_session_id_idx ON public.refresh_tokens (session_id)');

    // Email verification and password reset links: only a hash is stored, each is used once.
    await q.query(`
      CREATE TABLE public.one_time_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
        purpose varchar(20) NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
        token_hash bytea NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        expires_at timestamptz(3) NOT NULL,
        used_at timestamptz(3),
        CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await q.query(
      'CREATE INDEX one_time_tokens_unused_idx ON public.one_time_tokens (user_id, purpose) WHERE used_at IS NULL',
    );

    // rate-limiter-flexible's RateLimiterPostgres store, shared by every process (columns in the order it inserts).
    await q.query(`
      CREATE TABLE public.auth_rate_limits (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.auth_rate_limits');
    await q.query('DROP TABLE public.one_time_tokens');
    await q.query('DROP TABLE public.refresh_tokens');
    await q.query('DROP TABLE public.auth_sessions');
    await q.query('DROP TABLE public.memberships');
    await q.query('DROP TABLE public.users');
  }
}
