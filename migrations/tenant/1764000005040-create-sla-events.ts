import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SLA alerts already raised (one per ticket, target and status: the monitor's idempotency). */
export class CreateSlaEvents1764000005040 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sla_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        target varchar(20) NOT NULL CHECK (target IN ('FIRST_RESPONSE', 'RESOLUTION')),
        status varchar(10) NOT NULL CHECK (status IN ('AT_RISK', 'BREACHED')),
        occurred_at timestamptz(3) NOT NULL,
        UNIQUE (ticket_id, target, status)
      )`);
    // The every-minute monitor only looks at unfinished tickets with an SLA: usually a small part of the table.
    await q.query(
      'CREATE INDEX tickets_sla_open_idx ON tickets (resolution_due_at) WHERE resolved_at IS NULL AND sla_resolution_minutes IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX tickets_sla_open_idx');
    await q.query('DROP TABLE sla_events');
  }
}
