import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The business profile (one row per tenant) and what onboarding records: hand-marked steps, completion, reminders sent.
 */
export class CreateSettingsAndOnboarding1764000002000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE business_settings (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        legal_name varchar(200),
        address varchar(500),
        phone varchar(40),
        timezone varchar(64) NOT NULL DEFAULT 'UTC',
        currency char(3) NOT NULL DEFAULT 'USD',
        locale varchar(35) NOT NULL DEFAULT 'en',
        logo_url varchar(2048),
        support_email varchar(320),
        profile_completed_at timestamptz(3),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('INSERT INTO business_settings DEFAULT VALUES');

    await q.query(`
      CREATE TABLE onboarding_marks (
        step_key varchar(50) PRIMARY KEY,
        marked_at timestamptz(3) NOT NULL DEFAULT now(),
        marked_by uuid
      )`);
    await q.query(`
      CREATE TABLE onboarding_state (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        initialized_at timestamptz(3) NOT NULL DEFAULT now(),
        completed_at timestamptz(3)
      )`);
    // One row per reminder (day 3, day 7): written with the outbox rows, so each goes out at most once.
    await q.query(`
      CREATE TABLE onboarding_reminders (
        day smallint PRIMARY KEY,
        sent_at timestamptz(3) NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE onboarding_reminders');
    await q.query('DROP TABLE onboarding_state');
    await q.query('DROP TABLE onboarding_marks');
    await q.query('DROP TABLE business_settings');
  }
}
