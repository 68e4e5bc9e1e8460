import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The WhatsApp inbound events join the shared outbox primitive (src/core/outbox), which works any table with the
 * conventional columns: status (PENDING → SENDING while claimed → SENT once applied, or FAILED, the dead letter)
 * and updated_at. `processed_at` stays: it says when an event was applied.
 */
export class AddWhatsAppInboundStatus1765000100000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE public.whatsapp_inbound
        ADD COLUMN status varchar(10) NOT NULL DEFAULT 'PENDING'
          CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
        ADD COLUMN updated_at timestamptz(3) NOT NULL DEFAULT now()`);
    await q.query(`UPDATE public.whatsapp_inbound SET status = 'SENT' WHERE processed_at IS NOT NULL`);
    await q.query('DROP INDEX public.whatsapp_inbound_due_idx');
    await q.query(
      `CREATE INDEX whatsapp_inbound_due_idx ON public.whatsapp_inbound (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX public.whatsapp_inbound_due_idx');
    await q.query(
      'CREATE INDEX whatsapp_inbound_due_idx ON public.whatsapp_inbound (next_attempt_at) WHERE processed_at IS NULL',
    );
    await q.query('ALTER TABLE public.whatsapp_inbound DROP COLUMN updated_at, DROP COLUMN status');
  }
}
