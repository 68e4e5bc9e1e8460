import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { PostgresBackend } from '@agendajs/postgres-backend';
import { Agenda, type AgendaBackend, type Job, type JobState as AgendaJobState, type JobWithState } from 'agenda';
import { Pool } from 'pg';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/config';
import { withTimeout } from '../observability/deadline';
import type { JobsState } from '../http/health';
import { metrics } from '../observability/metrics';
import type { JobDefinition, JobQueue } from './job-definition';
import { JobRunSummary } from './job-run-summary';

/** What an operator sees of a job row (`celery inspect`-like). */
export type JobState = 'SCHEDULED' | 'RUNNING' | 'FAILED' | 'COMPLETED' | 'DISABLED';

export interface JobSnapshot {
  id: string;
  name: string;
  state: JobState;
  nextRunAt: Date | null;
  lastRunAt: Date | null;
  lastFinishedAt: Date | null;
  failCount: number;
  failReason: string | null;
  repeatInterval: string | null;
}

export interface JobListFilter {
  state?: JobState;
  name?: string;
  first: number;
}

export interface JobRunnerOptions {
  config: Pick<AppConfig, 'mongodbUrl' | 'shutdownGraceMs'>;
  /** The application's PostgreSQL, where the jobs live unless `config.mongodbUrl` is set. */
  databaseUrl: string;
}

export interface JobRunnerStartOptions {
  definitions: readonly JobDefinition[];
  logger: Logger;
  /** Poll interval for due jobs in ms (default 5 s); on PostgreSQL, NOTIFY wakes workers sooner. */
  processEvery?: number;
  /** How often the info-level summary of job runs is logged (default 10 minutes). */
  summaryEveryMs?: number;
}

const SUMMARY_EVERY_MS = 10 * 60_000;

/** Polling, saves and the LISTEN connection (held for good) of one process. */
const POSTGRES_POOL_MAX = 4;

const STATE_OF: Record<AgendaJobState, JobState> = {
  running: 'RUNNING',
  failed: 'FAILED',
  completed: 'COMPLETED',
  scheduled: 'SCHEDULED',
  queued: 'SCHEDULED',
  repeating: 'SCHEDULED',
  paused: 'DISABLED',
};

export interface JobBackend {
  backend: AgendaBackend;
  /** Closes the connections the backend was given (Agenda is told not to). */
  close(): Promise<void>;
}

/** PostgreSQL (the application's database) by default; MongoDB when MONGODB_URL is set. */
export function createJobBackend(
  { config, databaseUrl }: JobRunnerOptions,
  onConnectionError: (error: Error) => void,
): JobBackend {
  if (config.mongodbUrl) {
    // Loaded only here: the MongoDB driver is not needed by PostgreSQL deployments.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MongoBackend } = require('@agendajs/mongo-backend') as typeof import('@agendajs/mongo-backend');
    const backend = new MongoBackend({ address: config.mongodbUrl });
    return { backend, close: () => backend.disconnect() };
  }
  // Agenda's SQL names its tables unqualified; they live in `public` whatever the role's search_path.
  const pool = new Pool({
    connectionString: databaseUrl,
    max: POSTGRES_POOL_MAX,
    application_name: 'tenantql-jobs',
    options: '-c search_path=public',
  });
  // The tables come from a migration: concurrent ensureSchema runs can crash a process.
  const backend = new PostgresBackend({ pool, ensureSchema: false });
  // A connection the server drops (restart, failover) is replaced (the pool's; LISTEN reconnects on its
  // own); both report it as an 'error' event, which would crash the process if nobody listened.
  pool.on('error', onConnectionError);
  backend.notificationChannel?.on('error', onConnectionError);
  return { backend, close: () => pool.end() };
}

function toSnapshot(job: JobWithState): JobSnapshot {
  return {
    id: String(job._id),
    name: job.name,
    state: job.disabled ? 'DISABLED' : STATE_OF[job.state],
    nextRunAt: job.nextRunAt ?? null,
    lastRunAt: job.lastRunAt ?? null,
    lastFinishedAt: job.lastFinishedAt ?? null,
    failCount: job.failCount ?? 0,
    failReason: job.failReason ?? null,
    repeatInterval: job.repeatInterval != null ? String(job.repeatInterval) : null,
  };
}

/**
 * The process's side of Agenda: the queue services enqueue on (always available), the
 * processor that runs `JobDefinition`s (only after `start()`: the API unless JOBS_ENABLED=false,
 * and every worker), and the reader behind the admin `jobs` query. It connects on first use.
 */
export class JobRunner implements JobQueue {
  /** Recorded on the rows this process locks (`last_modified_by`). */
  readonly processName = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private connection?: Promise<Agenda>;
  private backend?: JobBackend;
  private logger?: Logger;
  private summary?: JobRunSummary;
  private current: JobsState = 'disabled';

  constructor(private readonly options: JobRunnerOptions) {}

  /** For /health: 'disabled' until started (this process does not run jobs), 'stopped' from `stop()` on. */
  state(): JobsState {
    return this.current;
  }

  /** Registers the definitions, declares the repeating ones and starts taking jobs. */
  async start({ definitions, logger, processEvery, summaryEveryMs }: JobRunnerStartOptions): Promise<void> {
    if (this.current !== 'disabled') throw new Error(`The job runner cannot start: it is ${this.current}`);
    const agenda = await this.connect();
    this.logger = logger;
    this.summary = new JobRunSummary(logger, summaryEveryMs ?? SUMMARY_EVERY_MS);
    if (processEvery) agenda.processEvery(processEvery);
    agenda.on('error', (error) => logger.error({ err: error }, 'job scheduler error'));
    for (const definition of definitions) {
      metrics.jobTenantFailures.inc({ name: definition.name }, 0); // the series alerts compare against exist at zero
      metrics.jobTenantsSkipped.inc({ name: definition.name }, 0);
      const concurrency = definition.concurrency ?? agenda.attrs.defaultConcurrency;
      // Locking no more than it can run leaves the rest to other workers and little to release on stop.
      agenda.define(definition.name, (job: Job) => this.run(definition, job, logger), {
        concurrency,
        lockLimit: concurrency,
        lockLifetime: definition.lockLifetimeMs,
      });
    }
    // Every process declares the same schedules: every() upserts one row per job name.
    for (const definition of definitions) {
      if (definition.every) await agenda.every(definition.every, definition.name);
    }
    await agenda.start();
    this.current = 'running';
    logger.info({ jobs: definitions.map((d) => d.name), backend: this.backend?.backend.name }, 'job runner started');
  }

  async enqueue(name: string, data: object, options: { runAt?: Date } = {}): Promise<void> {
    const agenda = await this.connect();
    if (options.runAt) await agenda.schedule(options.runAt, name, data);
    else await agenda.now(name, data);
  }

  /** Jobs of every process, soonest first. Agenda computes states in memory, so this reads every row. */
  async list({ state, name, first }: JobListFilter): Promise<JobSnapshot[]> {
    const agenda = await this.connect();
    const { jobs } = await agenda.queryJobs({ name, sort: { nextRunAt: 'asc', lastRunAt: 'desc' } });
    return jobs
      .map(toSnapshot)
      .filter((job) => !state || job.state === state)
      .slice(0, first);
  }

  /**
   * Stops taking jobs, waits for the running ones (at most SHUTDOWN_GRACE_MS) so their results
   * are saved, releases jobs locked ahead of their run time, then closes the connection. A job
   * still running at the deadline keeps its lock until it expires; another worker retries it.
   */
  async stop(): Promise<void> {
    const wasRunning = this.current === 'running';
    if (wasRunning) this.current = 'stopped';
    const agenda = await this.connection?.catch(() => undefined);
    if (!agenda) return;
    try {
      if (!wasRunning) return;
      const result = await agenda.drain({ timeout: this.options.config.shutdownGraceMs, closeConnection: false });
      if (result.timedOut)
        this.logger?.warn({ running: result.running }, 'jobs still running at the shutdown deadline');
      else {
        await withTimeout(this.releaseLocks(agenda), this.options.config.shutdownGraceMs).catch((error) =>
          this.logger?.warn({ err: error }, 'could not release jobs locked ahead; their locks expire'),
        );
      }
    } finally {
      // A connection the server dropped may never answer: shutdown must not wait on it for good.
      await withTimeout(Promise.resolve(this.backend?.close()), this.options.config.shutdownGraceMs).catch((error) =>
        this.logger?.warn({ err: error }, 'job queue connections did not close in time'),
      );
      this.connection = undefined;
      this.summary?.close();
      this.summary = undefined;
    }
  }

  private async run(definition: JobDefinition, job: Job, logger: Logger): Promise<void> {
    const log = logger.child({ job: definition.name, jobId: String(job.attrs._id) });
    const started = Date.now();
    log.debug('job started');
    const finished = (outcome: 'success' | 'failure') => {
      metrics.jobs.inc({ name: definition.name, outcome });
      metrics.jobDuration.observe({ name: definition.name }, (Date.now() - started) / 1000);
      this.summary?.recordRun(definition.name, outcome);
      return Date.now() - started;
    };
    const reportTenantFailures = (count: number) => {
      metrics.jobTenantFailures.inc({ name: definition.name }, count);
      this.summary?.recordTenantFailures(definition.name, count);
    };
    try {
      const data = (job.attrs.data ?? {}) as Record<string, unknown>;
      await definition.run(data, { logger: log, touch: () => job.touch(), reportTenantFailures });
    } catch (error) {
      // Agenda records the failure on the row: fail_count, fail_reason, failed_at.
      log.error({ err: error, durationMs: finished('failure') }, 'job failed');
      throw error;
    }
    // Routine: the periodic summary reports runs at info level.
    log.debug({ durationMs: finished('success') }, 'job finished');
  }

  /** Rows this process locked ahead of their run time and will not run now: free them at once. */
  private async releaseLocks(agenda: Agenda): Promise<void> {
    const { jobs } = await agenda.queryJobs({ state: 'running' });
    const ours = jobs.filter((job) => job.lastModifiedBy === this.processName).map((job) => job._id);
    if (ours.length) await agenda.db.unlockJobs(ours);
  }

  private connect(): Promise<Agenda> {
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = undefined; // a later call tries again
      throw error;
    });
    return this.connection;
  }

  private async open(): Promise<Agenda> {
    const jobBackend = createJobBackend(this.options, (error) =>
      this.logger?.warn({ err: error }, 'job queue connection lost'),
    );
    const { backend } = jobBackend;
    // Agenda connects from its constructor, where a failure would be an unhandled rejection: keep it, throw it here.
    let connectError: unknown;
    const connect = backend.connect.bind(backend);
    backend.connect = () => connect().catch((error: unknown) => void (connectError = error));
    const agenda = new Agenda({ backend, name: this.processName });
    await agenda.ready;
    if (connectError) {
      await jobBackend.close().catch(() => undefined);
      throw connectError;
    }
    this.backend = jobBackend;
    return agenda;
  }
}
