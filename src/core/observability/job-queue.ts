import type { Queryable } from '../database/public-migrator';

/**
 * Read-only views of the Agenda job table (@agendajs/postgres-backend's default
 * `agenda_jobs`, created by a public migration) for metrics and `npm run doctor`.
 * Both work before the table exists: `undefined` / empty means "no job table".
 */
export const JOB_TABLE = 'public.agenda_jobs';

export interface JobQueueLag {
  /** Due, enabled, unlocked jobs: work no worker has picked up yet. */
  due: number;
  /** Age of the oldest of them, 0 when none. */
  lagSeconds: number;
}

export interface RecurringJob {
  name: string;
  repeatInterval: string;
  nextRunAt: Date | null;
  lastFinishedAt: Date | null;
  failedAt: Date | null;
  failReason: string | null;
}

async function jobTableExists(db: Queryable): Promise<boolean> {
  const [{ present }]: { present: boolean }[] = await db.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    JOB_TABLE,
  ]);
  return present;
}

export async function readJobQueueLag(db: Queryable): Promise<JobQueueLag | undefined> {
  if (!(await jobTableExists(db))) return undefined;
  const [row]: { due: number; lag: number }[] = await db.query(
    `SELECT count(*)::int AS due, COALESCE(EXTRACT(EPOCH FROM now() - min(next_run_at)), 0)::float8 AS lag
       FROM ${JOB_TABLE}
      WHERE next_run_at <= now() AND locked_at IS NULL AND disabled IS NOT TRUE`,
  );
  return { due: row.due, lagSeconds: Math.max(0, row.lag) };
}

/** Repeating jobs (`every()`), one row per name however many processes declared them; undefined without a job table. */
export async function readRecurringJobs(db: Queryable): Promise<RecurringJob[] | undefined> {
  if (!(await jobTableExists(db))) return undefined;
  return db.query(
    `SELECT name, repeat_interval AS "repeatInterval", next_run_at AS "nextRunAt", last_finished_at AS "lastFinishedAt",
            failed_at AS "failedAt", fail_reason AS "failReason"
       FROM ${JOB_TABLE}
      WHERE repeat_interval IS NOT NULL AND disabled IS NOT TRUE
      ORDER BY name`,
  );
}
