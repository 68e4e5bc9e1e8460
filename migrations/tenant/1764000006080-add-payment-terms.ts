import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Payment terms: invoices are due this many days after issue (30, as they were before it was a setting). */
export class AddPaymentTerms1764000006080 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE business_settings ADD COLUMN payment_terms_days smallint NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365)',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE business_settings DROP COLUMN payment_terms_days');
  }
}
