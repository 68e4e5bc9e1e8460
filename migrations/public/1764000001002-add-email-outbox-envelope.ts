import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What mail beyond notices needs: replies threaded into the customer's conversation
 * (own Message-ID, In-Reply-To/References headers, Reply-To the support mailbox, a sender
 * name) and documents attached (a quote's PDF). Attachments are kept as base64 in jsonb:
 * they are small, and the row must hold everything a retry needs.
 */
export class AddEmailOutboxEnvelope1764000001002 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE public.email_outbox
        ADD COLUMN from_name varchar(200),
        ADD COLUMN reply_to varchar(320),
        ADD COLUMN message_id varchar(300),
        ADD COLUMN headers jsonb NOT NULL DEFAULT '{}',
        ADD COLUMN attachments jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE public.email_outbox
        DROP COLUMN attachments, DROP COLUMN headers, DROP COLUMN message_id, DROP COLUMN reply_to, DROP COLUMN from_name`);
  }
}
