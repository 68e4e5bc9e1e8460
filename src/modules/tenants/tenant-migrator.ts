import type { DataSource, QueryRunner } from 'typeorm';
import { loadMigrations, migrationDirs, type MigrationEntry } from '../../core/database/migration-set';
import {
  captureUp,
  inRolledBackTransaction,
  runMigration,
  type MigrationSql,
  type Queryable,
} from '../../core/database/public-migrator';
import {
  MIGRATABLE_STATUSES,
  MIGRATION_STATE_SQL,
  versionOf,
  type MigrationState,
} from '../../core/database/tenant-migration-state';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { mapWithConcurrency } from '../../core/concurrency';
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
  /** Applied migrations this code does not know: the tenant was left alone, and that is no error. */
  ahead?: string[];
}

export interface TenantRunSummary {
  total: number;
  changed: number;
  unchanged: number;
  /** Tenants ahead of this code (after a code-only rollback): not touched, not failed. */
  ahead: number;
  failed: TenantRunResult[];
  durationMs: number;
}

export interface TenantRunOptions {
  concurrency?: number;
  /** Limit the run to one tenant (id or slug). */
  tenant?: string;
  /** Also run the tenants holding a migration error although they look up to date (clears stale errors). */
  retryFailed?: boolean;
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
  /** Null for a tenant whose status has no schema to migrate (FAILED, PROVISIONING). */
  state: MigrationState | null;
}

/** The ledger names migrations this code does not know: expected after a code-only rollback, never stored. */
export class SchemaAheadError extends Error {
  constructor(readonly unknown: string[]) {
    super(`schema is ahead of this code (knows nothing of ${unknown.join(', ')})`);
  }
}

const namesOf = (entries: MigrationEntry[]) => entries.map((m) => m.name);

/**
 * Applies the tenant migrations (`migrations/tenant`) to every tenant schema. One
 * transaction per tenant (DDL, ledger rows and `tenants.schema_version` together),
 * so a crash leaves each tenant either migrated or untouched and a rerun resumes.
 * Comparing `schema_version` with the code's version finds the tenants that are
 * behind in one query, so a run with nothing to do costs one query.
 */
export class TenantMigrator {
  constructor(
    private readonly dataSource: DataSource,
    readonly migrations: MigrationEntry[] = loadMigrations(migrationDirs.tenant),
  ) {}

  get latestVersion(): string | null {
    return versionOf(namesOf(this.migrations));
  }

  /** `$1`, `$2` of MIGRATION_STATE_SQL. */
  private get stateParams(): unknown[] {
    return [namesOf(this.migrations), this.latestVersion];
  }

  /**
   * Brings the schema the runner's transaction points at up to date: runs what the
   * ledger lacks (older gaps included) and records it. Used by provisioning and `migrateAll`.
   */
  async applyPending(runner: QueryRunner, tenantId: string): Promise<string[]> {
    const applied = await this.appliedNames(runner, tenantId);
    this.assertNotAhead(applied);
    const changed: string[] = [];
    for (const entry of this.migrations) {
      if (applied.has(entry.name)) continue;
      await runMigration(entry, 'up', runner);
      await runner.query('INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, $2)', [
        tenantId,
        entry.name,
      ]);
      changed.push(entry.name);
    }
    await runner.query(
      'UPDATE public.tenants SET schema_version = $2, migration_error = NULL, updated_at = now() WHERE id = $1',
      [tenantId, this.latestVersion],
    );
    return changed;
  }

  /** Tenants behind or failed (not ahead: this code cannot migrate those). */
  async tenantsBehind(only?: string, retryFailed = false): Promise<TenantTarget[]> {
    return (await this.listForMigration(only, retryFailed, false)).targets;
  }

  /**
   * Migrates the tenants behind. The listing query also clears the errors that no longer describe
   * anything (the tenant is up to date: repaired and migrated by another run, or a `--tenant` run)
   * and counts the tenants ahead, so a run with nothing to do costs this one query.
   */
  async migrateAll(options: TenantRunOptions = {}): Promise<TenantRunSummary> {
    const { targets, ahead } = await this.listForMigration(options.tenant, options.retryFailed ?? false, true);
    const summary = await this.run(targets, options, (tenant) => this.migrateTenant(tenant));
    return { ...summary, ahead: ahead + summary.ahead };
  }

  private async listForMigration(only: string | undefined, retryFailed: boolean, clearStale: boolean) {
    const scope = `t.status = ANY($3) AND ($4::text IS NULL OR t.id::text = $4 OR t.slug = $4)`;
    const clear = clearStale
      ? `WITH cleared AS (
           UPDATE public.tenants t SET migration_error = NULL, updated_at = now()
            WHERE t.migration_error IS NOT NULL AND ${scope} AND (${MIGRATION_STATE_SQL}) = 'up_to_date'
            RETURNING t.id) `
      : '';
    const rows: (TenantTarget & { state: MigrationState })[] = await this.dataSource.query(
      `${clear}SELECT * FROM (
         SELECT t.id, t.slug, t.schema_name AS "schemaName", t.schema_version AS "schemaVersion", t.created_at,
                t.migration_error IS NOT NULL AS "hasError", ${MIGRATION_STATE_SQL} AS state
           FROM public.tenants t WHERE ${scope}) s
        WHERE s.state <> 'up_to_date' OR ($5 AND s."hasError")
        ORDER BY s.created_at, s.slug`,
      [...this.stateParams, MIGRATABLE_STATUSES, only ?? null, retryFailed],
    );
    const target = ({ id, slug, schemaName, schemaVersion }: TenantTarget): TenantTarget => ({
      id,
      slug,
      schemaName,
      schemaVersion,
    });
    return {
      targets: rows.filter((r) => r.state !== 'ahead').map(target),
      ahead: rows.filter((r) => r.state === 'ahead').length,
    };
  }

  async migrateTenant(tenant: TenantTarget): Promise<string[]> {
    return this.inTenantTransaction(tenant, (runner) => this.applyPending(runner, tenant.id));
  }

  /** Reverts the newest applied migration of each tenant (or of one): one step, one transaction per tenant. */
  async revertLast(options: TenantRunOptions = {}): Promise<TenantRunSummary> {
    const tenants = await this.targets('TRUE', [], options.tenant);
    return this.run(tenants, options, (tenant) =>
      this.inTenantTransaction(tenant, async (runner) => {
        const applied = await this.appliedNames(runner, tenant.id);
        // Reverting a known migration underneath unknown newer ones would leave a schema no code describes.
        this.assertNotAhead(applied);
        const remaining = this.migrations.filter((m) => applied.has(m.name));
        const entry = remaining.pop();
        if (!entry) return [];
        await runMigration(entry, 'down', runner);
        await runner.query('DELETE FROM public.tenant_migrations WHERE tenant_id = $1 AND name = $2', [
          tenant.id,
          entry.name,
        ]);
        await runner.query('UPDATE public.tenants SET schema_version = $2, updated_at = now() WHERE id = $1', [
          tenant.id,
          versionOf(namesOf(remaining)),
        ]);
        return [entry.name];
      }),
    );
  }

  /** Every tenant (or one) with its applied, pending and unknown migrations; empty before `public.tenants` exists. */
  async status(only?: string): Promise<TenantMigrationStatus[]> {
    if (!(await this.registryExists(this.dataSource))) return [];
    type Row = TenantTarget & {
      status: string;
      migrationError: string | null;
      applied: string[] | null;
      state: MigrationState | null;
    };
    const rows: Row[] = await this.dataSource.query(
      `SELECT t.id, t.slug, t.schema_name AS "schemaName", t.schema_version AS "schemaVersion", t.status,
              t.migration_error AS "migrationError",
              CASE WHEN t.status = ANY($4) THEN ${MIGRATION_STATE_SQL} END AS state,
              (SELECT array_agg(m.name ORDER BY m.applied_at, m.name)
                 FROM public.tenant_migrations m WHERE m.tenant_id = t.id) AS applied
         FROM public.tenants t
        WHERE ($3::text IS NULL OR t.id::text = $3 OR t.slug = $3)
        ORDER BY t.created_at, t.slug`,
      [...this.stateParams, only ?? null, MIGRATABLE_STATUSES],
    );
    return rows.map(({ status, migrationError, applied, state, ...tenant }) => {
      const names = new Set(applied ?? []);
      return {
        tenant,
        status,
        state,
        applied: this.migrations.filter((m) => names.has(m.name)).map((m) => m.name),
        pending: this.migrations.filter((m) => !names.has(m.name)).map((m) => m.name),
        unknown: [...names].filter((n) => !this.migrations.some((m) => m.name === n)),
        // A stale error (the tenant is up to date since) is not shown as if it were current.
        error: state === 'up_to_date' ? null : migrationError,
      };
    });
  }

  /** The SQL of every migration some tenant still lacks, captured in a transaction that is rolled back. */
  pendingSql(): Promise<MigrationSql[]> {
    return inRolledBackTransaction(this.dataSource, (runner) => this.previewPending(runner));
  }

  /**
   * Runs the tenant migrations on a scratch schema inside the caller's transaction (which
   * the caller rolls back) and returns the SQL of those some tenant still lacks. Earlier
   * migrations run too, unreported, so the pending ones see the schema they expect.
   */
  async previewPending(runner: QueryRunner): Promise<MigrationSql[]> {
    if (!(await this.registryExists(runner))) return [];
    const rows: { name: string }[] = await runner.query(
      `SELECT m.name FROM unnest($1::text[]) AS m(name)
        WHERE EXISTS (SELECT 1 FROM public.tenants t
                       WHERE t.status = ANY($2)
                         AND NOT EXISTS (SELECT 1 FROM public.tenant_migrations tm WHERE tm.tenant_id = t.id AND tm.name = m.name))`,
      [this.migrations.map((m) => m.name), MIGRATABLE_STATUSES],
    );
    const needed = new Set(rows.map((r) => r.name));
    if (!needed.size) return [];
    const [{ previous }]: { previous: string }[] = await runner.query(
      `SELECT current_setting('search_path') AS previous, set_config('search_path', $1, true)`,
      [`"${PREVIEW_SCHEMA}"`],
    );
    await runner.query(`CREATE SCHEMA "${PREVIEW_SCHEMA}"`);
    const out: MigrationSql[] = [];
    for (const entry of this.migrations) {
      const sql = await captureUp(entry, runner);
      if (needed.has(entry.name)) out.push(sql);
    }
    await runner.query(`SELECT set_config('search_path', $1, true)`, [previous]);
    return out;
  }

  private async registryExists(db: Queryable): Promise<boolean> {
    const [{ exists }]: { exists: boolean }[] = await db.query(
      `SELECT to_regclass('public.tenants') IS NOT NULL AS exists`,
    );
    return exists;
  }

  private async targets(condition: string, params: unknown[], only?: string): Promise<TenantTarget[]> {
    const onlyParam = params.length + 2;
    return this.dataSource.query(
      `SELECT t.id, t.slug, t.schema_name AS "schemaName", t.schema_version AS "schemaVersion"
         FROM public.tenants t
        WHERE t.status = ANY($${params.length + 1}) AND ${condition}
          AND ($${onlyParam}::text IS NULL OR t.id::text = $${onlyParam} OR t.slug = $${onlyParam})
        ORDER BY t.created_at, t.slug`,
      [...params, MIGRATABLE_STATUSES, only ?? null],
    );
  }

  private async appliedNames(runner: QueryRunner, tenantId: string): Promise<Set<string>> {
    const rows: { name: string }[] = await runner.query(
      'SELECT name FROM public.tenant_migrations WHERE tenant_id = $1',
      [tenantId],
    );
    return new Set(rows.map((r) => r.name));
  }

  private assertNotAhead(applied: Set<string>): void {
    const unknown = [...applied].filter((name) => !this.migrations.some((m) => m.name === name));
    if (unknown.length) throw new SchemaAheadError(unknown);
  }

  /**
   * Per-tenant transaction. The tenant's row is locked first: a second migrator (another
   * `migrate` run, a starting server) waits here and then finds this run's ledger rows, and a
   * tenant deleted or disabled since it was listed is skipped.
   */
  private inTenantTransaction(
    tenant: TenantTarget,
    work: (runner: QueryRunner) => Promise<string[]>,
  ): Promise<string[]> {
    return runInSchema(this.dataSource, tenant.schemaName, async (_manager, runner) => {
      const [row]: { status: string }[] = await runner.query(
        'SELECT status FROM public.tenants WHERE id = $1 FOR NO KEY UPDATE',
        [tenant.id],
      );
      if (!row || !MIGRATABLE_STATUSES.includes(row.status)) return [];
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
        if (error instanceof SchemaAheadError) {
          result = { tenant, changed: [], ahead: error.unknown };
        } else {
          const message = error instanceof Error ? error.message : String(error);
          await this.recordError(tenant, message);
          result = { tenant, changed: [], error: message };
        }
      }
      options.onResult?.(result);
      return result;
    });
    const failed = results.filter((r) => r.error);
    const ahead = results.filter((r) => r.ahead).length;
    const changed = results.filter((r) => !r.error && r.changed.length).length;
    const unchanged = tenants.length - changed - failed.length - ahead;
    return { total: tenants.length, changed, unchanged, ahead, failed, durationMs: Date.now() - started };
  }

  /**
   * Recorded outside the rolled-back transaction, so `migrate:status` can show it; unless the
   * tenant is up to date by now (a concurrent run migrated it), where the error would be stale at once.
   */
  private async recordError(tenant: TenantTarget, message: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE public.tenants t SET migration_error = $4, updated_at = now()
          WHERE t.id = $3 AND (${MIGRATION_STATE_SQL}) <> 'up_to_date'`,
        [...this.stateParams, tenant.id, message],
      )
      .catch(() => undefined);
  }
}
