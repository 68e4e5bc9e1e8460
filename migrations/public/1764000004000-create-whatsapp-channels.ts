import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * WhatsApp Cloud API channels. One webhook serves every tenant, so what routes it lives in
 * `public`: the channel of each tenant (found by Meta's phone_number_id, or by the hash of
 * the verify token in the GET handshake; tokens sealed with ENCRYPTION_KEY), every verified
 * webhook event before it is applied to the tenant (so nothing verified is lost when applying
 * fails; the key dedupes redeliveries), and the replies waiting to be sent (an outbox whose
 * `next_attempt_at` is also the lease of a row being sent).
 */
export class CreateWhatsAppChannels1764000004000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.whatsapp_channels (
        tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
        phone_number_id varchar(40) NOT NULL,
        access_token text NOT NULL,
        app_secret text NOT NULL,
        verify_token_hash char(64) NOT NULL,
        last_error text,
        last_received_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT whatsapp_channels_phone_number_key UNIQUE (phone_number_id),
        CONSTRAINT whatsapp_channels_verify_token_key UNIQUE (verify_token_hash)
      )`);

    await q.query(`
      CREATE TABLE public.whatsapp_inbound (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        event_key varchar(300) NOT NULL,
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        payload jsonb NOT NULL,
        received_at timestamptz(3) NOT NULL DEFAULT now(),
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        processed_at timestamptz(3),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        CONSTRAINT whatsapp_inbound_event_key UNIQUE (event_key)
      )`);
    await q.query(
      'CREATE INDEX whatsapp_inbound_due_idx ON public.whatsapp_inbound (next_attempt_at) WHERE processed_at IS NULL',
    );

    await q.query(`
      CREATE TABLE public.whatsapp_outbox (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        ticket_message_id uuid NOT NULL,
        to_address varchar(40) NOT NULL,
        body text NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        last_error text,
        wamid varchar(200),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        CONSTRAINT whatsapp_outbox_message_key UNIQUE (tenant_id, ticket_message_id)
      )`);
    await q.query(
      `CREATE INDEX whatsapp_outbox_due_idx ON public.whatsapp_outbox (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.whatsapp_outbox');
    await q.query('DROP TABLE public.whatsapp_inbound');
    await q.query('DROP TABLE public.whatsapp_channels');
  }
}
