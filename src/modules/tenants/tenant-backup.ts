import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../../core/database/public-migrator';
import { assertTenantSchema, quoteIdentifier } from '../../core/tenancy/tenant-schema';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  ArchiveWriter,
  type ArchiveHeader,
  type ArchiveSection,
  type LedgerRow,
} from './tenant-archive';
import { publicTenantTables, schemaSequences, schemaShape, tableColumns, userColumns } from './tenant-catalog';

const run = promisify(execFile);

/** `pg_dump -n <schema>` in custom format; restore with `pg_restore -d <url> <file>`. */
export async function dumpTenantSchema(
  pgDump: string,
  databaseUrl: string,
  schema: string,
  dir: string,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.resolve(
    dir,
    `${assertTenantSchema(schema)}-${new Date().toISOString().replace(/[:.]/g, '-')}.dump`,
  );
  await run(pgDump, ['--format=custom', '--no-owner', '--schema', schema, '--file', file, '--dbname', databaseUrl], {
    timeout: 10 * 60_000,
  });
  return file;
}

/** Rows fetched per round trip while a table streams into the file. */
const FETCH_ROWS = 500;

export interface BackupResult {
  file: string;
  tenant: { id: string; slug: string; schemaName: string };
  tables: number;
  rows: number;
}

/**
 * `npm run tenant:backup`: the tenant's schema rows, its rows in shared tables (every `public`
 * table with a foreign key to `public.tenants`, plus the users they name) and its migration ledger,
 * all read in ONE repeatable-read transaction, so ledger and rows describe the same moment. Works
 * over the app's own connection (a pooler too: it is one transaction), whatever the server version.
 */
export async function backupTenant(
  dataSource: DataSource,
  ref: string,
  file: string,
  onTable: (table: string, rows: number) => void = () => undefined,
): Promise<BackupResult> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  let writer: ArchiveWriter | undefined;
  try {
    await runner.query('START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [tenant]: ArchiveHeader['tenant'][] = await runner
      .query(`SELECT row_to_json(t)::text AS json FROM public.tenants t WHERE t.id::text = $1 OR t.slug = $1`, [ref])
      .then((rows: { json: string }[]) => rows.map((r) => JSON.parse(r.json)));
    if (!tenant) throw new Error(`no tenant with id or slug "${ref}"`);
    const schema = assertTenantSchema(tenant.schema_name);
    const [{ version }]: { version: string }[] = await runner.query(
      `SELECT current_setting('server_version') AS version`,
    );
    const ledger: LedgerRow[] = await runner.query(
      `SELECT name, to_json(applied_at) #>> '{}' AS "appliedAt" FROM public.tenant_migrations
        WHERE tenant_id = $1 ORDER BY applied_at, name`,
      [tenant.id],
    );
    const shape = await schemaShape(runner, schema);
    writer = await ArchiveWriter.create(file, {
      format: ARCHIVE_FORMAT,
      version: ARCHIVE_VERSION,
      createdAt: new Date().toISOString(),
      serverVersion: version,
      tenant,
      ledger,
      shape,
      sequences: await schemaSequences(runner, schema),
    });
    const copy = async (section: ArchiveSection, from: string, params: unknown[] = []) => {
      await writer!.section(section);
      const sql = `SELECT row_to_json(x)::text AS json FROM ${from}`;
      const rows = await streamRows(runner, sql, params, (json) => writer!.row(json));
      onTable(`${section.part === 'public' ? 'public.' : ''}${section.table}`, rows);
    };
    for (const table of shape) {
      const columns = table.columns.map((c) => c[0]);
      const from = `${quoteIdentifier(schema)}.${quoteIdentifier(table.name)} x`;
      await copy({ part: 'tenant', table: table.name, columns }, from);
    }
    const tables = await publicTenantTables(runner);
    const users = await usersOf(runner, tables);
    const userColumnNames = (await tableColumns(runner, 'public', 'users'))!;
    const userSection: ArchiveSection = { part: 'public', table: 'users', columns: userColumnNames };
    await copy(userSection, `public.users x WHERE x.id IN (${users})`, [tenant.id]);
    for (const table of tables) {
      const where = table.tenantColumns.map((c) => `x.${quoteIdentifier(c)} = $1`).join(' OR ');
      const columns = (await tableColumns(runner, 'public', table.name))!;
      const from = `public.${quoteIdentifier(table.name)} x WHERE ${where}`;
      await copy({ part: 'public', table: table.name, columns }, from, [tenant.id]);
    }
    const trailer = await writer.finish();
    await runner.query('COMMIT');
    const written = { id: tenant.id, slug: tenant.slug, schemaName: schema };
    return { file, tenant: written, tables: trailer.sections, rows: trailer.rows };
  } catch (error) {
    await runner.query('ROLLBACK').catch(() => undefined);
    await writer?.abort();
    throw error;
  } finally {
    await runner.release();
  }
}

/** A subquery of every user a tenant's shared rows name (members, inviters, key creators); `$1` is the tenant id. */
async function usersOf(db: Queryable, tables: { name: string; tenantColumns: string[] }[]): Promise<string> {
  const parts: string[] = [];
  for (const table of tables) {
    const where = table.tenantColumns.map((c) => `${quoteIdentifier(c)} = $1`).join(' OR ');
    for (const column of await userColumns(db, table.name)) {
      parts.push(`SELECT ${quoteIdentifier(column)} FROM public.${quoteIdentifier(table.name)} WHERE ${where}`);
    }
  }
  return parts.length ? parts.join(' UNION ') : 'SELECT NULL::uuid';
}

/** Streams a query's `json` column through a cursor (inside the caller's transaction), FETCH_ROWS at a time. */
async function streamRows(db: Queryable, sql: string, params: unknown[], each: (json: string) => Promise<void>) {
  await db.query(`DECLARE backup_rows NO SCROLL CURSOR FOR ${sql}`, params);
  let count = 0;
  for (;;) {
    const rows: { json: string }[] = await db.query(`FETCH ${FETCH_ROWS} FROM backup_rows`);
    for (const row of rows) await each(row.json);
    count += rows.length;
    if (rows.length < FETCH_ROWS) break;
  }
  await db.query('CLOSE backup_rows');
  return count;
}
