import type { JobListFilter, JobSnapshot } from '../../core/jobs/job-runner';
import { BadUserInputError } from '../../core/errors/app-error';

export const JOBS_PAGE_DEFAULT = 50;
export const JOBS_PAGE_MAX = 500;

/** What the admin view reads jobs from: the process's job runner. */
export interface JobInspector {
  list(filter: JobListFilter): Promise<JobSnapshot[]>;
}

/** Platform-level inspection of the job queue (every process's jobs, not only this one's). */
export class JobService {
  constructor(private readonly inspector: JobInspector) {}

  list(filter: Omit<JobListFilter, 'first'> & { first?: number }): Promise<JobSnapshot[]> {
    const first = filter.first ?? JOBS_PAGE_DEFAULT;
    if (!Number.isInteger(first) || first < 1 || first > JOBS_PAGE_MAX) {
      throw new BadUserInputError(`first must be between 1 and ${JOBS_PAGE_MAX}`, {
        field: 'first',
        reason: 'INVALID_PAGE_SIZE',
      });
    }
    return this.inspector.list({ ...filter, first });
  }
}
