import type { MigrationInterface, QueryRunner } from 'typeorm';

/** sendInvoice: when and by whom an invoice was mailed to its customer (as quotes record it). */
export class AddInvoiceSending1764000006070 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE invoices ADD COLUMN sent_at timestamptz(3), ADD COLUMN sent_by varchar(80)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE invoices DROP COLUMN sent_at, DROP COLUMN sent_by');
  }
}
