import type { DataSource } from 'typeorm';
import { loadMigrations, migrationDirs, recordingRunner, type MigrationEntry } from './migration-set';

/** Serialises migration runs across processes (any constant both sides agree on). */
export const MIGRATION_LOCK_KEY = 7_316_042_001;

export interface PublicMigrationStatus {
  name: string;
  applied: boolean;
  appliedAt?: Date;
}

/**
 * Migrations of the shared `public` schema, recorded in `public.schema_migrations`.
 * Each migration runs in its own transaction with its record, so a crash leaves
 * the database at a migration boundary and the next run resumes from there.
 */
export class PublicMigrator {
  constructor(
    private readonly dataSource: DataSource,
    private readonly migrations: MigrationEntry[] = loadMigrations(migrationDirs.public),
  ) {}

  private async ensureLedger(): Promise<void> {
    await this.dataSource.query(
      `CREATE TABLE IF NOT EXISTS public.schema_migrations (
         name varchar(255) PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  async status(): Promise<PublicMigrationStatus[]> {
    await this.ensureLedger();
    const rows: { name: string; applied_at: Date }[] = await this.dataSource.query(
      'SELECT name, applied_at FROM public.schema_migrations',
    );
    const applied = new Map(rows.map((r) => [r.name, r.applied_at]));
    return this.migrations.map((m) => ({ name: m.name, applied: applied.has(m.name), appliedAt: applied.get(m.name) }));
  }

  async pending(): Promise<MigrationEntry[]> {
    const status = await this.status();
    return this.migrations.filter((_, i) => !status[i].applied);
  }

  /** Applies pending migrations; returns the names applied. Holds a cluster-wide lock meanwhile. */
  async migrate(onApplied: (name: string) => void = () => undefined): Promise<string[]> {
    return this.withLock(async () => {
      const applied: string[] = [];
      for (const entry of await this.pending()) {
        await this.inTransaction(async (runner) => {
          await entry.migration.up(runner);
          await runner.query('INSERT INTO public.schema_migrations (name) VALUES ($1)', [entry.name]);
        });
        applied.push(entry.name);
        onApplied(entry.name);
      }
      return applied;
    });
  }

  /** Reverts the most recently applied migration; returns its name, or undefined when none is applied. */
  async revertLast(): Promise<string | undefined> {
    return this.withLock(async () => {
      const status = await this.status();
      const index = status.map((s) => s.applied).lastIndexOf(true);
      if (index < 0) return undefined;
      const entry = this.migrations[index];
      await this.inTransaction(async (runner) => {
        await entry.migration.down(runner);
        await runner.query('DELETE FROM public.schema_migrations WHERE name = $1', [entry.name]);
      });
      return entry.name;
    });
  }

  /** The SQL pending migrations would run, captured inside a transaction that is rolled back. */
  async pendingSql(): Promise<{ name: string; statements: string[] }[]> {
    const out: { name: string; statements: string[] }[] = [];
    const pending = await this.pending();
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      for (const entry of pending) {
        const statements: string[] = [];
        await entry.migration.up(recordingRunner(runner, (sql) => statements.push(sql.trim())));
        out.push({ name: entry.name, statements });
      }
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    return out;
  }

  private async inTransaction(work: (runner: import('typeorm').QueryRunner) => Promise<void>): Promise<void> {
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

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      return await work();
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await runner.release();
    }
  }
}
