import type { Logger } from 'pino';

/**
 * What a module contributes to the job runner. Delivery is at-least-once (an
 * expired lock is taken again), so `run` must be idempotent.
 */
export interface JobDefinition<TData extends object = Record<string, unknown>> {
  /** Stable, dotted name, e.g. `email.outbox.deliver`. */
  name: string;
  /** Repeating jobs: an interval ('5 minutes') or a cron expression ('0 * * * *'). One-off jobs omit it. */
  every?: string;
  /** How many may run at once in one process (default 5); a process also locks no more than this many. */
  concurrency?: number;
  /**
   * A run that calls neither `touch()` nor finishes within this long is presumed dead and retried (default 10 minutes).
   */
  lockLifetimeMs?: number;
  run(data: TData, context: JobRunContext): Promise<void>;
}

export interface JobRunContext {
  logger: Logger;
  /** Long jobs call this to keep their lock while they work. */
  touch(): Promise<void>;
  /**
   * Jobs that work tenant by tenant report how many tenants this run failed for (metric and summary);
   * the job runner provides it, a CLI that reuses a job's code need not.
   */
  reportTenantFailures?(count: number): void;
}

/** What services use to ask for work to be done later (email delivery, retries). */
export interface JobQueue {
  enqueue(name: string, data: object, options?: { runAt?: Date }): Promise<void>;
}
