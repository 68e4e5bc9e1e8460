import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log (src/modules/audit) reads public.domain_events: nobody may rewrite or delete its history,
 * whatever bug or SQL console is at hand. Only a transaction that says it prunes (the retention job sets
 * `tenantql.audit_prune` transaction-locally) gets a DELETE through; UPDATE and TRUNCATE never do.
 */
export class MakeDomainEventsAppendOnly1765000200000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION public.refuse_domain_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('tenantql.audit_prune', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'public.domain_events is append-only (% refused)', TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Old events are pruned by the audit.retention job (AUDIT_RETENTION_DAYS).';
      END $$`);
    await q.query(`
      CREATE TRIGGER domain_events_append_only BEFORE UPDATE OR DELETE ON public.domain_events
        FOR EACH ROW EXECUTE FUNCTION public.refuse_domain_event_change()`);
    await q.query(`
      CREATE TRIGGER domain_events_no_truncate BEFORE TRUNCATE ON public.domain_events
        FOR EACH STATEMENT EXECUTE FUNCTION public.refuse_domain_event_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER domain_events_no_truncate ON public.domain_events');
    await q.query('DROP TRIGGER domain_events_append_only ON public.domain_events');
    await q.query('DROP FUNCTION public.refuse_domain_event_change()');
  }
}
