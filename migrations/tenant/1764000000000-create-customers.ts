import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenant migrations use unqualified names: they run with search_path set to one tenant's schema. */
export class CreateCustomers1764000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        email varchar(320),
        phone varchar(40),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX customers_created_at_id_idx ON customers (created_at, id)');
    await q.query('CREATE UNIQUE INDEX customers_email_key ON customers (lower(email)) WHERE email IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE customers');
  }
}
