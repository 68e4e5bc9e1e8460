import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invoices made from accepted quotes, with their own copy of the quote's lines and a
 * per-year counter for invoice numbers. A quote has at most one invoice that is not VOID.
 */
export class CreateInvoices1764000006040 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE invoice_number_counters (
        year smallint PRIMARY KEY,
        last_number integer NOT NULL
      )`);
    await q.query(`
      CREATE TABLE invoices (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number varchar(20) NOT NULL UNIQUE,
        quote_id uuid NOT NULL REFERENCES quotes (id),
        customer_id uuid NOT NULL REFERENCES customers (id),
        title varchar(200) NOT NULL,
        currency char(3) NOT NULL,
        issue_date date NOT NULL,
        due_date date NOT NULL CHECK (due_date >= issue_date),
        status varchar(10) NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SENT', 'PAID', 'VOID')),
        paid_at timestamptz(3),
        voided_at timestamptz(3),
        subtotal numeric(16, 2) NOT NULL,
        discount numeric(16, 2) NOT NULL,
        tax numeric(16, 2) NOT NULL,
        total numeric(16, 2) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX invoices_open_quote_id_key ON invoices (quote_id) WHERE status <> 'VOID'`);
    await q.query('CREATE INDEX invoices_created_at_id_idx ON invoices (created_at, id)');
    await q.query('CREATE INDEX invoices_customer_id_idx ON invoices (customer_id)');
    await q.query(`
      CREATE TABLE invoice_line_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        invoice_id uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
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
        UNIQUE (invoice_id, position)
      )`);
    await q.query('CREATE INDEX invoice_line_items_product_id_idx ON invoice_line_items (product_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE invoice_line_items');
    await q.query('DROP TABLE invoices');
    await q.query('DROP TABLE invoice_number_counters');
  }
}
