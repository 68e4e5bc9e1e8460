import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The organization's support mailbox (at most one: id is always 1). The password is sealed
 * (AES-256-GCM, SecretBox); uid_validity/last_uid are the IMAP watermark of the polled folder.
 */
export class CreateEmailChannel1764000005060 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE email_channels (
        id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        imap_host varchar(253) NOT NULL,
        imap_port integer NOT NULL CHECK (imap_port BETWEEN 1 AND 65535),
        secure boolean NOT NULL,
        username varchar(320) NOT NULL,
        password_sealed text NOT NULL,
        folder varchar(200) NOT NULL,
        email_address varchar(320) NOT NULL,
        poll_enabled boolean NOT NULL,
        reading_since timestamptz(3) NOT NULL,
        uid_validity bigint,
        last_uid bigint NOT NULL DEFAULT 0,
        last_polled_at timestamptz(3),
        last_error text,
        last_error_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE email_channels');
  }
}
