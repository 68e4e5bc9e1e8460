import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The catalog. `search` is maintained by PostgreSQL: English stemming for name and
 * description, the SKU kept whole ('simple') so codes match exactly.
 */
export class CreateProducts1764000006000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        sku varchar(64) NOT NULL,
        description text,
        unit_price numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
        currency char(3) NOT NULL,
        unit varchar(40) NOT NULL DEFAULT 'unit',
        tax_rate numeric(6, 3) NOT NULL DEFAULT 0 CHECK (tax_rate BETWEEN 0 AND 100),
        is_own_product boolean NOT NULL DEFAULT true,
        active boolean NOT NULL DEFAULT true,
        search tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple', sku), 'A')
          || setweight(to_tsvector('english', name), 'A')
          || setweight(to_tsvector('english', coalesce(description, '')), 'B')
        ) STORED,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX products_sku_key ON products (lower(sku))');
    await q.query('CREATE INDEX products_created_at_id_idx ON products (created_at, id)');
    await q.query('CREATE INDEX products_search_idx ON products USING gin (search)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE products');
  }
}
