import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedPlanCatalog } from '../../src/modules/plans/plan-defaults';

/**
 * Partner webhooks (src/modules/webhooks). Endpoints per organization (the signing secret sealed with
 * ENCRYPTION_KEY); deliveries are rows of the shared outbox (status, attempts, next_attempt_at as the lease while
 * SENDING), one per event and endpoint (a replay is a new row pointing at the one it repeats).
 *
 * The dispatcher turns committed domain events into deliveries. NOTIFY is its fast path; the catch-up scan is what
 * guarantees nothing is lost, and it reads by transaction id: an event whose transaction id is below the snapshot's
 * xmin belongs to a finished transaction, and every transaction still to commit has a larger id. So the cursor
 * (the last (tx_id, id) handled) never passes an event that commits later, which an id cursor would (ids are taken
 * at insert, not in commit order). The cursor starts now: events before webhooks existed are not sent.
 */
export class CreateWebhooks1765000100100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE public.domain_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id()');
    await q.query('CREATE INDEX domain_events_tx_idx ON public.domain_events (tx_id, id)');
    await q.query(`
      CREATE TABLE public.webhook_endpoints (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        url varchar(2000) NOT NULL,
        events text[] NOT NULL,
        description varchar(500) NOT NULL DEFAULT '',
        secret text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        consecutive_failures integer NOT NULL DEFAULT 0,
        failing_since timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX webhook_endpoints_tenant_idx ON public.webhook_endpoints (tenant_id, created_at, id)');
    await q.query(`
      CREATE TABLE public.webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES public.webhook_endpoints (id) ON DELETE CASCADE,
        event_id varchar(64) NOT NULL,
        event_type varchar(64) NOT NULL,
        body text NOT NULL,
        replay_of uuid REFERENCES public.webhook_deliveries (id) ON DELETE SET NULL,
        status varchar(10) NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz(3) NOT NULL DEFAULT now(),
        last_error text,
        response_status integer,
        latency_ms integer,
        delivered_at timestamptz(3),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // One delivery per event and endpoint, whoever dispatches it (listener and catch-up may both see it).
    await q.query(
      'CREATE UNIQUE INDEX webhook_deliveries_event_key ON public.webhook_deliveries (endpoint_id, event_id) WHERE replay_of IS NULL',
    );
    await q.query(
      'CREATE INDEX webhook_deliveries_endpoint_idx ON public.webhook_deliveries (endpoint_id, created_at DESC, id DESC)',
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON public.webhook_deliveries (next_attempt_at) WHERE status IN ('PENDING', 'SENDING')`,
    );
    await q.query(`
      CREATE TABLE public.webhook_dispatch_cursor (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        tx_id xid8 NOT NULL,
        event_id bigint NOT NULL,
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(
      `INSERT INTO public.webhook_dispatch_cursor (tx_id, event_id) VALUES (pg_snapshot_xmin(pg_current_snapshot()), 0)`,
    );
    await seedPlanCatalog(q); // adds the `webhooks` feature to each plan, keeping what operators changed
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM public.plan_features WHERE feature = 'webhooks'`);
    await q.query('DROP TABLE public.webhook_dispatch_cursor');
    await q.query('DROP TABLE public.webhook_deliveries');
    await q.query('DROP TABLE public.webhook_endpoints');
    await q.query('ALTER TABLE public.domain_events DROP COLUMN tx_id');
  }
}
