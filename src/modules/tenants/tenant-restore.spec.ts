import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { PublicMigrator } from '../../core/database/public-migrator';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../../test/support/test-database';
import { backupTenant } from './tenant-backup';
import { TenantMigrator } from './tenant-migrator';
import { TenantRestorer } from './tenant-restore';
import { TenantService } from './tenant.service';

describe('tenant restore reconciles the ledger with the tables (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 4);
    migrator = new TenantMigrator(dataSource);
    dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-restore-'));
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a tenant whose ledger says current but whose tables are older (the old restore bug) comes back migrated', async () => {
    const service = new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: dir,
      pgDumpPath: 'pg_dump',
    });
    const tenant = await service.provision({ name: 'Broken', slug: 'broken' });
    const last = migrator.migrations[migrator.migrations.length - 1];
    // What restoring an old pg_dump left: the last migration's change undone, the ledger untouched.
    await dataSource.transaction(async (em) => {
      await em.query(`SELECT set_config('search_path', $1, true)`, [`"${tenant.schemaName}"`]);
      await last.migration.down(em.queryRunner!);
    });
    expect((await migrator.status('broken'))[0].state).toBe('up_to_date'); // the ledger cannot tell

    const file = path.join(dir, 'broken.tqbackup');
    await backupTenant(dataSource, 'broken', file);
    const lines: string[] = [];
    const result = await new TenantRestorer(dataSource, migrator, new PublicMigrator(dataSource)).restore({
      file,
      report: (l) => lines.push(l),
    });

    expect(result).toMatchObject({ reconciled: true, migrated: [last.name], skipped: [] });
    expect(result.restoredAt).toEqual(migrator.migrations.slice(0, -1).map((m) => m.name));
    expect(lines).toContain(`restore: migrated forward: ${last.name}`);
    const [{ terms }] = await dataSource.query(
      `SELECT payment_terms_days AS terms FROM "${tenant.schemaName}".business_settings`,
    );
    expect(terms).toBe(30);
    expect((await migrator.status('broken'))[0]).toMatchObject({ state: 'up_to_date', status: 'ACTIVE' });
  });

  it('refuses a backup newer than the code and leaves the tenant as it was', async () => {
    const service = new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: dir,
      pgDumpPath: 'pg_dump',
    });
    const tenant = await service.provision({ name: 'Newer', slug: 'newer' });
    await dataSource.query(
      `INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, 'FromTheFuture1999000000000')`,
      [tenant.id],
    );
    const file = path.join(dir, 'newer.tqbackup');
    await backupTenant(dataSource, 'newer', file);
    const restorer = new TenantRestorer(dataSource, migrator, new PublicMigrator(dataSource));
    await expect(restorer.restore({ file })).rejects.toThrow(
      /the backup is newer than this code \(knows nothing of FromTheFuture1999000000000\)/,
    );
    expect((await migrator.status('newer'))[0]).toMatchObject({ status: 'ACTIVE', state: 'ahead' });
  });
});
