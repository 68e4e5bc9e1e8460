import type { DataSource } from 'typeorm';
import type { JobDefinition } from '../core/jobs/job-definition';
import type { AuditService } from '../modules/audit';

export const AUDIT_RETENTION_JOB = 'audit.retention';

/** Rows deleted per transaction: short locks and bounded WAL even after a long pause. */
const BATCH_SIZE = 5_000;

export interface AuditRetentionDependencies {
  dataSource: DataSource;
  audit: Pick<AuditService, 'prune'>;
  config: { auditRetentionDays: number };
}

/** Daily: deletes domain events older than AUDIT_RETENTION_DAYS (the audit log's retention), batch by batch. */
export function auditRetentionJob(deps: AuditRetentionDependencies): JobDefinition {
  return {
    name: AUDIT_RETENTION_JOB,
    every: '40 2 * * *',
    concurrency: 1,
    async run(_data, context) {
      const deleted = await deps.audit.prune(deps.dataSource, deps.config.auditRetentionDays, BATCH_SIZE);
      if (deleted) context.logger.info({ deleted, retentionDays: deps.config.auditRetentionDays }, 'audit log pruned');
    },
  };
}
