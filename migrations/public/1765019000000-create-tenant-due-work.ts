import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each sweep job next has work in each organization (src/core/jobs/tenant-due-work.ts): the SLA check, quote
 * expiry and mailbox poll visit only the organizations that are due. No backfill: an organization with no row for a
 * job counts as due now, so every existing (and every new) organization is visited once and gets its row then.
 */
export class CreateTenantDueWork1765019000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.tenant_due_work (
        tenant_id uuid NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
        job varchar(100) NOT NULL,
        due_at timestamptz(3) NOT NULL,
        PRIMARY KEY (tenant_id, job)
      )`);
    await q.query('CREATE INDEX tenant_due_work_due_idx ON public.tenant_due_work (job, due_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.tenant_due_work');
  }
}
