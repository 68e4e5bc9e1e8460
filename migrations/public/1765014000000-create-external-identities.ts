import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in through external OpenID providers (src/modules/identity). `provider` is the issuer URL, as OpenID
 * Connect keys a subject by (iss, sub). A tenant may mirror one provider organization; the provider's view of
 * each membership (from its webhooks) is kept so that events apply in order, a membership of a user or an
 * organization not seen yet applies when they appear, and a removal outvotes a token that still carries the
 * old organization claims.
 */
export class CreateExternalIdentities1765014000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.external_identities (
        provider varchar(255) NOT NULL,
        subject varchar(255) NOT NULL,
        user_id uuid NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
        email varchar(320),
        email_verified boolean NOT NULL DEFAULT false,
        created_user boolean NOT NULL DEFAULT false,
        profile_event_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT external_identities_subject_key UNIQUE (provider, subject)
      )`);
    await q.query('CREATE INDEX external_identities_user_id_idx ON public.external_identities (user_id)');
    await q.query(`ALTER TABLE public.tenants
      ADD COLUMN external_provider varchar(255),
      ADD COLUMN external_organization_id varchar(255),
      ADD CONSTRAINT tenants_external_organization_check
        CHECK ((external_provider IS NULL) = (external_organization_id IS NULL))`);
    // Leading with the organization id: X-Organization-ID looks it up without knowing the provider.
    await q.query(`CREATE UNIQUE INDEX tenants_external_organization_key
      ON public.tenants (external_organization_id, external_provider) WHERE external_organization_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE public.external_memberships (
        provider varchar(255) NOT NULL,
        organization_id varchar(255) NOT NULL,
        subject varchar(255) NOT NULL,
        role varchar(10) CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER')),
        removed_at timestamptz(3),
        event_at timestamptz(3) NOT NULL,
        PRIMARY KEY (provider, organization_id, subject)
      )`);
    await q.query('CREATE INDEX external_memberships_subject_idx ON public.external_memberships (provider, subject)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.external_memberships');
    await q.query('DROP INDEX public.tenants_external_organization_key');
    await q.query(`ALTER TABLE public.tenants DROP CONSTRAINT tenants_external_organization_check,
      DROP COLUMN external_organization_id, DROP COLUMN external_provider`);
    await q.query('DROP TABLE public.external_identities');
  }
}
