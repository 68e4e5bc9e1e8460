import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The plan feature `mcp_access` (AI agents over MCP, src/modules/mcp) for installations whose catalogue was seeded
 * before it existed: on from PROFESSIONAL up, as new installations get it. Rows an operator already set are kept.
 */
export class AddMcpAccessFeature1765015000000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO public.plan_features (plan, feature, enabled)
      SELECT p.code, 'mcp_access', p.rank >= (SELECT rank FROM public.plans WHERE code = 'PROFESSIONAL')
        FROM public.plans p
      ON CONFLICT (plan, feature) DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM public.plan_features WHERE feature = 'mcp_access'`);
  }
}
