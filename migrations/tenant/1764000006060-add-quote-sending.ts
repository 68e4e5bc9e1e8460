import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * sendQuote and the daily expiry job: who sent and who decided a quote, and EXPIRED as a
 * stored status (the job writes it, so reports reading the table agree with the API).
 */
export class AddQuoteSending1764000006060 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE quotes ADD COLUMN sent_at timestamptz(3), ADD COLUMN sent_by varchar(80), ADD COLUMN decided_by varchar(80)',
    );
    await q.query('ALTER TABLE quotes DROP CONSTRAINT quotes_status_check');
    await q.query(
      "ALTER TABLE quotes ADD CONSTRAINT quotes_status_check CHECK (status IN ('DRAFT', 'SENT', 'ACCEPTED', 'REJECTED', 'EXPIRED'))",
    );
    // The expiry job looks for open quotes past their date.
    await q.query("CREATE INDEX quotes_open_valid_until_idx ON quotes (valid_until) WHERE status IN ('DRAFT', 'SENT')");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX quotes_open_valid_until_idx');
    await q.query(
      "UPDATE quotes SET status = CASE WHEN sent_at IS NULL THEN 'DRAFT' ELSE 'SENT' END WHERE status = 'EXPIRED'",
    );
    await q.query('ALTER TABLE quotes DROP CONSTRAINT quotes_status_check');
    await q.query(
      "ALTER TABLE quotes ADD CONSTRAINT quotes_status_check CHECK (status IN ('DRAFT', 'SENT', 'ACCEPTED', 'REJECTED'))",
    );
    await q.query('ALTER TABLE quotes DROP COLUMN sent_at, DROP COLUMN sent_by, DROP COLUMN decided_by');
  }
}
