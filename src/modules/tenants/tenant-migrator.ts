import type { DataSource, QueryRunner } from 'typeorm';
import { loadMigrations, migrationDirs, recordingRunner, type MigrationEntry } from '../../core/database/migration-set';
import {
  captureUp,
  inRolledBackTransaction,
  runMigration,
  type MigrationSql,
  type Queryable,
} from '../../core/database/public-migrator';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  MIGRATABLE_STATUSES,
  MIGRATION_STATE_SQL,
  MIGRATION_STATES,
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
  /** Tenants not started because the run was interrupted (`signal`): the next run does them. */
  interrupted: number;
  durationMs: number;
}

/** Tries per tenant when its locks stay taken; then the tenant is reported failed and the run goes on. */
export const LOCK_TRIES = 3;
const LOCK_NOT_AVAILABLE = '55P03';

export interface TenantRunOptions {
  concurrency?: number;
  /** Limit the run to one tenant (id or slug). */
  tenant?: string;
  /** Also run the tenants holding a migration error although they look up to date (clears stale errors). */
  retryFailed?: boolean;
  /** Per tenant transaction (`lock_timeout`); default DEFAULT_LOCK_TIMEOUT_MS. */
  lockTimeoutMs?: number;
  /** Once aborted, no further tenant is started; those in flight finish (each is one transaction). */
  signal?: AbortSignal;
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

/** One tenant named in a status summary. */
export interface TenantBrief {
  slug: string;
  schemaName: string;
  schemaVersion: string | null;
  error: string | null;
  /** Ahead: the applied migrations this code does not know. */
  unknown: string[] | null;
}

/** `migrate:status` and doctor at any tenant count: tenants per state, and the first few of each state. */
export interface TenantStatusSummary {
  counts: Record<MigrationState, number>;
  /** Oldest first, at most the limit asked for, per state (none listed for up_to_date). */
  first: Record<Exclude<MigrationState, 'up_to_date'>, TenantBrief[]>;
}

/** The ledger names migrations this code does not know: expected after a code-only rollback, never stored. */
export class SchemaAheadError extends Error {
  constructor(readonly unknown: string[]) {
    super(`schema is ahead of this code (knows nothing of ${unknown.join(', ')})`);
  }
}

const namesOf = (entries: MigrationEntry[]) => entries.map((m) => m.name);

/** `lock_timeout` expired: on the driver's error, or under the migration's name (`runMigration` wraps it). */
function isLockTimeout(error: unknown): boolean {
  for (let e = error as { code?: string; driverError?: { code?: string }; cause?: unknown } | undefined; e;) {
    if (e.code === LOCK_NOT_AVAILABLE || e.driverError?.code === LOCK_NOT_AVAILABLE) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Applies the tenant migrations (`migrations/tenant`) to every tenant schema. One
 * transaction per tenant (DDL, ledger rows and `tenants.schema_version` together),
 * so a crash leaves each tenant either migrated or untouched and a rerun resumes.
 * Comparing `schema_version` with the code's version finds the tenants that are
 * behind in one query, so a run with nothing to do costs one query.
 */
export class TenantMigrator {
  /** What a fresh schema's migrations send, kept by the first `createTables`. */
  private provisioningScript?: string;

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
   * ledger lacks (older gaps included) and records it. Used by `migrateAll` and restores.
   */
  async applyPending(runner: QueryRunner, tenantId: string, applied?: Set<string>): Promise<string[]> {
    applied ??= await this.appliedNames(runner, tenantId);
    this.assertNotAhead(applied);
    const changed: string[] = [];
    for (const entry of this.migrations) {
      if (applied.has(entry.name)) continue;
      await runMigration(entry, 'up', runner);
      changed.push(entry.name);
    }
    await this.recordApplied(runner, tenantId, changed);
    return changed;
  }

  /**
   * Creates every tenant table in the new, empty schema the runner's transaction points at (a tenant's or a spare's,
   * see tenant-spares.ts). The first call of a process runs the migrations one by one and keeps the statements they
   * sent; later ones send those as one script: one round trip instead of ~90. Every fresh schema starts alike, so
   * the statements are the same, unless one is this schema's own (a parameter, its name, the tenant's id): then
   * nothing is kept and every call runs the migrations one by one.
   */
  async createTables(runner: QueryRunner, schemaName: string, tenantId?: string): Promise<void> {
    if (this.provisioningScript) {
      await runner.query(this.provisioningScript);
      return;
    }
    const statements: string[] = [];
    let parameters = false;
    const recorder = recordingRunner(runner, (sql, values) => {
      parameters ||= Boolean(values?.length);
      statements.push(sql);
    });
    for (const entry of this.migrations) await runMigration(entry, 'up', recorder);
    // A statement ending in a `--` comment must not swallow the separator.
    const script = statements.join('\n;\n');
    const own = parameters || script.includes(schemaName) || (tenantId !== undefined && script.includes(tenantId));
    if (!own) this.provisioningScript = script;
  }

  /** Records every migration as applied to a tenant whose tables `createTables` made. */
  recordProvisioned(runner: QueryRunner, tenantId: string): Promise<void> {
    return this.recordApplied(runner, tenantId, namesOf(this.migrations));
  }

  /** The ledger rows and the version in one round trip, in the migrations' transaction. */
  private async recordApplied(runner: QueryRunner, tenantId: string, names: string[]): Promise<void> {
    await runner.query(
      `WITH ledger AS (INSERT INTO public.tenant_migrations (tenant_id, name) SELECT $1, unnest($3::text[]))
       UPDATE public.tenants SET schema_version = $2, migration_error = NULL, updated_at = now() WHERE id = $1`,
      [tenantId, this.latestVersion, names],
    );
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
    const summary = await this.run(targets, options, (tenant) => this.migrateTenant(tenant, options.lockTimeoutMs));
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

  async migrateTenant(tenant: TenantTarget, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<string[]> {
    return this.inTenantTransaction(tenant, lockTimeoutMs, (runner, applied) =>
      this.applyPending(runner, tenant.id, applied),
    );
  }

  /** Reverts the newest applied migration of each tenant (or of one): one step, one transaction per tenant. */
  async revertLast(options: TenantRunOptions = {}): Promise<TenantRunSummary> {
    const tenants = await this.targets('TRUE', [], options.tenant);
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    return this.run(tenants, options, (tenant) =>
      this.inTenantTransaction(tenant, lockTimeoutMs, async (runner, applied) => {
        // Reverting a known migration underneath unknown newer ones would leave a schema no code describes.
        this.assertNotAhead(applied);
        const remaining = this.migrations.filter((m) => applied.has(m.name));
        const entry = remaining.pop();
        if (!entry) return [];
        await runMigration(entry, 'down', runner);
        await runner.query(
          `WITH ledger AS (DELETE FROM public.tenant_migrations WHERE tenant_id = $1 AND name = $3)
           UPDATE public.tenants SET schema_version = $2, updated_at = now() WHERE id = $1`,
          [tenant.id, versionOf(namesOf(remaining)), entry.name],
        );
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

  /**
   * Counts per state and the first `limit` tenants of each state but up_to_date, in one query whose cost is two
   * index probes of the ledger per tenant (no per-tenant output: 10,000 tenants answer in one line).
   */
  async statusSummary(limit: number): Promise<TenantStatusSummary> {
    const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<MigrationState, number>;
    const first: TenantStatusSummary['first'] = { behind: [], ahead: [], failed: [] };
    if (!(await this.registryExists(this.dataSource))) return { counts, first };
    const rows: { state: MigrationState; count: number; first: TenantBrief[] | null }[] = await this.dataSource.query(
      `SELECT s.state, count(*)::int AS count,
              json_agg(json_build_object('slug', s.slug, 'schemaName', s.schema_name, 'schemaVersion',
                s.schema_version, 'error', s.migration_error, 'unknown', CASE WHEN s.state = 'ahead' THEN
                  (SELECT array_agg(m.name ORDER BY m.name) FROM public.tenant_migrations m
                    WHERE m.tenant_id = s.id AND m.name <> ALL($1::text[])) END) ORDER BY s.rank)
                FILTER (WHERE s.rank <= $4 AND s.state <> 'up_to_date') AS first
         FROM (SELECT t.id, t.slug, t.schema_name, t.schema_version, t.migration_error, st.state,
                      row_number() OVER (PARTITION BY st.state ORDER BY t.created_at, t.slug) AS rank
                 FROM public.tenants t CROSS JOIN LATERAL (SELECT ${MIGRATION_STATE_SQL} AS state) st
                WHERE t.status = ANY($3)) s
        GROUP BY s.state`,
      [...this.stateParams, MIGRATABLE_STATUSES, limit],
    );
    for (const row of rows) {
      counts[row.state] = row.count;
      if (row.state !== 'up_to_date') first[row.state] = row.first ?? [];
    }
    return { counts, first };
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
   * Per-tenant transaction, in few round trips (`BEGIN`, the settings, the row lock, the ledger, the migrations, the
   * ledger update, `COMMIT`). The tenant's row is locked first: a second migrator (another `migrate` run, a
   * starting server) waits here and then finds this run's ledger rows, and a tenant deleted or disabled since it was
   * listed is skipped. `lock_timeout` bounds every wait for a lock, on the row as on the tenant's tables.
   */
  private async inTenantTransaction(
    tenant: TenantTarget,
    lockTimeoutMs: number,
    work: (runner: QueryRunner, applied: Set<string>) => Promise<string[]>,
  ): Promise<string[]> {
    return runInSchema(
      this.dataSource,
      tenant.schemaName,
      async (_manager, runner) => {
        const [row]: { status: string }[] = await runner.query(
          'SELECT status FROM public.tenants WHERE id = $1 FOR NO KEY UPDATE',
          [tenant.id],
        );
        // Read after the lock, in a statement of its own: its snapshot sees what a run that held the lock committed.
        return row && MIGRATABLE_STATUSES.includes(row.status)
          ? work(runner, await this.appliedNames(runner, tenant.id))
          : [];
      },
      undefined,
      { lockTimeoutMs },
    );
  }

  /** Runs `work` again when it gave up waiting for a lock (a long transaction on the tenant's tables). */
  private async retryingLocks(lockTimeoutMs: number, work: () => Promise<string[]>): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (!isLockTimeout(error)) throw error;
        if (attempt >= LOCK_TRIES) {
          throw new Error(
            `gave up waiting for a lock: ${LOCK_TRIES} tries of ${lockTimeoutMs} ms each ` +
              '(another transaction holds a lock on this tenant; rerun migrate up, or raise --lock-timeout)',
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  private async run(
    tenants: TenantTarget[],
    options: TenantRunOptions,
    work: (tenant: TenantTarget) => Promise<string[]>,
  ): Promise<TenantRunSummary> {
    const started = Date.now();
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    options.onStart?.(tenants.length);
    const outcomes = await mapWithConcurrency(tenants, options.concurrency ?? 4, async (tenant) => {
      if (options.signal?.aborted) return undefined;
      let result: TenantRunResult;
      try {
        result = { tenant, changed: await this.retryingLocks(lockTimeoutMs, () => work(tenant)) };
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
    const results = outcomes.filter((r): r is TenantRunResult => r !== undefined);
    const failed = results.filter((r) => r.error);
    const ahead = results.filter((r) => r.ahead).length;
    const changed = results.filter((r) => !r.error && r.changed.length).length;
    const interrupted = tenants.length - results.length;
    const unchanged = results.length - changed - failed.length - ahead;
    return { total: tenants.length, changed, unchanged, ahead, failed, interrupted, durationMs: Date.now() - started };
  }

  /**
   * Recorded outside the rolled-back transaction, so `migrate:status` can show it; unless the
   * tenant is up to date by now (a concurrent run migrated it), where the error would be stale at once. A row locked
   * by someone else (what made a lock wait fail) is skipped rather than waited for: the run's report still names it.
   */
  private async recordError(tenant: TenantTarget, message: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE public.tenants t SET migration_error = $4, updated_at = now()
          WHERE t.id = (SELECT l.id FROM public.tenants l WHERE l.id = $3 FOR NO KEY UPDATE SKIP LOCKED)
            AND (${MIGRATION_STATE_SQL}) <> 'up_to_date'`,
        [...this.stateParams, tenant.id, message],
      )
      .catch(() => undefined);
  }
}
