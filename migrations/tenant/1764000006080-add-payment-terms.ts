import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addColumnWithDefault } from '../../src/core/database/add-column-with-default';

/** Payment terms: invoices are due this many days after issue (30, as they were before it was a setting). */
export class AddPaymentTerms1764000006080 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await addColumnWithDefault(q, 'business_settings', 'payment_terms_days', {
      type: 'smallint',
      default: '30',
      notNull: true,
      check: 'payment_terms_days BETWEEN 0 AND 365',
    });
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE business_settings DROP COLUMN payment_terms_days');
  }
}
