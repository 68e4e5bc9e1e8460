import type { DataSource, QueryRunner } from 'typeorm';
import { entities } from '../../app/entities';
import { createDataSource } from '../../core/database/data-source';
import { loadMigrations, migrationDirs, type MigrationEntry } from '../../core/database/migration-set';
import { inRolledBackTransaction, PublicMigrator } from '../../core/database/public-migrator';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { TenantMigrator } from './tenant-migrator';
import { TenantService } from './tenant.service';

const SLUGS = ['t-one', 't-two', 't-three', 't-four', 't-five'];
const ADD_NOTES = 'AddNotes1790000000000';

const exists = async (q: QueryRunner, relation: string): Promise<boolean> =>
  (await q.query('SELECT to_regclass($1) IS NOT NULL AS present', [relation]))[0].present;

/** Creates `notes`, unless the tenant's schema holds a `fail_marker` table: then it fails. */
const addNotes: MigrationEntry = {
  name: ADD_NOTES,
  timestamp: 1790000000000,
  migration: {
    up: async (q) => {
      if (await exists(q, 'fail_marker')) throw new Error('fail_marker present');
      await q.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
    },
    down: async (q) => {
      await q.query('DROP TABLE notes');
    },
  },
};

/** Merged later but with an older timestamp than `addNotes`: the case a "newest name" version misses. */
const olderGap: MigrationEntry = {
  name: 'AddTags1780000000000',
  timestamp: 1780000000000,
  migration: {
    up: async (q) => {
      await q.query('CREATE TABLE tags (name text PRIMARY KEY)');
    },
    down: async (q) => {
      await q.query('DROP TABLE tags');
    },
  },
};

describe('tenant migrations (real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const base = loadMigrations(migrationDirs.tenant);
  const baseNames = base.map((m) => m.name);
  let original: TenantMigrator;
  let withNotes: TenantMigrator;
  const tenants: Record<string, { id: string; schemaName: string }> = {};

  const tableIn = async (slug: string, table: string): Promise<boolean> =>
    (
      await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [
        `"${tenants[slug].schemaName}".${table}`,
      ])
    )[0].present;
  const row = async (slug: string) =>
    (
      await dataSource.query('SELECT schema_version, migration_error FROM public.tenants WHERE slug = $1', [slug])
    )[0] as {
      schema_version: string | null;
      migration_error: string | null;
    };
  const ledger = async (slug: string): Promise<string[]> =>
    (
      await dataSource.query('SELECT name FROM public.tenant_migrations WHERE tenant_id = $1 ORDER BY name', [
        tenants[slug].id,
      ])
    ).map((r: { name: string }) => r.name);

  beforeEach(async () => {
    database = await createTestDatabase();
    dataSource = createDataSource({
      url: database.url,
      entities,
      pool: { poolMax: 10, poolMaxUses: 0, poolMaxLifetimeSeconds: 0 },
    });
    await dataSource.initialize();
    original = new TenantMigrator(dataSource, base);
    withNotes = new TenantMigrator(dataSource, [...base, addNotes]);
    const service = new TenantService(dataSource, original, {
      databaseUrl: database.url,
      backupDir: '/tmp',
      pgDumpPath: 'pg_dump',
    });
    for (const slug of SLUGS) tenants[slug] = await service.provision({ name: slug, slug });
  });
  afterEach(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('migrates every tenant but the failing one, records the failure, and a rerun after the fix resumes', async () => {
    await dataSource.query(`CREATE TABLE "${tenants['t-three'].schemaName}".fail_marker (id int)`);
    const seen: string[] = [];
    const first = await withNotes.migrateAll({ concurrency: 3, onResult: (r) => seen.push(r.tenant.slug) });

    expect(first).toMatchObject({ total: 5, changed: 4, unchanged: 0 });
    expect(first.failed.map((f) => [f.tenant.slug, f.error])).toEqual([
      ['t-three', `${ADD_NOTES}: fail_marker present`],
    ]);
    expect(seen.sort()).toEqual([...SLUGS].sort());
    for (const slug of SLUGS.filter((s) => s !== 't-three')) {
      expect(await tableIn(slug, 'notes')).toBe(true);
      expect(await ledger(slug)).toEqual([...baseNames, ADD_NOTES].sort());
      expect(await row(slug)).toEqual({ schema_version: withNotes.latestVersion, migration_error: null });
    }
    expect(await tableIn('t-three', 'notes')).toBe(false);
    expect(await ledger('t-three')).toEqual([...baseNames].sort());
    expect(await row('t-three')).toEqual({
      schema_version: original.latestVersion,
      migration_error: `${ADD_NOTES}: fail_marker present`,
    });

    await dataSource.query(`DROP TABLE "${tenants['t-three'].schemaName}".fail_marker`);
    const rerun = await withNotes.migrateAll();
    expect(rerun).toMatchObject({ total: 1, changed: 1, unchanged: 0, failed: [] });
    expect(await tableIn('t-three', 'notes')).toBe(true);
    expect(await row('t-three')).toEqual({ schema_version: withNotes.latestVersion, migration_error: null });
  });

  it('issues exactly one query when no tenant is behind', async () => {
    await withNotes.migrateAll();
    const logQuery = jest.spyOn(dataSource.logger, 'logQuery');
    const summary = await withNotes.migrateAll();
    expect(summary).toMatchObject({ total: 0, changed: 0, ahead: 0, failed: [] });
    expect(logQuery).toHaveBeenCalledTimes(1);
    expect(logQuery.mock.calls[0][0]).toContain('schema_version IS NOT DISTINCT FROM');
    logQuery.mockRestore();
  });

  it('clears a stale error: a tenant that is up to date since does not stay failed', async () => {
    await dataSource.query(`CREATE TABLE "${tenants['t-three'].schemaName}".fail_marker (id int)`);
    expect((await withNotes.migrateAll()).failed).toHaveLength(1);
    expect((await withNotes.status('t-three'))[0]).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('fail_marker'),
    });
    // Repaired and migrated by a path that does not go through migrateAll (the revert + up, a restore, a hand
    // fix).
    await dataSource.query(`DROP TABLE "${tenants['t-three'].schemaName}".fail_marker`);
    await withNotes.migrateTenant({ ...tenants['t-three'], slug: 't-three', schemaVersion: null });
    await dataSource.query('UPDATE public.tenants SET migration_error = $2 WHERE id = $1', [
      tenants['t-three'].id,
      'stale',
    ]);
    // Readers do not show it, and the next run (or --retry-failed) clears it.
    expect((await withNotes.status('t-three'))[0]).toMatchObject({ state: 'up_to_date', error: null });
    expect(await withNotes.migrateAll()).toMatchObject({ total: 0, failed: [] });
    expect(await row('t-three')).toEqual({ schema_version: withNotes.latestVersion, migration_error: null });

    await dataSource.query('UPDATE public.tenants SET migration_error = $2 WHERE id = $1', [
      tenants['t-three'].id,
      'stale',
    ]);
    const retried = await withNotes.migrateAll({ retryFailed: true });
    expect(retried).toMatchObject({ total: 1, changed: 0, unchanged: 1, failed: [] });
    expect(await row('t-three')).toEqual({ schema_version: withNotes.latestVersion, migration_error: null });
  });

  it('applies a migration merged with an older timestamp than the newest applied one', async () => {
    await withNotes.migrateAll();
    const merged = new TenantMigrator(dataSource, [...base, olderGap, addNotes]);
    expect(await merged.tenantsBehind()).toHaveLength(5);
    expect(await merged.migrateAll()).toMatchObject({ total: 5, changed: 5, failed: [] });
    for (const slug of SLUGS) expect(await tableIn(slug, 'tags')).toBe(true);
    expect(await merged.tenantsBehind()).toEqual([]);
  });

  it('keeps two concurrent runs from applying a migration twice', async () => {
    const other = new TenantMigrator(dataSource, [...base, addNotes]);
    const [a, b] = await Promise.all([withNotes.migrateAll({ concurrency: 2 }), other.migrateAll({ concurrency: 2 })]);
    expect([...a.failed, ...b.failed]).toEqual([]);
    // A tenant listed by both runs is migrated by the first to lock it; the second finds the work done.
    expect(a.changed + b.changed).toBe(5);
    for (const slug of SLUGS) expect(await ledger(slug)).toEqual([...baseNames, ADD_NOTES].sort());
  });

  it('reports applied and pending migrations per tenant, and flags tenants ahead of the code', async () => {
    await withNotes.migrateAll({ tenant: 't-two' });
    const status = await withNotes.status();
    expect(status.map((s) => s.tenant.slug)).toEqual(SLUGS);
    const bySlug = Object.fromEntries(status.map((s) => [s.tenant.slug, s]));
    expect(bySlug['t-two']).toMatchObject({
      status: 'ACTIVE',
      applied: [...baseNames, ADD_NOTES],
      pending: [],
      unknown: [],
      error: null,
    });
    expect(bySlug['t-one']).toMatchObject({ applied: baseNames, pending: [ADD_NOTES], unknown: [] });

    const [ahead] = await original.status('t-two');
    expect(ahead).toMatchObject({ applied: baseNames, pending: [], unknown: [ADD_NOTES] });
    expect(ahead.state).toBe('ahead');
    // Older code leaves a schema it does not fully know alone (the others are current for it): counted ahead, no error
    // stored.
    const skipped = await original.migrateAll();
    expect(skipped).toMatchObject({ total: 0, changed: 0, ahead: 1, failed: [] });
    expect(await row('t-two')).toEqual({ schema_version: withNotes.latestVersion, migration_error: null });
    // Rolling forward again: the newer code finds it current and migrates only the others.
    expect(await withNotes.migrateAll()).toMatchObject({ total: 4, changed: 4, ahead: 0, failed: [] });
    expect((await withNotes.status()).map((s) => s.state)).toEqual(SLUGS.map(() => 'up_to_date'));
  });

  it('summarises tenants per state, naming only the first ones of each, oldest first', async () => {
    await dataSource.query(`CREATE TABLE "${tenants['t-three'].schemaName}".fail_marker (id int)`);
    await withNotes.migrateAll({ tenant: 't-two' });
    await withNotes.migrateAll({ tenant: 't-three' });
    const summary = await withNotes.statusSummary(2);
    expect(summary.counts).toEqual({ up_to_date: 1, behind: 3, ahead: 0, failed: 1 });
    expect(summary.first.behind.map((t) => t.slug)).toEqual(['t-one', 't-four']);
    expect(summary.first.failed).toEqual([
      expect.objectContaining({ slug: 't-three', error: `${ADD_NOTES}: fail_marker present` }),
    ]);
    // Older code: t-two is ahead, and the summary names what it does not know.
    expect((await original.statusSummary(5)).first.ahead).toEqual([
      expect.objectContaining({ slug: 't-two', unknown: [ADD_NOTES] }),
    ]);
  });

  it('reverts one step for one tenant, then for all', async () => {
    await withNotes.migrateAll();
    const one = await withNotes.revertLast({ tenant: 't-one' });
    expect(one).toMatchObject({ total: 1, changed: 1, failed: [] });
    expect(await tableIn('t-one', 'notes')).toBe(false);
    expect(await ledger('t-one')).toEqual([...baseNames].sort());
    expect((await row('t-one')).schema_version).toBe(original.latestVersion);
    expect(await withNotes.tenantsBehind()).toEqual([expect.objectContaining({ slug: 't-one' })]);

    const results: Record<string, string[]> = {};
    const all = await withNotes.revertLast({ onResult: (r) => (results[r.tenant.slug] = r.changed) });
    expect(all).toMatchObject({ total: 5, changed: 5, failed: [] });
    expect(results['t-one']).toEqual([baseNames[baseNames.length - 1]]);
    for (const slug of SLUGS.filter((s) => s !== 't-one')) {
      expect(results[slug]).toEqual([ADD_NOTES]);
      expect(await tableIn(slug, 'notes')).toBe(false);
    }
  });

  it('previews pending SQL without changing the database', async () => {
    await withNotes.migrateAll({ tenant: 't-one' });
    const extraPublic: MigrationEntry = {
      name: 'AddAudit1790000000000',
      timestamp: 1790000000000,
      migration: {
        up: (q) => q.query('CREATE TABLE public.audit (id int)'),
        down: (q) => q.query('DROP TABLE public.audit'),
      },
    };
    const publicMigrator = new PublicMigrator(dataSource, [...loadMigrations(migrationDirs.public), extraPublic]);
    const snapshot = () =>
      dataSource.query(
        `SELECT (SELECT json_agg(nspname ORDER BY nspname) FROM pg_namespace) AS schemas,
                (SELECT json_agg(table_schema || '.' || table_name ORDER BY 1) FROM information_schema.tables) AS tables,
                (SELECT json_agg(t ORDER BY t.slug) FROM public.tenants t) AS tenants,
                (SELECT json_agg(m ORDER BY m.tenant_id, m.name) FROM public.tenant_migrations m) AS ledger,
                (SELECT json_agg(s ORDER BY s.name) FROM public.schema_migrations s) AS public_ledger`,
      );
    const before = await snapshot();

    const preview = await inRolledBackTransaction(dataSource, async (runner) => ({
      public: await publicMigrator.previewPending(runner),
      tenant: await withNotes.previewPending(runner),
    }));
    expect(preview.public).toEqual([
      { name: 'AddAudit1790000000000', statements: ['CREATE TABLE public.audit (id int);'] },
    ]);
    expect(preview.tenant.map((m) => m.name)).toEqual([ADD_NOTES]);
    expect(preview.tenant[0].statements.join('\n')).toContain('CREATE TABLE notes');
    expect(await withNotes.pendingSql()).toEqual(preview.tenant);
    expect(await snapshot()).toEqual(before);

    await withNotes.migrateAll();
    expect(await withNotes.pendingSql()).toEqual([]);
  });
});
