import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Domain events (src/core/events), written in the transaction of the change that causes them:
 * a rolled-back change leaves no event. The tenant and actor default to the transaction-local
 * settings the tenant scope sets when it opens (`tenantql.tenant_id`, `tenantql.actor`), so a
 * service records an event with one INSERT and no plumbing. NOTIFY on commit wakes subscribers
 * and the webhook dispatcher; the row is the source of truth (replay, audit log).
 */
export class CreateDomainEvents1765000000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.domain_events (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL DEFAULT nullif(current_setting('tenantql.tenant_id', true), '')::uuid,
        type varchar(64) NOT NULL,
        version smallint NOT NULL DEFAULT 1,
        actor varchar(120) NOT NULL DEFAULT coalesce(nullif(current_setting('tenantql.actor', true), ''), 'system'),
        entity_type varchar(40) NOT NULL,
        entity_id varchar(64) NOT NULL,
        payload jsonb NOT NULL DEFAULT '{}',
        changes jsonb,
        occurred_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX domain_events_tenant_idx ON public.domain_events (tenant_id, id)');
    await q.query(
      'CREATE INDEX domain_events_entity_idx ON public.domain_events (tenant_id, entity_type, entity_id, id)',
    );
    await q.query('CREATE INDEX domain_events_occurred_idx ON public.domain_events (occurred_at)');
    await q.query(`
      CREATE FUNCTION public.announce_domain_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tenantql_events',
          json_build_object('id', NEW.id, 'tenantId', NEW.tenant_id, 'type', NEW.type)::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER domain_events_announced AFTER INSERT ON public.domain_events
        FOR EACH ROW EXECUTE FUNCTION public.announce_domain_event()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.domain_events');
    await q.query('DROP FUNCTION public.announce_domain_event()');
  }
}
