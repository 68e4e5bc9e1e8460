import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addColumnWithDefault } from '../../src/core/database/add-column-with-default';

const MONDAY_TO_FRIDAY_9_TO_5 = JSON.stringify(
  ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'].map((day) => ({ day, opens: '09:00', closes: '17:00' })),
);

/**
 * Business hours (weekly openings in the tenant's time zone) for business-hours SLAs, and on each
 * ticket the instant each target becomes AT_RISK, so the status is one comparison for both kinds of SLA.
 */
export class AddBusinessHours1764000005050 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await addColumnWithDefault(q, 'business_settings', 'business_hours', {
      type: 'jsonb',
      default: `'${MONDAY_TO_FRIDAY_9_TO_5}'::jsonb`,
      notNull: true,
    });
    await addColumnWithDefault(q, 'tickets', 'sla_business_hours_only', {
      type: 'boolean',
      default: 'false',
      notNull: true,
    });
    await q.query(`
      ALTER TABLE tickets
        ADD COLUMN first_response_at_risk_at timestamptz(3),
        ADD COLUMN resolution_at_risk_at timestamptz(3)`);
    // Wall-clock tickets so far: AT_RISK once a fifth of the target is left (12 seconds a minute), as the status was
    // computed.
    await q.query(`
      UPDATE tickets SET
        first_response_at_risk_at = first_response_due_at - make_interval(secs => sla_first_response_minutes * 12),
        resolution_at_risk_at = resolution_due_at - make_interval(secs => sla_resolution_minutes * 12)
      WHERE sla_resolution_minutes IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE tickets DROP COLUMN sla_business_hours_only, DROP COLUMN first_response_at_risk_at, DROP COLUMN resolution_at_risk_at',
    );
    await q.query('ALTER TABLE business_settings DROP COLUMN business_hours');
  }
}
