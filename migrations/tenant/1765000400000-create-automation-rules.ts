import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ticket automation (src/modules/automation): the organization's rules in order, and every evaluation of one on a
 * ticket. A time-based run names the moment it counted from (`anchor_at`): unique per rule and ticket, so each
 * "N hours after …" fires once per anchor whatever the sweeps.
 */
export class CreateAutomationRules1765000400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE automation_rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        position integer NOT NULL,
        active boolean NOT NULL DEFAULT true,
        trigger_type varchar(20) NOT NULL,
        trigger jsonb NOT NULL,
        match varchar(3) NOT NULL CHECK (match IN ('ALL', 'ANY')),
        conditions jsonb NOT NULL DEFAULT '[]',
        actions jsonb NOT NULL DEFAULT '[]',
        round_robin_last_user_id uuid,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      'CREATE INDEX automation_rules_trigger_idx ON automation_rules (trigger_type, position) WHERE active',
    );
    await q.query(`
      CREATE TABLE automation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- The order runs were recorded in (rules of a chain one after the other).
        seq bigserial NOT NULL,
        rule_id uuid REFERENCES automation_rules (id) ON DELETE SET NULL,
        rule_name varchar(200) NOT NULL,
        ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        trigger_type varchar(20) NOT NULL,
        matched boolean NOT NULL,
        actions jsonb NOT NULL DEFAULT '[]',
        error text,
        anchor_at timestamptz(3),
        at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX automation_runs_ticket_idx ON automation_runs (ticket_id, seq)');
    await q.query(
      'CREATE UNIQUE INDEX automation_runs_anchor_idx ON automation_runs (rule_id, ticket_id, anchor_at) WHERE anchor_at IS NOT NULL',
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE automation_runs');
    await q.query('DROP TABLE automation_rules');
  }
}
