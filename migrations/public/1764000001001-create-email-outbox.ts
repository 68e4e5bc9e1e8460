import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transactional outbox for email: rows are written with the event that causes
 * them and delivered by a job. While a row is SENDING, `next_attempt_at` is its
 * lease: a worker that died mid-send leaves a row that becomes due again.
 */
export class CreateEmailOutbox1764000001001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.email_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        idempotency_key varchar(200) NOT NULL,
        to_address varchar(320) NOT NULL,
        subject varchar(300) NOT NULL,
        html text NOT NULL,
        text text NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        last_error text,
        sent_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT email_outbox_idempotency_key UNIQUE (idempotency_key)
      )`);
    await q.query(
      `CREATE INDEX email_outbox_due_idx ON public.email_outbox (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.email_outbox');
  }
}
