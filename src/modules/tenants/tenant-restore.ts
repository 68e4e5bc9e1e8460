import { randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { runMigration, type PublicMigrator } from '../../core/database/public-migrator';
import { versionOf } from '../../core/database/tenant-migration-state';
import { assertTenantSchema, quoteIdentifier, tenantSchemaFor } from '../../core/tenancy/tenant-schema';
import { runInSchema } from '../../core/tenancy/tenant-scope';
import { openArchive, type ArchiveEntry, type ArchiveHeader, type ArchiveSection } from './tenant-archive';
import {
  publicTenantTables,
  schemaForeignKeys,
  schemaShape,
  shapeDifferences,
  tableColumns,
  type PublicTenantTable,
  type TableShape,
} from './tenant-catalog';
import type { TenantMigrator } from './tenant-migrator';

/** Scratch schema the restored one is compared with (all of the code's migrations); never committed. */
const CHECK_SCHEMA = 'tenant_restorecheck00000';
const BATCH_ROWS = 500;
const BATCH_BYTES = 4 * 1024 * 1024;

export interface RestoreOptions {
  file: string;
  /** Restore as a new organization with this slug (a new id and schema) instead of over the original. */
  as?: string;
  /** Progress lines (stderr in the CLI). */
  report?: (line: string) => void;
}

export interface RestoreResult {
  tenant: { id: string; slug: string; schemaName: string; status: string };
  rows: number;
  /** Migrations the backup's rows were at (rebuilt from the code), and those applied after. */
  restoredAt: string[];
  migrated: string[];
  /** The backup's ledger did not describe its rows; `restoredAt` is what they fit. */
  reconciled: boolean;
  /** Shared tables left out of a copy (`as`): their rows are unique to the original (API keys, payments). */
  skipped: string[];
}

interface Target {
  id: string;
  slug: string;
  schema: string;
}

/**
 * `npm run tenant:restore`: puts a backup back in one transaction, so a failure leaves the
 * previous state. The schema is rebuilt by the code's own migrations up to where the backup's
 * rows were (its ledger, checked against the tables it recorded; when they disagree, the
 * migrations whose tables the rows fit win), the rows are loaded, the ledger is written to
 * match, and the remaining migrations run forward. A live tenant is suspended meanwhile.
 */
export class TenantRestorer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly migrator: TenantMigrator,
    private readonly publicMigrator: PublicMigrator,
  ) {}

  async restore(options: RestoreOptions): Promise<RestoreResult> {
    const report = options.report ?? (() => undefined);
    const pending = await this.publicMigrator.pending();
    if (pending.length) throw new Error(`${pending.length} public migration(s) pending: run npm run migrate first`);
    const { header, entries } = await openArchive(options.file);
    const known = new Set(this.migrator.migrations.map((m) => m.name));
    const unknown = header.ledger.map((r) => r.name).filter((name) => !known.has(name));
    if (unknown.length) {
      const names = unknown.join(', ');
      throw new Error(`the backup is newer than this code (knows nothing of ${names}): restore it with newer code`);
    }
    const id = options.as ? randomUUID() : header.tenant.id;
    const schema = options.as ? tenantSchemaFor(id) : assertTenantSchema(header.tenant.schema_name);
    const target: Target = { id, slug: options.as ?? header.tenant.slug, schema };
    const existing = await this.existing(target);
    if (existing?.status === 'ACTIVE') {
      await this.setStatus(id, 'SUSPENDED', 'restoring a backup');
      report(`restore: suspended ${target.slug} (${id})`);
    }
    let result: Omit<RestoreResult, 'tenant'>;
    try {
      // One transaction: any failure leaves the previous schema, rows and ledger untouched.
      result = await this.dataSource.transaction((manager) =>
        this.load(manager.queryRunner!, header, entries, target, !!options.as, report),
      );
    } catch (error) {
      if (existing) await this.setStatus(id, existing.status, existing.statusReason);
      throw error;
    }
    const status = existing?.status ?? header.tenant.status;
    const reason = existing ? existing.statusReason : ((header.tenant.status_reason as string | null) ?? null);
    await this.setStatus(id, status, reason);
    report(`restore: ${target.slug} is ${status} again`);
    await this.verifyServing(target, header.shape.length, report);
    return { tenant: { id, slug: target.slug, schemaName: target.schema, status }, ...result };
  }

  private async existing(target: Target): Promise<{ status: string; statusReason: string | null } | undefined> {
    const rows: { id: string; status: string; statusReason: string | null }[] = await this.dataSource.query(
      'SELECT id, status, status_reason AS "statusReason" FROM public.tenants WHERE id = $1 OR slug = $2',
      [target.id, target.slug],
    );
    const other = rows.find((r) => r.id !== target.id);
    if (other) {
      const owner = `another organization (${other.id})`;
      throw new Error(`the slug "${target.slug}" belongs to ${owner}: restore with --as <new-slug>`);
    }
    return rows[0];
  }

  private async setStatus(id: string, status: string, reason: string | null): Promise<void> {
    await this.dataSource.query(
      'UPDATE public.tenants SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1',
      [id, status, reason],
    );
  }

  private async load(
    runner: QueryRunner,
    header: ArchiveHeader,
    entries: AsyncGenerator<ArchiveEntry>,
    target: Target,
    copy: boolean,
    report: (line: string) => void,
  ): Promise<Omit<RestoreResult, 'tenant'>> {
    await runner.query('SELECT id FROM public.tenants WHERE id = $1 FOR UPDATE', [target.id]);
    const { names, reconciled } = await this.rebuild(runner, target.schema, header);
    if (reconciled) {
      const fit = versionOf(names) ?? 'no migration';
      const recorded = `${header.ledger.length} migrations`;
      report(`restore: the backup's ledger (${recorded}) does not describe its tables; they fit ${fit}`);
    }
    report(`restore: rebuilt ${target.schema} at ${versionOf(names) ?? 'no migration'}`);
    const qualified = (table: string) => `${quoteIdentifier(target.schema)}.${quoteIdentifier(table)}`;
    if (header.shape.length) await runner.query(`TRUNCATE ${header.shape.map((t) => qualified(t.name)).join(', ')}`);
    const foreignKeys = await schemaForeignKeys(runner, target.schema);
    for (const fk of foreignKeys) {
      await runner.query(`ALTER TABLE ${qualified(fk.table)} DROP CONSTRAINT ${quoteIdentifier(fk.name)}`);
    }
    await this.writeTenantRow(runner, header, target, names);

    const loader = new RowLoader(runner, target, copy, header.shape, await publicTenantTables(runner), report);
    for await (const entry of entries) {
      if (entry.tag === 'S') await loader.start(entry.section);
      else if (entry.tag === 'R') await loader.add(entry.json);
    }
    await loader.finish();
    for (const fk of foreignKeys) {
      const constraint = `${quoteIdentifier(fk.name)} ${fk.definition}`;
      await runner.query(`ALTER TABLE ${qualified(fk.table)} ADD CONSTRAINT ${constraint}`);
    }
    for (const seq of header.sequences) {
      const { name, lastValue, isCalled } = seq;
      await runner.query('SELECT setval($1::regclass, $2::bigint, $3)', [qualified(name), lastValue, isCalled]);
    }
    const appliedAt = new Map(header.ledger.map((r) => [r.name, r.appliedAt]));
    await runner.query('DELETE FROM public.tenant_migrations WHERE tenant_id = $1', [target.id]);
    for (const name of names) {
      await runner.query(
        `INSERT INTO public.tenant_migrations (tenant_id, name, applied_at)
         VALUES ($1, $2, COALESCE($3::timestamptz, now()))`,
        [target.id, name, appliedAt.get(name) ?? null],
      );
    }
    const migrated = await this.migrator.applyPending(runner, target.id);
    if (migrated.length) report(`restore: migrated forward: ${migrated.join(', ')}`);
    await this.verifyShape(runner, target.schema);
    const count = this.migrator.migrations.length;
    report(`restore: verified: ${target.schema} has every table and column of the code's ${count} migrations`);
    return { rows: loader.rows, restoredAt: names, migrated, reconciled, skipped: loader.skipped };
  }

  /**
   * Rebuilds the schema with the migrations the backup's ledger names. When the tables that gives
   * differ from those the backup recorded (its ledger was wrong: the restored-old-dump case),
   * the first prefix of the code's migrations whose tables match is taken instead.
   */
  private async rebuild(
    runner: QueryRunner,
    schema: string,
    header: ArchiveHeader,
  ): Promise<{ names: string[]; reconciled: boolean }> {
    const recorded = new Set(header.ledger.map((r) => r.name));
    const plan = this.migrator.migrations.filter((m) => recorded.has(m.name));
    await this.recreate(runner, schema);
    for (const entry of plan) await runMigration(entry, 'up', runner);
    let differences = shapeDifferences(header.shape, await schemaShape(runner, schema));
    if (!differences.length) return { names: plan.map((m) => m.name), reconciled: false };
    const firstDifferences = differences;
    await this.recreate(runner, schema);
    for (let i = 0; i <= this.migrator.migrations.length; i++) {
      if (i > 0) await runMigration(this.migrator.migrations[i - 1], 'up', runner);
      differences = shapeDifferences(header.shape, await schemaShape(runner, schema));
      if (!differences.length) {
        return { names: this.migrator.migrations.slice(0, i).map((m) => m.name), reconciled: true };
      }
    }
    throw new Error(`the backup's tables match no state of this code's migrations: ${firstDifferences.join('; ')}`);
  }

  private async recreate(runner: QueryRunner, schema: string): Promise<void> {
    await runner.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await runner.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
    await runner.query(`SELECT set_config('search_path', $1, true)`, [quoteIdentifier(schema)]);
  }

  /** The tenants row as backed up (id, slug and schema replaced for a copy), suspended until the restore commits. */
  private async writeTenantRow(runner: QueryRunner, header: ArchiveHeader, target: Target, names: string[]) {
    const row = {
      ...header.tenant,
      id: target.id,
      slug: target.slug,
      schema_name: target.schema,
      status: 'SUSPENDED',
      schema_version: versionOf(names),
      migration_error: null,
      updated_at: new Date().toISOString(),
    };
    const columns = await insertableColumns(runner, 'public', 'tenants', Object.keys(row));
    const list = columns.map(quoteIdentifier).join(', ');
    const update = columns.map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`).join(', ');
    await runner.query(
      `INSERT INTO public.tenants (${list}) SELECT ${list} FROM json_populate_record(NULL::public.tenants, $1::json)
       ON CONFLICT (id) DO UPDATE SET ${update}`,
      [JSON.stringify(row)],
    );
  }

  /** Doctor's question for this one tenant: does its schema hold exactly what the code's migrations create? */
  private async verifyShape(runner: QueryRunner, schema: string): Promise<void> {
    const actual = await schemaShape(runner, schema);
    await runner.query('SAVEPOINT restore_check');
    await this.recreate(runner, CHECK_SCHEMA);
    for (const entry of this.migrator.migrations) await runMigration(entry, 'up', runner);
    const expected = await schemaShape(runner, CHECK_SCHEMA);
    await runner.query('ROLLBACK TO SAVEPOINT restore_check');
    const differences = shapeDifferences(expected, actual);
    if (differences.length) {
      throw new Error(`the restored schema differs from this code's migrations: ${differences.join('; ')}`);
    }
  }

  /** After commit: the tenant's tables answer through a tenant transaction, as a request's would. */
  private async verifyServing(target: Target, tables: number, report: (line: string) => void): Promise<void> {
    const names: { name: string }[] = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p')`,
      [target.schema],
    );
    await runInSchema(this.dataSource, target.schema, async (_manager, runner) => {
      for (const { name } of names) await runner.query(`SELECT count(*) FROM ${quoteIdentifier(name)}`);
    });
    const [status] = await this.migrator.status(target.id);
    if (status?.state !== 'up_to_date') {
      throw new Error(`after the restore ${target.slug} is ${status?.state ?? 'missing'}`);
    }
    report(`restore: ${target.slug} is up to date; ${names.length} tables answer (the backup had ${tables})`);
  }
}

/** Of `wanted`, the columns the table has and that take inserts; refuses a column the table lacks. */
async function insertableColumns(runner: QueryRunner, schema: string, table: string, wanted: string[]) {
  const present = await tableColumns(runner, schema, table);
  if (!present) throw new Error(`the backup holds rows of ${schema}.${table}, which does not exist here`);
  const lacking = wanted.filter((c) => !present.includes(c));
  if (lacking.length) {
    const missing = lacking.join(', ');
    const hint = 'is this database older than the backup? run npm run migrate';
    throw new Error(`${schema}.${table} here has no column ${missing}: ${hint}`);
  }
  const generated: { name: string }[] = await runner.query(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attgenerated <> ''`,
    [`${quoteIdentifier(schema)}.${quoteIdentifier(table)}`],
  );
  return wanted.filter((c) => !generated.some((g) => g.name === c));
}

/** Loads the archive's rows table by table, in batches of one INSERT … SELECT FROM json_populate_recordset. */
class RowLoader {
  rows = 0;
  readonly skipped: string[] = [];
  private insert?: { sql: string; params: unknown[] } | null;
  private batch: string[] = [];
  private bytes = 0;
  private current?: { label: string; rows: number };

  constructor(
    private readonly runner: QueryRunner,
    private readonly target: Target,
    private readonly copy: boolean,
    private readonly shape: TableShape[],
    private readonly publicTables: PublicTenantTable[],
    private readonly report: (line: string) => void,
  ) {}

  async start(section: ArchiveSection): Promise<void> {
    await this.flush();
    this.end();
    const schema = section.part === 'tenant' ? this.target.schema : 'public';
    const into = `${quoteIdentifier(schema)}.${quoteIdentifier(section.table)}`;
    this.current = { label: `${section.part === 'public' ? 'public.' : ''}${section.table}`, rows: 0 };
    if (section.part === 'tenant' && !this.shape.some((t) => t.name === section.table)) {
      throw new Error(`unexpected table ${section.table}`);
    }
    const columns = await insertableColumns(this.runner, schema, section.table, section.columns);
    let conflict = '';
    let select = columns.map(quoteIdentifier);
    if (section.part === 'public' && section.table === 'users') {
      conflict = ' ON CONFLICT DO NOTHING'; // shared accounts: an existing user is kept as it is
    } else if (section.part === 'public') {
      const table = this.publicTables.find((t) => t.name === section.table);
      if (!table) throw new Error(`public.${section.table} holds no tenant rows here`);
      if (this.copy && table.globallyUnique) {
        this.skipped.push(section.table);
        this.insert = null;
        return;
      }
      const where = table.tenantColumns.map((c) => `${quoteIdentifier(c)} = $1`).join(' OR ');
      await this.runner.query(`DELETE FROM ${into} WHERE ${where}`, [this.target.id]);
      const remap = (c: string) =>
        table.tenantColumns.includes(c) ? `$2::uuid AS ${quoteIdentifier(c)}` : quoteIdentifier(c);
      select = columns.map(remap);
    }
    // OVERRIDING SYSTEM VALUE: identity columns keep the backed-up values.
    const sql = `INSERT INTO ${into} (${columns.map(quoteIdentifier).join(', ')}) OVERRIDING SYSTEM VALUE
                 SELECT ${select.join(', ')} FROM json_populate_recordset(NULL::${into}, $1::json)${conflict}`;
    this.insert = { sql, params: section.part === 'public' && conflict === '' ? [this.target.id] : [] };
  }

  async add(json: string): Promise<void> {
    if (this.insert === undefined) throw new Error('a row before any table');
    if (this.current) this.current.rows += 1;
    if (this.insert === null) return;
    this.batch.push(json);
    this.bytes += json.length;
    if (this.batch.length >= BATCH_ROWS || this.bytes >= BATCH_BYTES) await this.flush();
  }

  async finish(): Promise<void> {
    await this.flush();
    this.end();
  }

  async flush(): Promise<void> {
    if (!this.batch.length || !this.insert) return;
    await this.runner.query(this.insert.sql, [`[${this.batch.join(',')}]`, ...this.insert.params]);
    this.rows += this.batch.length;
    this.batch = [];
    this.bytes = 0;
  }

  private end(): void {
    if (!this.current) return;
    const note = this.insert === null ? ' (left out of a copy: unique to the original)' : '';
    this.report(`restore: ${this.current.label} ${this.current.rows} rows${note}`);
  }
}
