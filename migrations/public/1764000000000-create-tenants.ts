import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTenants1764000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.tenants (
        id uuid PRIMARY KEY,
        slug varchar(63) NOT NULL,
        name varchar(200) NOT NULL,
        schema_name varchar(40) NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'PROVISIONING'
          CHECK (status IN ('PROVISIONING', 'ACTIVE', 'SUSPENDED', 'FAILED', 'ARCHIVED')),
        status_reason text,
        plan varchar(20) NOT NULL DEFAULT 'FREE',
        schema_version varchar(255),
        migration_error text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT tenants_slug_key UNIQUE (slug),
        CONSTRAINT tenants_schema_name_key UNIQUE (schema_name),
        CONSTRAINT tenants_schema_name_check CHECK (schema_name ~ '^tenant_[a-z0-9]{8,32}$')
      )`);
    await q.query(`CREATE INDEX tenants_status_version_idx ON public.tenants (status, schema_version)`);
    // Which tenant migration each tenant has applied: written in the same transaction as the DDL.
    await q.query(`
      CREATE TABLE public.tenant_migrations (
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        name varchar(255) NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.tenant_migrations');
    await q.query('DROP TABLE public.tenants');
  }
}
