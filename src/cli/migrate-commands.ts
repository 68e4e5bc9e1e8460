import type { DataSource } from 'typeorm';
import { inRolledBackTransaction, type MigrationSql, type PublicMigrator } from '../core/database/public-migrator';
import { MIGRATION_STATES, type MigrationState } from '../core/database/tenant-migration-state';
import type {
  TenantBrief,
  TenantMigrationStatus,
  TenantMigrator,
  TenantRunResult,
  TenantRunSummary,
  TenantStatusSummary,
} from '../modules/tenants';
import { formatDuration, type Print, type Progress } from './cli-output';
import { STATUS_FIRST, type MigrateOptions } from './migrate-options';

export interface MigrateContext {
  dataSource: DataSource;
  publicMigrator: PublicMigrator;
  tenantMigrator: TenantMigrator;
  /** Result lines (stdout). */
  print: Print;
  /** Side remarks that are not the result, such as waiting for a lock (stderr). */
  notice: Print;
  progress: (label: string) => Progress;
  /** Aborted on SIGINT/SIGTERM: up and revert start no further tenant. */
  signal?: AbortSignal;
}

/** 0: done; 1: something failed (the failures were printed); 130: interrupted (the rest is left for a rerun). */
export type CommandOutcome = 0 | 1 | 130;

export function runMigrateCommand(ctx: MigrateContext, options: MigrateOptions): Promise<CommandOutcome> {
  const commands = { up, status, sql, revert };
  return commands[options.command](ctx, options);
}

const waitingForLock = (ctx: MigrateContext) => () =>
  ctx.notice('public: another migration run holds the migration lock; waiting for it');

async function up(ctx: MigrateContext, options: MigrateOptions): Promise<CommandOutcome> {
  if (options.tenant) await requireTenant(ctx, options.tenant);
  if (options.scope !== 'tenants') {
    const applied = await ctx.publicMigrator.migrate(
      (name) => ctx.print(`public: applied ${name}`),
      waitingForLock(ctx),
    );
    if (!applied.length) ctx.print('public: up to date');
  }
  if (options.scope === 'public') return 0;
  const summary = await withProgress(ctx, (hooks) =>
    ctx.tenantMigrator.migrateAll({
      concurrency: options.concurrency,
      tenant: options.tenant,
      retryFailed: options.retryFailed,
      lockTimeoutMs: options.lockTimeoutMs,
      signal: ctx.signal,
      ...hooks,
    }),
  );
  return printSummary(ctx, 'migrated', summary);
}

async function revert(ctx: MigrateContext, options: MigrateOptions): Promise<CommandOutcome> {
  if (options.scope === 'public') {
    const reverted = await ctx.publicMigrator.revertLast(waitingForLock(ctx));
    ctx.print(reverted ? `public: reverted ${reverted}` : 'public: nothing to revert');
    return 0;
  }
  if (options.tenant) await requireTenant(ctx, options.tenant);
  const results: TenantRunResult[] = [];
  const summary = await withProgress(ctx, (hooks) =>
    ctx.tenantMigrator.revertLast({
      concurrency: options.concurrency,
      tenant: options.tenant,
      lockTimeoutMs: options.lockTimeoutMs,
      signal: ctx.signal,
      onStart: hooks.onStart,
      onResult: (result) => {
        results.push(result);
        hooks.onResult(result);
      },
    }),
  );
  for (const { tenant, changed } of results.sort((a, b) => a.tenant.slug.localeCompare(b.tenant.slug))) {
    if (changed.length) ctx.print(`${tenant.slug}: reverted ${changed.join(', ')}`);
  }
  return printSummary(ctx, 'reverted', summary);
}

async function status(ctx: MigrateContext, options: MigrateOptions): Promise<CommandOutcome> {
  const publicStatus = options.scope === 'tenants' ? undefined : await ctx.publicMigrator.status();
  const perTenant = options.details || options.tenant !== undefined;
  const tenants =
    options.scope === 'public' || !perTenant ? undefined : await ctx.tenantMigrator.status(options.tenant);
  if (options.tenant && !tenants?.length) throw new Error(`no tenant with id or slug "${options.tenant}"`);
  const summary =
    options.scope === 'public' || tenants ? undefined : await ctx.tenantMigrator.statusSummary(STATUS_FIRST);
  const counts = tenants ? countStates(tenants) : summary?.counts;

  if (options.json) {
    ctx.print(
      JSON.stringify(
        {
          public: publicStatus,
          tenants: tenants?.map((t) => ({
            id: t.tenant.id,
            slug: t.tenant.slug,
            schema: t.tenant.schemaName,
            status: t.status,
            applied: t.applied,
            pending: t.pending,
            ahead: t.unknown,
            error: t.error,
            state: t.state,
          })),
          summary: counts,
          first: summary?.first,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  if (publicStatus) {
    const shown = options.onlyProblems ? publicStatus.filter((m) => m.ahead || !m.applied) : publicStatus;
    if (shown.length || !options.onlyProblems) ctx.print('public');
    for (const m of shown) {
      ctx.print(
        m.ahead
          ? ` [!] ${m.name}  (applied, unknown to this code: the database is ahead)`
          : ` ${mark(m.applied)} ${m.name}`,
      );
    }
  }
  if (tenants) {
    if (!tenants.length) ctx.print('(no tenants)');
    for (const t of tenants) if (!options.onlyProblems || t.state !== 'up_to_date') printTenantStatus(ctx, t);
  }
  if (summary) printStateSummary(ctx, summary);
  if (counts) {
    const { up_to_date: upToDate, behind, ahead, failed } = counts;
    const total = upToDate + behind + ahead + failed;
    if (!total && summary) ctx.print('(no tenants)');
    ctx.print(`${total} tenants: ${upToDate} up to date, ${behind} behind, ${ahead} ahead, ${failed} failed`);
    if (ahead) ctx.notice(AHEAD_NOTICE(ahead));
  }
  return 0;
}

/** The first tenants of each state that needs a look, oldest first; `--details` or `--tenant` for the rest. */
function printStateSummary(ctx: MigrateContext, { counts, first }: TenantStatusSummary): void {
  const describe: Record<keyof TenantStatusSummary['first'], (t: TenantBrief) => string> = {
    behind: (t) => `${t.slug} (${t.schemaName}, at ${t.schemaVersion ?? 'nothing'})`,
    failed: (t) => `${t.slug} (${t.schemaName}): ${t.error}`,
    ahead: (t) => `${t.slug} (${t.schemaName}): applied, unknown to this code: ${t.unknown?.join(', ')}`,
  };
  for (const state of ['failed', 'behind', 'ahead'] as const) {
    if (!counts[state]) continue;
    ctx.print(`tenants ${state}: ${counts[state]}`);
    for (const t of first[state]) ctx.print(`  ${describe[state](t)}`);
    const more = counts[state] - first[state].length;
    if (more > 0) ctx.print(`  … and ${more} more (npm run migrate:status -- --details --only-problems lists them)`);
  }
}

/** Ahead is what a code-only rollback leaves: a warning, never a failure, and nothing to repair. */
const AHEAD_NOTICE = (count: number) =>
  `migrate: warning: ${count} tenant(s) ahead of this code (expected after a code-only rollback: ` +
  'nothing is done to them; deploying the newer code again makes them current)';

function countStates(tenants: TenantMigrationStatus[]): Record<MigrationState, number> {
  const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<MigrationState, number>;
  for (const t of tenants) if (t.state) counts[t.state] += 1;
  return counts;
}

function printTenantStatus(ctx: MigrateContext, t: TenantMigrationStatus): void {
  const ahead = t.unknown.length ? ' AHEAD OF THIS CODE' : t.state ? '' : ' (no schema to migrate)';
  ctx.print(`tenant ${t.tenant.slug} (${t.tenant.schemaName}, ${t.status})${ahead}`);
  for (const name of [...t.applied, ...t.pending]) ctx.print(` ${mark(t.applied.includes(name))} ${name}`);
  for (const name of t.unknown) ctx.print(` [!] ${name}  (applied, unknown to this code)`);
  if (t.error) ctx.print(` last migration error: ${t.error}`);
}

const mark = (applied: boolean) => (applied ? '[X]' : '[ ]');

/**
 * Public migrations always run in the preview (tenant migrations may need them), in
 * one transaction that is rolled back; only the requested part is printed.
 */
async function sql(ctx: MigrateContext, options: MigrateOptions): Promise<CommandOutcome> {
  const preview = await inRolledBackTransaction(ctx.dataSource, async (runner) => {
    const publicSql = await ctx.publicMigrator.previewPending(runner);
    const tenantSql = options.scope === 'public' ? [] : await ctx.tenantMigrator.previewPending(runner);
    return { publicSql, tenantSql };
  });
  if (options.scope !== 'tenants') printSql(ctx, 'public', preview.publicSql);
  if (options.scope !== 'public') printSql(ctx, 'tenant', preview.tenantSql);
  return 0;
}

/** SQL comments for the headings, so the output can be saved and reviewed (or run) as a script. */
function printSql(ctx: MigrateContext, part: 'public' | 'tenant', migrations: MigrationSql[]): void {
  if (!migrations.length) ctx.print(`-- ${part}: nothing pending`);
  const where = part === 'tenant' ? ' (runs in every tenant schema that lacks it)' : '';
  for (const m of migrations) {
    ctx.print(`-- ${part}${where}: ${m.name}`);
    for (const statement of m.statements) ctx.print(statement);
    ctx.print('');
  }
}

async function requireTenant(ctx: MigrateContext, ref: string): Promise<void> {
  if (!(await ctx.tenantMigrator.status(ref)).length) throw new Error(`no tenant with id or slug "${ref}"`);
}

interface ProgressHooks {
  onStart(total: number): void;
  onResult(result: TenantRunResult): void;
}

/** Shows progress while `run` goes through the tenants; nothing at all when there is no tenant to do. */
async function withProgress(
  ctx: MigrateContext,
  run: (hooks: ProgressHooks) => Promise<TenantRunSummary>,
): Promise<TenantRunSummary> {
  let progress: Progress | undefined;
  try {
    return await run({
      onStart: (total) => {
        if (!total) return;
        progress = ctx.progress('tenants');
        progress.start(total);
      },
      onResult: (result) => progress?.tick(!!result.error),
    });
  } finally {
    progress?.stop();
  }
}

/** Prints the run's result and says what it exits with: interrupted (130) before failed (1). */
function printSummary(ctx: MigrateContext, verb: string, summary: TenantRunSummary): CommandOutcome {
  ctx.print(
    `tenants: total ${summary.total}, ${verb} ${summary.changed}, unchanged ${summary.unchanged}, ` +
      `ahead ${summary.ahead}, failed ${summary.failed.length} (${formatDuration(summary.durationMs)})`,
  );
  for (const { tenant, error } of summary.failed) ctx.print(`  failed ${tenant.slug} (${tenant.schemaName}): ${error}`);
  if (summary.ahead) ctx.notice(AHEAD_NOTICE(summary.ahead));
  if (summary.interrupted) {
    // Every tenant done is committed. `up` again does the rest; `revert` again would step the done ones back twice.
    const resume =
      verb === 'migrated'
        ? 'run migrate up again to do them'
        : 'they keep that migration (revert again would take the tenants done one more step back)';
    ctx.print(`interrupted: ${summary.interrupted} tenant(s) not started; ${resume}`);
    return 130;
  }
  return summary.failed.length ? 1 : 0;
}
