import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The public ledger as the TypeORM CLI reads its own (`id`, `timestamp`, `name`), so
 * `migration:show` with ormconfig.ts tells what is applied. A view, not a second ledger:
 * nothing can be recorded through it, and `npm run migrate` stays the one way to migrate.
 */
export class CreateTypeormMigrationsView1764000009000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    // `migration:show` run before the first `npm run migrate` creates an (empty) table of this name.
    await q.query('DROP TABLE IF EXISTS public.typeorm_migrations');
    await q.query(`
      CREATE VIEW public.typeorm_migrations AS
      SELECT (row_number() OVER (ORDER BY applied_at, name))::int AS id,
             substring(name FROM '[0-9]{13}$')::bigint AS timestamp,
             name::varchar AS name
        FROM public.schema_migrations`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP VIEW public.typeorm_migrations');
  }
}
