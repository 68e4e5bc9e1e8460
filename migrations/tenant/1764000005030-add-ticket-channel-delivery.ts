import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addColumnWithDefault } from '../../src/core/database/add-column-with-default';

/**
 * Tickets that come from and answer through email or WhatsApp: who wrote each message, the
 * channel's own id for it (Message-ID or wamid: the dedupe and threading key) and how far a
 * team reply got on its way to the customer.
 */
export class AddTicketChannelDelivery1764000005030 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await addColumnWithDefault(q, 'ticket_messages', 'author', {
      type: 'varchar(8)',
      default: "'TEAM'",
      notNull: true,
      check: "author IN ('TEAM', 'CUSTOMER')",
    });
    await q.query(`
      ALTER TABLE ticket_messages
        ADD COLUMN external_id varchar(998),
        ADD COLUMN delivery_status varchar(10) CHECK (delivery_status IN ('QUEUED', 'SENT', 'DELIVERED', 'READ', 'FAILED')),
        ADD COLUMN delivery_error text,
        ADD COLUMN delivery_updated_at timestamptz(3)`);
    // One row per channel message: a second delivery of the same mail or webhook is recognised.
    await q.query('CREATE UNIQUE INDEX ticket_messages_external_id_key ON ticket_messages (external_id)');
    await q.query(`ALTER TABLE tickets ADD COLUMN contact_address varchar(320)`);
    await q.query(
      `CREATE INDEX tickets_contact_idx ON tickets (channel, contact_address, created_at) WHERE contact_address IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX tickets_contact_idx');
    await q.query('ALTER TABLE tickets DROP COLUMN contact_address');
    await q.query('DROP INDEX ticket_messages_external_id_key');
    await q.query(`
      ALTER TABLE ticket_messages
        DROP COLUMN delivery_updated_at, DROP COLUMN delivery_error, DROP COLUMN delivery_status, DROP COLUMN external_id, DROP COLUMN author`);
  }
}
