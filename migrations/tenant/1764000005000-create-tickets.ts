import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Helpdesk tickets, their conversation and status history (tenant schema, unqualified names). */
export class CreateTickets1764000005000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    // Ticket numbers are per tenant (each schema has its own sequence); gaps after a rollback are fine.
    await q.query('CREATE SEQUENCE ticket_number_seq START WITH 1001');
    await q.query(`
      CREATE TABLE tickets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        number integer NOT NULL DEFAULT nextval('ticket_number_seq') UNIQUE,
        subject varchar(300) NOT NULL,
        description text NOT NULL DEFAULT '',
        status varchar(10) NOT NULL DEFAULT 'NEW' CHECK (status IN ('NEW', 'OPEN', 'PENDING', 'RESOLVED', 'CLOSED')),
        priority varchar(10) NOT NULL DEFAULT 'NORMAL' CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        channel varchar(10) NOT NULL DEFAULT 'API' CHECK (channel IN ('API', 'EMAIL', 'WHATSAPP')),
        customer_id uuid REFERENCES customers (id) ON DELETE SET NULL,
        assignee_id uuid,
        tags text[] NOT NULL DEFAULT '{}',
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('ALTER SEQUENCE ticket_number_seq OWNED BY tickets.number');
    await q.query('CREATE INDEX tickets_created_at_id_idx ON tickets (created_at, id)');
    await q.query('CREATE INDEX tickets_status_idx ON tickets (status, created_at, id)');
    await q.query('CREATE INDEX tickets_assignee_idx ON tickets (assignee_id, created_at, id)');
    await q.query('CREATE INDEX tickets_customer_idx ON tickets (customer_id, created_at, id)');
    await q.query(`
      CREATE TABLE ticket_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        body text NOT NULL,
        internal boolean NOT NULL DEFAULT false,
        author_user_id uuid,
        -- clock_timestamp, not now(): several rows of one transaction still sort in the order written.
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX ticket_messages_ticket_idx ON ticket_messages (ticket_id, created_at, id)');
    await q.query(`
      CREATE TABLE ticket_status_changes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        from_status varchar(10),
        to_status varchar(10) NOT NULL,
        changed_by_user_id uuid,
        changed_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX ticket_status_changes_ticket_idx ON ticket_status_changes (ticket_id, changed_at, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ticket_status_changes');
    await q.query('DROP TABLE ticket_messages');
    await q.query('DROP TABLE tickets');
  }
}
