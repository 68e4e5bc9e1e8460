import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { TenantMigrator } from '../modules/tenants';
import { runCli } from '../../test/support/run-cli';
import { startTestApp, type TestApp } from '../../test/support/test-app';
import { databaseUrl, withAdmin } from '../../test/support/test-database';

/** What operators run: `npm run tenant:backup -- …` / `npm run tenant:restore -- …` (from sources here). */
const backup = (env: Record<string, string>, ...args: string[]) => runCli('src/cli/tenant-backup.ts', args, env);
const restore = (env: Record<string, string>, ...args: string[]) => runCli('src/cli/tenant-restore.ts', args, env);

const CUSTOMERS = '{ customers(first: 10) { edges { node { name } } } tenantSettings { paymentTermsDays } }';
type Answer = { customers: { edges: { node: { name: string } }[] }; tenantSettings: { paymentTermsDays: number } };

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

// Several child processes (ts-node) per test: generous on a busy machine.
jest.setTimeout(180_000);

describe('tenant:backup and tenant:restore (child processes, real PostgreSQL)', () => {
  let app: TestApp;
  let migrator: TenantMigrator;
  let dir: string;
  let file: string;
  let acme: { id: string; schemaName: string };
  let env: Record<string, string>;
  const names = () => migrator.migrations.map((m) => m.name);
  const last = () => names()[names().length - 1];
  const ledger = async (url: string, tenantId: string) =>
    (
      await query<{ name: string }>(
        url,
        'SELECT name FROM public.tenant_migrations WHERE tenant_id = $1 ORDER BY name',
        [tenantId],
      )
    ).map((r) => r.name);
  const customersOf = async (org: string) => {
    const answer = await app.gql<Answer, never>(CUSTOMERS, undefined, { org });
    expect(answer.errors).toBeUndefined();
    return {
      names: answer.data!.customers.edges.map((e) => e.node.name).sort(),
      terms: answer.data!.tenantSettings.paymentTermsDays,
    };
  };

  beforeAll(async () => {
    app = await startTestApp();
    env = { DATABASE_URL: app.databaseUrl };
    migrator = new TenantMigrator(app.dataSource);
    dir = mkdtempSync(path.join(os.tmpdir(), 'tenantql-backup-'));
    file = path.join(dir, 'acme.tqbackup');
    acme = await app.createTenant('acme');
    // The dump is taken one migration before the code's last one.
    expect((await migrator.revertLast({ tenant: 'acme' })).failed).toEqual([]);
    for (const name of ['Ada', 'Grace']) {
      expect(
        (await app.gql(`mutation { createCustomer(input: {name: "${name}"}) { id } }`, undefined, { org: 'acme' }))
          .errors,
      ).toBeUndefined();
    }

    const taken = await backup(env, '--tenant', 'acme', '--file', file);
    expect(taken.stderr).toContain(`backup: customers 2 rows\n`);
    expect(taken).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^backup: acme \(.+\) written to .+: \d+ tables, \d+ rows\n$/),
    });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores an older dump over the live tenant: suspended meanwhile, migrated forward, the API answers', async () => {
    await migrator.migrateAll({ tenant: 'acme' });
    await app.gql('mutation { createCustomer(input: {name: "Later"}) { id } }', undefined, { org: 'acme' });
    expect((await customersOf('acme')).names).toEqual(['Ada', 'Grace', 'Later']);

    const run = await restore(env, '--file', file);
    expect(run.stderr).toContain(`restore: suspended acme (${acme.id})\n`);
    expect(run.stderr).toContain(`restore: migrated forward: ${last()}\n`);
    expect(run.stderr).toContain('restore: acme is ACTIVE again\n');
    expect(run).toMatchObject({
      code: 0,
      stdout: expect.stringContaining(`restore: acme (${acme.id}, ${acme.schemaName}) restored from ${file}`),
    });
    // The state of the backup, brought up to the code: the column the last migration adds is there.
    expect(await customersOf('acme')).toEqual({ names: ['Ada', 'Grace'], terms: 30 });
    expect(await ledger(app.databaseUrl, acme.id)).toEqual([...names()].sort());
    const [status] = await migrator.status('acme');
    expect(status).toMatchObject({ state: 'up_to_date', status: 'ACTIVE', error: null });

    const doctor = await runCli(
      'src/cli/doctor.ts',
      ['--timeout-ms', '3000'],
      { NODE_ENV: 'development', ...env },
      { isolated: true },
    );
    expect(doctor.stdout).toMatch(/^✓ tenant migrations +1 tenant\(s\): 0 behind, 0 failed, 0 ahead/m);
  });

  it('restores into a fresh database (after npm run migrate): the ledger is the one the schema has', async () => {
    const name = `${app.databaseUrl.split('/').pop()}_fresh`;
    await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
    const fresh = { DATABASE_URL: databaseUrl(name) };
    try {
      const refused = await restore(fresh, '--file', file);
      expect(refused).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/public migration\(s\) pending: run npm run migrate first\n$/),
      });
      expect((await runCli('src/cli/migrate.ts', ['up'], fresh)).code).toBe(0);

      const run = await restore(fresh, '--file', file);
      expect(run.code).toBe(0);
      expect(await ledger(fresh.DATABASE_URL, acme.id)).toEqual([...names()].sort());
      const [tenant] = await query<{ schema_version: string; status: string }>(
        fresh.DATABASE_URL,
        'SELECT schema_version, status FROM public.tenants',
      );
      expect(tenant).toEqual({ schema_version: migrator.latestVersion, status: 'ACTIVE' });
      const customers = await query<{ name: string }>(
        fresh.DATABASE_URL,
        `SELECT name FROM "${acme.schemaName}".customers ORDER BY name`,
      );
      expect(customers.map((c) => c.name)).toEqual(['Ada', 'Grace']);
      const shared = await query<{ subscriptions: number; counters: number }>(
        fresh.DATABASE_URL,
        'SELECT (SELECT count(*)::int FROM public.subscriptions) AS subscriptions, (SELECT count(*)::int FROM public.usage_counters) AS counters',
      );
      expect(shared[0].subscriptions).toBe(1);
      expect(shared[0].counters).toBeGreaterThan(0);
      const status = await runCli('src/cli/migrate.ts', ['status', '--tenants-only'], fresh);
      expect(status.stdout).toContain('1 tenants: 1 up to date, 0 behind, 0 ahead, 0 failed\n');
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('restores a copy beside the original with --as, and refuses a taken slug', async () => {
    const run = await restore(env, '--file', file, '--as', 'acme-copy');
    expect(run.code).toBe(0);
    expect(await customersOf('acme-copy')).toEqual({ names: ['Ada', 'Grace'], terms: 30 });
    const [copy] = await migrator.status('acme-copy');
    expect(copy.tenant.id).not.toBe(acme.id);
    expect(copy.state).toBe('up_to_date');

    const taken = await restore(env, '--file', file, '--as', 'acme-copy');
    expect(taken).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('the slug "acme-copy" belongs to another organization'),
    });
  });

  it('leaves the previous state when a restore fails (a truncated file), and refuses bad usage with exit 2', async () => {
    const before = await customersOf('acme');
    const truncated = path.join(dir, 'truncated.tqbackup');
    const bytes = readFileSync(file);
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.8)));
    const failed = await restore(env, '--file', truncated);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^tenant:restore: .*(truncated|unexpected end of file).*$/m);
    expect(await customersOf('acme')).toEqual(before);
    expect((await migrator.status('acme'))[0]).toMatchObject({ status: 'ACTIVE', state: 'up_to_date' });

    const [noFile, noTenant, unknown] = await Promise.all([
      restore(env),
      backup(env),
      backup(env, '--tenant', 'nobody', '--file', path.join(dir, 'x')),
    ]);
    expect(noFile).toMatchObject({ code: 2, stderr: 'tenant:restore: --file <backup> is required (see --help)\n' });
    expect(noTenant).toMatchObject({ code: 2 });
    expect(unknown).toMatchObject({ code: 1, stderr: 'tenant:backup: no tenant with id or slug "nobody"\n' });
    expect(() => readFileSync(path.join(dir, 'x'))).toThrow();
  });
});
