import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Spare tenant schemas, created ahead by a job (src/modules/tenants/tenant-spares.ts): createTenant renames one
 * instead of creating every tenant table while the caller waits. `schema_version` is the migrations they were
 * created with; only spares of the code's version are taken.
 */
export class CreateTenantSchemaSpares1765020000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.tenant_schema_spares (
        schema_name varchar(63) PRIMARY KEY,
        schema_version varchar(200) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      'CREATE INDEX tenant_schema_spares_version_idx ON public.tenant_schema_spares (schema_version, created_at)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    // The spare schemas themselves go with the table that lists them: nothing else knows them.
    await q.query(`
      DO $$ DECLARE s text; BEGIN
        FOR s IN SELECT schema_name FROM public.tenant_schema_spares LOOP
          EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', s);
        END LOOP;
      END $$`);
    await q.query('DROP TABLE public.tenant_schema_spares');
  }
}
