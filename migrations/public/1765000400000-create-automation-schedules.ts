import type { MigrationInterface, QueryRunner } from 'typeorm';
import { seedPlanCatalog } from '../../src/modules/plans/plan-defaults';

/**
 * The organizations that have active time-based automation rules (kept by the automation module when rules change):
 * the sweep job visits only these. Also adds the plan rows automation brings (the automation_rules feature and
 * limit) to installations whose catalogue was seeded before.
 */
export class CreateAutomationSchedules1765000400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE public.automation_schedules (
        tenant_id uuid PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
        next_due_at timestamptz(3) NOT NULL
      )`);
    await seedPlanCatalog(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE public.automation_schedules');
  }
}
