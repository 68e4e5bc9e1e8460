import type { DataSource, QueryRunner } from 'typeorm';
import { loadMigrations, migrationDirs, recordingRunner, type MigrationEntry } from '../../core/database/migration-set';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { mapWithConcurrency } from '../../core/concurrency';

/** Statuses whose schema exists and must follow the code's migrations. */
const MIGRATABLE_STATUSES = ['ACTIVE', 'SUSPENDED', 'ARCHIVED'];
/** Scratch schema used by `migrate:sql`; matches the tenant schema pattern, never committed. */
const PREVIEW_SCHEMA = 'tenant_sqlpreview00000000';

export interface TenantTarget {
  id: string;
  slug: string;
  schemaName: string;
  schemaVersion: string | null;
}

export interface TenantRunResult {
  tenant: TenantTarget;
  changed: string[];
  error?: string;
}

export interface TenantRunSummary {
  total: number;
  changed: number;
  unchanged: number;
  failed: TenantRunResult[];
  durationMs: number;
}

export interface TenantRunOptions {
  concurrency?: number;
  /** Limit the run to one tenant (id or slug). */
  tenant?: string;
  onStart?: (total: number) => void;
  onResult?: (result: TenantRunResult) => void;
}

export interface TenantMigrationStatus {
  tenant: TenantTarget;
  status: string;
  applied: string[];
  pending: string[];
  /** Applied names this code does not know: the schema is ahead of the code. */
  unknown: string[];
  error: string | null;
}

/**
 * Applies the tenant migrations (`migrations/tenant`) to every tenant schema. One
 * transaction per tenant (DDL, ledger rows and `tenants.schema_version` together),
 * so a crash leaves each tenant either migrated or untouched and a rerun resumes.
 * `schema_version` holds the newest applied migration: finding the tenants that are
 * behind is one indexed query, whatever the number of tenants.
 */
export class TenantMigrator {
  constructor(
    private readonly dataSource: DataSource,
    readonly migrations: MigrationEntry[] = loadMigrations(migrationDirs.tenant),
  ) {}

  get latestVersion(): string | null {
    return this.migrations.length ? this.migrations[this.migrations.length - 1].name : null;
  }

  /**
   * Brings the schema the runner's transaction points at up to date: runs what the
   * ledger lacks and records it. Used by provisioning and by `migrateTenant`.
   */
  async applyPending(runner: QueryRunner, tenantId: string): Promise<string[]> {
    const applied = await this.appliedNames(runner, tenantId);
    const unknown = [...applied].filter((name) => !this.migrations.some((m) => m.name === name));
    if (unknown.length) throw new Error(`schema is ahead of this code (knows nothing of ${unknown.join(', ')})`);
    const changed: string[] = [];
    for (const entry of this.migrations) {
      if (applied.has(entry.name)) continue;
      await entry.migration.up(runner);
      await runner.query('INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, $2)', [tenantId, entry.name]);
      changed.push(entry.name);
    }
    await runner.query(
      'UPDATE public.tenants SET schema_version = $2, migration_error = NULL, updated_at = now() WHERE id = $1',
      [tenantId, this.latestVersion],
    );
    return changed;
  }

  /** Tenants whose recorded version is not the latest: the whole no-op check is this one query. */
  async tenantsBehind(only?: string): Promise<TenantTarget[]> {
    return this.targets('schema_version IS DISTINCT FROM $1', [this.latestVersion], only);
  }

  async migrateAll(options: TenantRunOptions = {}): Promise<TenantRunSummary> {
    return this.run(await this.tenantsBehind(options.tenant), options, (tenant) => this.migrateTenant(tenant));
  }

  async migrateTenant(tenant: TenantTarget): Promise<string[]> {
    return this.inTenantTransaction(tenant, (runner) => this.applyPending(runner, tenant.id));
  }

  /** Reverts the newest applied migration of each tenant (or of one). */
  async revertLast(options: TenantRunOptions = {}): Promise<TenantRunSummary> {
    const tenants = await this.targets('schema_version IS NOT NULL', [], options.tenant);
    return this.run(tenants, options, (tenant) =>
      this.inTenantTransaction(tenant, async (runner) => {
        const applied = await this.appliedNames(runner, tenant.id);
        const index = this.migrations.map((m) => applied.has(m.name)).lastIndexOf(true);
        if (index < 0) return [];
        const entry = this.migrations[index];
        await entry.migration.down(runner);
        await runner.query('DELETE FROM public.tenant_migrations WHERE tenant_id = $1 AND name = $2', [tenant.id, entry.name]);
        const previous = this.migrations
          .slice(0, index)
          .filter((m) => applied.has(m.name))
          .pop();
        await runner.query('UPDATE public.tenants SET schema_version = $2, updated_at = now() WHERE id = $1', [
          tenant.id,
          previous?.name ?? null,
        ]);
        return [entry.name];
      }),
    );
  }

  async status(only?: string): Promise<TenantMigrationStatus[]> {
    const rows: (TenantTarget & { status: string; migrationError: string | null; applied: string[] | null })[] =
      await this.dataSource.query(
        `SELECT t.id, t.slug, t.schema_name AS "schemaName", t.schema_version AS "schemaVersion", t.status,
                t.migration_error AS "migrationError",
                array_agg(m.name) FILTER (WHERE m.name IS NOT NULL) AS applied
           FROM public.tenants t LEFT JOIN public.tenant_migrations m ON m.tenant_id = t.id
          WHERE ($1::text IS NULL OR t.id::text = $1 OR t.slug = $1)
          GROUP BY t.id ORDER BY t.created_at`,
        [only ?? null],
      );
    return rows.map(({ status, migrationError, applied, ...tenant }) => {
      const names = new Set(applied ?? []);
      return {
        tenant,
        status,
        applied: this.migrations.filter((m) => names.has(m.name)).map((m) => m.name),
        pending: this.migrations.filter((m) => !names.has(m.name)).map((m) => m.name),
        unknown: [...names].filter((n) => !this.migrations.some((m) => m.name === n)),
        error: migrationError,
      };
    });
  }

  /**
   * The SQL of every migration some tenant still lacks, captured by running them on a
   * scratch schema inside a transaction that is always rolled back.
   */
  async pendingSql(): Promise<{ name: string; statements: string[] }[]> {
    const behind = await this.status();
    const needed = new Set(behind.filter((s) => MIGRATABLE_STATUSES.includes(s.status)).flatMap((s) => s.pending));
    const out: { name: string; statements: string[] }[] = [];
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(`CREATE SCHEMA "${PREVIEW_SCHEMA}"`);
      await runner.query(`SELECT set_config('search_path', $1, true)`, [`"${PREVIEW_SCHEMA}"`]);
      for (const entry of this.migrations) {
        const statements: string[] = [];
        await entry.migration.up(recordingRunner(runner, (sql) => statements.push(sql.trim())));
        if (needed.has(entry.name)) out.push({ name: entry.name, statements });
      }
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    return out;
  }

  private async targets(condition: string, params: unknown[], only?: string): Promise<TenantTarget[]> {
    const onlyParam = params.length + 2;
    return this.dataSource.query(
      `SELECT id, slug, schema_name AS "schemaName", schema_version AS "schemaVersion"
         FROM public.tenants
        WHERE status = ANY($${params.length + 1}) AND ${condition}
          AND ($${onlyParam}::text IS NULL OR id::text = $${onlyParam} OR slug = $${onlyParam})
        ORDER BY created_at`,
      [...params, MIGRATABLE_STATUSES, only ?? null],
    );
  }

  private async appliedNames(runner: QueryRunner, tenantId: string): Promise<Set<string>> {
    const rows: { name: string }[] = await runner.query('SELECT name FROM public.tenant_migrations WHERE tenant_id = $1', [tenantId]);
    return new Set(rows.map((r) => r.name));
  }

  /** Per-tenant transaction; the advisory lock keeps two migrators off the same schema. */
  private inTenantTransaction<T>(tenant: TenantTarget, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    return runInSchema(this.dataSource, tenant.schemaName, async (_manager, runner) => {
      await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [tenant.schemaName]);
      return work(runner);
    });
  }

  private async run(
    tenants: TenantTarget[],
    options: TenantRunOptions,
    work: (tenant: TenantTarget) => Promise<string[]>,
  ): Promise<TenantRunSummary> {
    const started = Date.now();
    options.onStart?.(tenants.length);
    const results = await mapWithConcurrency(tenants, options.concurrency ?? 4, async (tenant) => {
      let result: TenantRunResult;
      try {
        result = { tenant, changed: await work(tenant) };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await this.dataSource
          .query('UPDATE public.tenants SET migration_error = $2 WHERE id = $1', [tenant.id, message])
          .catch(() => undefined);
        result = { tenant, changed: [], error: message };
      }
      options.onResult?.(result);
      return result;
    });
    const failed = results.filter((r) => r.error);
    const changed = results.filter((r) => !r.error && r.changed.length).length;
    return { total: tenants.length, changed, unchanged: tenants.length - changed - failed.length, failed, durationMs: Date.now() - started };
  }
}
