import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Quotes with their line items and a per-year counter for quote numbers (row-locked while numbering). */
export class CreateQuotes1764000006010 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quote_number_counters (
        year smallint PRIMARY KEY,
        last_number integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE quotes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number varchar(20) NOT NULL UNIQUE,
        customer_id uuid NOT NULL REFERENCES customers (id),
        title varchar(200) NOT NULL,
        currency char(3) NOT NULL,
        valid_until date NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SENT', 'ACCEPTED', 'REJECTED')),
        rejection_reason text,
        decided_at timestamptz(3),
        subtotal numeric(16, 2) NOT NULL,
        discount numeric(16, 2) NOT NULL,
        tax numeric(16, 2) NOT NULL,
        total numeric(16, 2) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX quotes_created_at_id_idx ON quotes (created_at, id)');
    await q.query('CREATE INDEX quotes_customer_id_idx ON quotes (customer_id)');
    await q.query(`
      CREATE TABLE quote_line_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        quote_id uuid NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
        position integer NOT NULL,
        product_id uuid REFERENCES products (id),
        description text NOT NULL,
        quantity numeric(14, 3) NOT NULL CHECK (quantity > 0),
        unit_price numeric(14, 2) NOT NULL CHECK (unit_price >= 0),
        discount_percent numeric(6, 3) NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
        tax_rate numeric(6, 3) NOT NULL CHECK (tax_rate BETWEEN 0 AND 100),
        subtotal numeric(16, 2) NOT NULL,
        discount numeric(16, 2) NOT NULL,
        tax numeric(16, 2) NOT NULL,
        total numeric(16, 2) NOT NULL,
        UNIQUE (quote_id, position)
      )`);
    await q.query('CREATE INDEX quote_line_items_product_id_idx ON quote_line_items (product_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE quote_line_items');
    await q.query('DROP TABLE quotes');
    await q.query('DROP TABLE quote_number_counters');
  }
}
