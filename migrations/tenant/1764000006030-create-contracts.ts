import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Contracts made from accepted quotes (one per quote), with their own copy of the quote's
 * totals (the value is the total) and lines, and a per-year counter for contract numbers. `renewal_quote_id` links the
 * renewal quote.
 */
export class CreateContracts1764000006030 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE contract_number_counters (
        year smallint PRIMARY KEY,
        last_number integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE contracts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number varchar(20) NOT NULL UNIQUE,
        quote_id uuid NOT NULL UNIQUE REFERENCES quotes (id),
        customer_id uuid NOT NULL REFERENCES customers (id),
        title varchar(200) NOT NULL,
        currency char(3) NOT NULL,
        subtotal numeric(16, 2) NOT NULL,
        discount numeric(16, 2) NOT NULL,
        tax numeric(16, 2) NOT NULL,
        total numeric(16, 2) NOT NULL,
        start_date date NOT NULL,
        end_date date NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'ACTIVE', 'TERMINATED')),
        activated_at timestamptz(3),
        terminated_at timestamptz(3),
        termination_reason text,
        renewal_quote_id uuid UNIQUE REFERENCES quotes (id),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CHECK (end_date > start_date)
      )`);
    await q.query('CREATE INDEX contracts_created_at_id_idx ON contracts (created_at, id)');
    await q.query('CREATE INDEX contracts_customer_id_idx ON contracts (customer_id)');
    await q.query(`
      CREATE TABLE contract_line_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        contract_id uuid NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
        position integer NOT NULL,
        product_id uuid REFERENCES products (id),
        description text NOT NULL,
        quantity numeric(14, 3) NOT NULL,
        unit_price numeric(14, 2) NOT NULL,
        discount_percent numeric(6, 3) NOT NULL,
        tax_rate numeric(6, 3) NOT NULL,
        subtotal numeric(16, 2) NOT NULL,
        discount numeric(16, 2) NOT NULL,
        tax numeric(16, 2) NOT NULL,
        total numeric(16, 2) NOT NULL,
        UNIQUE (contract_id, position)
      )`);
    await q.query('CREATE INDEX contract_line_items_product_id_idx ON contract_line_items (product_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE contract_line_items');
    await q.query('DROP TABLE contracts');
    await q.query('DROP TABLE contract_number_counters');
  }
}
