import type { Logger } from 'pino';

interface JobTally {
  runs: number;
  failures: number;
  /** Tenants the runs failed for (tenant fan-outs). */
  tenantFailures: number;
}

/**
 * Routine job runs are logged at debug level (a worker runs dozens a minute); this adds them up
 * and logs one info line per window: runs, failed runs and failed tenants per job.
 */
export class JobRunSummary {
  private tallies = new Map<string, JobTally>();
  private since = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly logger: Logger,
    everyMs: number,
  ) {
    this.timer = setInterval(() => this.flush(), everyMs);
    this.timer.unref();
  }

  recordRun(job: string, outcome: 'success' | 'failure'): void {
    const tally = this.tally(job);
    tally.runs++;
    if (outcome === 'failure') tally.failures++;
  }

  recordTenantFailures(job: string, count: number): void {
    this.tally(job).tenantFailures += count;
  }

  /** Logs the window (nothing when no job ran) and starts the next. */
  flush(): void {
    if (this.tallies.size) {
      const windowSeconds = Math.round((Date.now() - this.since) / 1000);
      this.logger.info({ windowSeconds, jobs: Object.fromEntries(this.tallies) }, 'job runs summary');
    }
    this.tallies = new Map();
    this.since = Date.now();
  }

  /** The last window is logged too (at shutdown). */
  close(): void {
    clearInterval(this.timer);
    this.flush();
  }

  private tally(job: string): JobTally {
    let tally = this.tallies.get(job);
    if (!tally) this.tallies.set(job, (tally = { runs: 0, failures: 0, tenantFailures: 0 }));
    return tally;
  }
}
