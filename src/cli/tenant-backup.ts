import 'reflect-metadata';
import { loadProcessConfig } from '../core/config/config';
import { isUuid, SLUG_PATTERN } from '../core/tenancy/tenant-schema';
import { CliUsageError, openCliDatabase, parseCliArgs, runCliMain } from './cli-database';
import { refuseNpmSwallowedFlags } from './npm-flags';

const USAGE = `Usage: tenant:backup --tenant ID|SLUG [--file FILE]

Writes one file holding the tenant's schema rows, its rows in shared tables (the tenants row,
memberships and their users, subscription, usage counters, API keys, invitations, payments, channels)
and its migration ledger, read in one transaction. Restore it with tenant:restore.

Options:
  --tenant ID|SLUG  the organization (required)
  --file FILE       where to write (default: <slug>-<timestamp>.tqbackup in the current directory)
  --help            this text

Exit codes: 0 written, 1 failed (no file is left behind), 2 usage or configuration error.`;

async function main(): Promise<number> {
  if (refuseNpmSwallowedFlags('tenant:backup', { tenant: 'value', file: 'value' })) return 2;
  const values = parseCliArgs(process.argv.slice(2), ['tenant', 'file']);
  if (!values) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const tenant = values.tenant?.trim();
  if (!tenant || !(isUuid(tenant) || SLUG_PATTERN.test(tenant))) {
    throw new CliUsageError('--tenant <id or slug> is required (see --help)');
  }
  const config = loadProcessConfig();
  const { backupTenant } = await import('../modules/tenants/tenant-backup');
  const db = await openCliDatabase(config, 'tenant-backup', 2);
  try {
    const file = values.file ?? `${tenant}-${new Date().toISOString().replace(/[:.]/g, '-')}.tqbackup`;
    const progress = (table: string, rows: number) => process.stderr.write(`backup: ${table} ${rows} rows\n`);
    const result = await backupTenant(db.dataSource, tenant, file, progress);
    const { slug, id } = result.tenant;
    const counts = `${result.tables} tables, ${result.rows} rows`;
    process.stdout.write(`backup: ${slug} (${id}) written to ${result.file}: ${counts}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

runCliMain('tenant:backup', main);
