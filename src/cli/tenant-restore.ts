import 'reflect-metadata';
import { loadProcessConfig } from '../core/config/config';
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../core/tenancy/tenant-schema';
import { CliUsageError, openCliDatabase, parseCliArgs, runCliMain } from './cli-database';
import { refuseNpmSwallowedFlags } from './npm-flags';

const USAGE = `Usage: tenant:restore --file FILE [--as NEW-SLUG]

Restores a tenant:backup file in one transaction: suspends the organization, rebuilds its schema at
the backup's migrations, loads the rows, writes the ledger to match, migrates forward, puts the status
back and verifies the tenant. A failure leaves everything as it was. Public migrations must be applied
first (npm run migrate).

Options:
  --file FILE      the backup (required)
  --as NEW-SLUG    restore as a new organization (new id and schema) beside the original; rows that are
                   unique to the original (API keys, invitations, payments, channels) are left out
  --help           this text

Exit codes: 0 restored and verified, 1 failed (nothing changed), 2 usage or configuration error.`;

async function main(): Promise<number> {
  if (refuseNpmSwallowedFlags('tenant:restore', { file: 'value', as: 'value' })) return 2;
  const values = parseCliArgs(process.argv.slice(2), ['file', 'as']);
  if (!values) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.file) throw new CliUsageError('--file <backup> is required (see --help)');
  if (values.as !== undefined && (values.as.length > SLUG_MAX_LENGTH || !SLUG_PATTERN.test(values.as))) {
    throw new CliUsageError(`--as must be a slug (lowercase letters, digits, single hyphens), got "${values.as}"`);
  }
  const config = loadProcessConfig();
  const [{ TenantMigrator }, { TenantRestorer }, { PublicMigrator }] = await Promise.all([
    import('../modules/tenants'),
    import('../modules/tenants/tenant-restore'),
    import('../core/database/public-migrator'),
  ]);
  const db = await openCliDatabase(config, 'tenant-restore', 2);
  try {
    const { dataSource } = db;
    const restorer = new TenantRestorer(dataSource, new TenantMigrator(dataSource), new PublicMigrator(dataSource));
    const report = (line: string) => process.stderr.write(`${line}\n`);
    const result = await restorer.restore({ file: values.file, as: values.as, report });
    const { tenant } = result;
    process.stdout.write(
      `restore: ${tenant.slug} (${tenant.id}, ${tenant.schemaName}) restored from ${values.file}: ` +
        `${result.rows} rows, ${result.restoredAt.length} migrations from the backup, ` +
        `${result.migrated.length} applied since, status ${tenant.status}\n`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

runCliMain('tenant:restore', main);
