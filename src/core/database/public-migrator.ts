import type { DataSource, QueryRunner } from 'typeorm';
import { loadMigrations, migrationDirs, recordingRunner, type MigrationEntry } from './migration-set';

/** Serialises migration runs across processes (any constant both sides agree on). */
export const MIGRATION_LOCK_KEY = 7_316_042_001;

/**
 * How long a `migrate:sql` preview may wait for a table lock before giving up instead of queueing live traffic behind
 * it.
 */
const PREVIEW_LOCK_TIMEOUT = '3s';

export interface PublicMigrationStatus {
  name: string;
  applied: boolean;
  appliedAt?: Date;
  /** Applied in the database but unknown to this code: the database is ahead of the code. */
  ahead?: boolean;
}

/** The statements one migration sends, as `migrate:sql` prints them. */
export interface MigrationSql {
  name: string;
  statements: string[];
}

/** A data source (any pooled connection) or one runner (its transaction). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Queryable = { query(sql: string, parameters?: unknown[]): Promise<any> };

/**
 * Runs `work` inside a transaction that is always rolled back: DDL is transactional in
 * PostgreSQL, so migrations can run for real and leave nothing behind. A short lock
 * timeout keeps a preview from waiting on (and so blocking requests behind) a busy table.
 */
export async function inRolledBackTransaction<T>(
  dataSource: DataSource,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`SELECT set_config('lock_timeout', $1, true)`, [PREVIEW_LOCK_TIMEOUT]);
    return await work(runner);
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }
}

/** Runs a migration's `up` on `runner` and returns what it sent (parameters, if any, as a trailing comment). */
export async function captureUp(entry: MigrationEntry, runner: QueryRunner): Promise<MigrationSql> {
  const statements: string[] = [];
  const recorder = recordingRunner(runner, (sql, parameters) => {
    const text = sql.trim().replace(/;$/, '');
    statements.push(parameters?.length ? `${text}; -- parameters: ${JSON.stringify(parameters)}` : `${text};`);
  });
  await entry.migration.up(recorder);
  return { name: entry.name, statements };
}

/**
 * Runs one direction of a migration; its error is prefixed with the migration's name, so a report says which step
 * broke.
 */
export async function runMigration(
  entry: MigrationEntry,
  direction: 'up' | 'down',
  runner: QueryRunner,
): Promise<void> {
  try {
    await entry.migration[direction](runner);
  } catch (error) {
    throw new Error(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/**
 * Migrations of the shared `public` schema, recorded in `public.schema_migrations`.
 * Each migration runs in its own transaction with its record, so a crash leaves
 * the database at a migration boundary and the next run resumes from there.
 * Reading (status, pending, SQL preview) never writes, not even the ledger table.
 */
export class PublicMigrator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly migrations: MigrationEntry[] = loadMigrations(migrationDirs.public),
  ) {}

  /** Known migrations in order, then applied ones this code does not know (flagged `ahead`). */
  async status(): Promise<PublicMigrationStatus[]> {
    const applied = await this.appliedAt(this.dataSource);
    const known = this.migrations.map((m) => ({
      name: m.name,
      applied: applied.has(m.name),
      appliedAt: applied.get(m.name),
    }));
    const ahead = [...applied]
      .filter(([name]) => !this.migrations.some((m) => m.name === name))
      .map(([name, appliedAt]) => ({ name, applied: true, appliedAt, ahead: true }));
    return [...known, ...ahead];
  }

  async pending(db: Queryable = this.dataSource): Promise<MigrationEntry[]> {
    const applied = await this.appliedAt(db);
    return this.migrations.filter((m) => !applied.has(m.name));
  }

  /**
   * Applies pending migrations; returns the names applied. Holds a database-wide advisory
   * lock meanwhile; `onLockWait` is called when another run holds it and this one waits.
   */
  async migrate(
    onApplied: (name: string) => void = () => undefined,
    onLockWait: () => void = () => undefined,
  ): Promise<string[]> {
    return this.withLock(onLockWait, async () => {
      await this.ensureLedger();
      const applied: string[] = [];
      for (const entry of await this.pending()) {
        await this.inTransaction(async (runner) => {
          await runMigration(entry, 'up', runner);
          await runner.query('INSERT INTO public.schema_migrations (name) VALUES ($1)', [entry.name]);
        });
        applied.push(entry.name);
        onApplied(entry.name);
      }
      return applied;
    });
  }

  /** Reverts the most recently applied known migration; returns its name, or undefined when none is applied. */
  async revertLast(onLockWait: () => void = () => undefined): Promise<string | undefined> {
    return this.withLock(onLockWait, async () => {
      const applied = await this.appliedAt(this.dataSource);
      const entry = this.migrations.filter((m) => applied.has(m.name)).pop();
      if (!entry) return undefined;
      await this.inTransaction(async (runner) => {
        await runMigration(entry, 'down', runner);
        await runner.query('DELETE FROM public.schema_migrations WHERE name = $1', [entry.name]);
      });
      return entry.name;
    });
  }

  /** The SQL pending migrations would run, captured inside a transaction that is rolled back. */
  pendingSql(): Promise<MigrationSql[]> {
    return inRolledBackTransaction(this.dataSource, (runner) => this.previewPending(runner));
  }

  /** Runs the pending migrations on `runner` (a transaction the caller rolls back) and returns their SQL. */
  async previewPending(runner: QueryRunner): Promise<MigrationSql[]> {
    const pending = await this.pending(runner);
    // The real run creates the ledger before any migration (one may refer to it); the rollback removes it here.
    if (pending.length) await this.ensureLedger(runner);
    const out: MigrationSql[] = [];
    for (const entry of pending) out.push(await captureUp(entry, runner));
    return out;
  }

  private async appliedAt(db: Queryable): Promise<Map<string, Date>> {
    const [{ exists }]: { exists: boolean }[] = await db.query(
      `SELECT to_regclass('public.schema_migrations') IS NOT NULL AS exists`,
    );
    if (!exists) return new Map();
    const rows: { name: string; applied_at: Date }[] = await db.query(
      'SELECT name, applied_at FROM public.schema_migrations ORDER BY applied_at, name',
    );
    return new Map(rows.map((r) => [r.name, r.applied_at]));
  }

  /**
   * Only called under the lock, or in a preview's rolled-back transaction: two first runs cannot race on creating it.
   */
  private async ensureLedger(db: Queryable = this.dataSource): Promise<void> {
    await db.query(
      `CREATE TABLE IF NOT EXISTS public.schema_migrations (
         name varchar(255) PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  private async inTransaction(work: (runner: QueryRunner) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await work(runner);
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async withLock<T>(onWait: () => void, work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }]: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        MIGRATION_LOCK_KEY,
      ]);
      if (!locked) {
        onWait();
        await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      }
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
  }
}
