import type { MigrationInterface, QueryRunner } from 'typeorm';
import { DEFAULT_REQUESTS_PER_MINUTE } from '../../src/modules/plans/plan-defaults';

/**
 * The request rate limit of API keys follows the plan (`requests_per_minute`, one row per plan in
 * `public.plan_limits`, null = not limited). Adds the defaults where missing; tuned rows are kept.
 */
export class SeedRequestsPerMinute1765018000100 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const plans = Object.keys(DEFAULT_REQUESTS_PER_MINUTE);
    await q.query(
      `INSERT INTO public.plan_limits (plan, metric, limit_value)
       SELECT p.code, 'requests_per_minute', d.value
         FROM unnest($1::varchar[], $2::int[]) AS d(plan, value) JOIN public.plans p ON p.code = d.plan
       ON CONFLICT (plan, metric) DO NOTHING`,
      [plans, plans.map((plan) => DEFAULT_REQUESTS_PER_MINUTE[plan as keyof typeof DEFAULT_REQUESTS_PER_MINUTE])],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM public.plan_limits WHERE metric = 'requests_per_minute'`);
  }
}
