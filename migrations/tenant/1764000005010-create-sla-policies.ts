import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SLA policies (one per priority) and the SLA clock of each ticket. */
export class CreateSlaPolicies1764000005010 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sla_policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        priority varchar(10) NOT NULL UNIQUE CHECK (priority IN ('LOW', 'NORMAL', 'HIGH', 'URGENT')),
        first_response_minutes integer NOT NULL CHECK (first_response_minutes > 0),
        resolution_minutes integer NOT NULL CHECK (resolution_minutes > 0),
        business_hours_only boolean NOT NULL DEFAULT false,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // The targets are copied onto the ticket when it opens: editing a policy later does not move its deadlines.
    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN sla_first_response_minutes integer,
        ADD COLUMN sla_resolution_minutes integer,
        ADD COLUMN first_response_due_at timestamptz(3),
        ADD COLUMN resolution_due_at timestamptz(3),
        ADD COLUMN first_responded_at timestamptz(3),
        ADD COLUMN resolved_at timestamptz(3),
        ADD COLUMN sla_paused_at timestamptz(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tickets
        DROP COLUMN sla_first_response_minutes, DROP COLUMN sla_resolution_minutes, DROP COLUMN first_response_due_at,
        DROP COLUMN resolution_due_at, DROP COLUMN first_responded_at, DROP COLUMN resolved_at, DROP COLUMN sla_paused_at`);
    await q.query('DROP TABLE sla_policies');
  }
}
