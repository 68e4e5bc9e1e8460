import { spawn } from 'node:child_process';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { loadMigrations, migrationDirs } from '../core/database/migration-set';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { runCli, type CliRun } from '../../test/support/run-cli';
import {
  adminUrl,
  createTestDatabase,
  databaseUrl,
  withAdmin,
  type TestDatabase,
  openTestDataSource,
} from '../../test/support/test-database';
import { startPgBouncer } from '../../test/faults/pgbouncer-process';
import { sharedSessionPooler } from '../core/database/session-check';

const cli = (args: string[], env: Record<string, string>): Promise<CliRun> => runCli('src/cli/migrate.ts', args, env);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Child processes (ts-node) in every test: generous on a busy machine.
jest.setTimeout(180_000);

describe('migrate CLI (child process, real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;
  let last: string;
  const tenants: Record<string, { id: string; schemaName: string }> = {};
  const run = (...args: string[]) => cli(args, { DATABASE_URL: database.url });
  const snapshot = () =>
    dataSource.query(
      `SELECT (SELECT json_agg(nspname ORDER BY nspname) FROM pg_namespace) AS schemas,
              (SELECT json_agg(table_schema || '.' || table_name ORDER BY 1) FROM information_schema.tables) AS tables,
              (SELECT json_agg(t ORDER BY t.slug) FROM public.tenants t) AS tenants,
              (SELECT json_agg(m ORDER BY m.tenant_id, m.name) FROM public.tenant_migrations m) AS ledger`,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 5);
    migrator = new TenantMigrator(dataSource);
    last = migrator.migrations[migrator.migrations.length - 1].name;
    const service = new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: '/tmp',
      pgDumpPath: 'pg_dump',
    });
    for (const slug of ['alpha', 'beta', 'gamma']) tenants[slug] = await service.provision({ name: slug, slug });
    // beta is one migration behind; gamma too, and its schema is gone, so migrating it must fail.
    await migrator.revertLast({ tenant: 'beta' });
    await migrator.revertLast({ tenant: 'gamma' });
    await dataSource.query(`DROP SCHEMA "${tenants.gamma.schemaName}" CASCADE`);
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('up migrates the tenants behind, reports the failing one with exit code 1, and status shows it', async () => {
    const up = await run('up', '--concurrency', '2');
    expect(up.code).toBe(1);
    expect(up.stdout).toContain('public: up to date\n');
    expect(up.stdout).toMatch(/^tenants: total 2, migrated 1, unchanged 0, ahead 0, failed 1 \(\d+\.\ds\)$/m);
    expect(up.stdout).toMatch(
      new RegExp(`^  failed gamma \\(${tenants.gamma.schemaName}\\): ${escape(last)}: .+$`, 'm'),
    );
    // Not a terminal: plain progress lines on stderr for CI logs, the last one complete.
    expect(up.stderr).toContain('tenants: 2/2 done, 1 failed\n');

    // Read-only from here on: run side by side.
    const [summary, status, json, nothing, problems] = await Promise.all([
      run('status'),
      run('status', '--details'),
      run('status', '--json', '--tenants-only', '--tenant', 'gamma'),
      run('up', '--tenant', 'beta'),
      run('status', '--details', '--only-problems'),
    ]);
    // By default a summary: the public list, then per state the first tenants, then the counts; no per-tenant dump.
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(
      new RegExp(
        `\\n \\[X\\] .+\\ntenants failed: 1\\n  gamma \\(${tenants.gamma.schemaName}\\): ${escape(last)}: .+\\n` +
          '3 tenants: 2 up to date, 0 behind, 0 ahead, 1 failed\\n$',
      ),
    );
    expect(summary.stdout).not.toContain('tenant alpha');
    expect(status.stdout).toMatch(/\n3 tenants: 2 up to date, 0 behind, 0 ahead, 1 failed\n$/);
    // Only what needs attention: no public block (all applied), gamma alone, the same summary.
    expect(problems.stdout).toMatch(new RegExp(`^tenant gamma \\(${tenants.gamma.schemaName}, ACTIVE\\)\\n`));
    expect(problems.stdout).not.toContain('tenant alpha');
    expect(problems.stdout).toMatch(/\n3 tenants: 2 up to date, 0 behind, 0 ahead, 1 failed\n$/);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^public\n \[X\] CreateTenants1764000000000\n/);
    expect(status.stdout).toContain(`tenant beta (${tenants.beta.schemaName}, ACTIVE)\n`);
    const gammaBlock = `tenant gamma \\(.+\\)\\n(?: \\[X\\] .+\\n)* \\[ \\] ${escape(last)}\\n last migration error: ${escape(last)}: `;
    expect(status.stdout).toMatch(new RegExp(gammaBlock));

    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.public).toBeUndefined();
    expect(parsed.tenants).toEqual([
      expect.objectContaining({
        slug: 'gamma',
        pending: [last],
        ahead: [],
        error: expect.stringContaining(last),
        state: 'failed',
      }),
    ]);
    expect(parsed.summary).toEqual({ up_to_date: 0, behind: 0, ahead: 0, failed: 1 });

    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/^tenants: total 0, migrated 0, unchanged 0, ahead 0, failed 0 \(/m);
    expect(nothing.stderr).toBe('');
  });

  it('sql prints the pending SQL and leaves the database unchanged; revert prints what it reverted', async () => {
    await migrator.revertLast({ tenant: 'alpha' });
    const before = await snapshot();
    const sql = await run('sql');
    expect(sql.code).toBe(0);
    expect(sql.stdout).toContain('-- public: nothing pending\n');
    expect(sql.stdout).toContain(`-- tenant (runs in every tenant schema that lacks it): ${last}\n`);
    expect(await snapshot()).toEqual(before);

    const revert = await run('revert', '--tenant', 'beta');
    expect(revert.code).toBe(0);
    expect(revert.stdout).toContain(`beta: reverted ${last}\n`);
    expect(revert.stdout).toMatch(/^tenants: total 1, reverted 1, unchanged 0, ahead 0, failed 0 \(/m);
  });

  it('reports a tenant ahead of the code (a code-only rollback) as ahead: exit 0, a warning, no error written', async () => {
    // Older code on a newer database: the ledger names a migration this code does not know.
    await dataSource.query(
      `INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, 'AddLater1999000000000')`,
      [tenants.alpha.id],
    );
    try {
      const [status, up] = [await run('status', '--tenant', 'alpha'), await run('up', '--tenant', 'alpha')];
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`tenant alpha (${tenants.alpha.schemaName}, ACTIVE) AHEAD OF THIS CODE\n`);
      expect(status.stdout).toContain('1 tenants: 0 up to date, 0 behind, 1 ahead, 0 failed\n');
      expect(status.stderr).toMatch(
        /^migrate: warning: 1 tenant\(s\) ahead of this code \(expected after a code-only rollback/,
      );
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/^tenants: total 0, migrated 0, unchanged 0, ahead 1, failed 0 \(/m);
      expect(up.stderr).toContain('migrate: warning: 1 tenant(s) ahead of this code');
      const [{ error }] = await dataSource.query('SELECT migration_error AS error FROM public.tenants WHERE id = $1', [
        tenants.alpha.id,
      ]);
      expect(error).toBeNull();
    } finally {
      await dataSource.query(`DELETE FROM public.tenant_migrations WHERE name = 'AddLater1999000000000'`);
    }
  });

  it('an up interrupted at tenant k (SIGTERM, then SIGKILL) leaves k done, and the next up does the rest', async () => {
    const other = await createTestDatabase();
    const ds = await openTestDataSource(other.url, 4);
    const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', DATABASE_URL: other.url };
    const holder = new Client({ connectionString: other.url });
    await holder.connect();
    try {
      const otherMigrator = new TenantMigrator(ds);
      const service = new TenantService(ds, otherMigrator, {
        databaseUrl: other.url,
        backupDir: '/tmp',
        pgDumpPath: 'pg_dump',
      });
      const slugs = Array.from({ length: 8 }, (_, i) => `r${i + 1}`);
      for (const slug of slugs) await service.provision({ name: slug, slug });
      await otherMigrator.revertLast();
      const upToDate = async () => (await otherMigrator.statusSummary(0)).counts.up_to_date;
      /** `up` one tenant at a time while `locked`'s row is held: the run waits there once k tenants are done. */
      const upUntil = (locked: string, done: number, stop: NodeJS.Signals) =>
        new Promise<CliRun>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              '-r',
              'ts-node/register/transpile-only',
              'src/cli/migrate.ts',
              'up',
              '--tenants-only',
              '--concurrency',
              '1',
              '--lock-timeout',
              '120s',
            ],
            { env },
          );
          let stdout = '';
          let stderr = '';
          let signalled = false;
          child.stdout.on('data', (chunk) => (stdout += chunk));
          child.stderr.on('data', (chunk) => {
            stderr += chunk;
            if (signalled || !stderr.includes(`tenants: ${done}/8 done, 0 failed\n`)) return;
            signalled = true;
            child.kill(stop);
            // The tenant in flight may go on once the signal is handled (SIGTERM), or dies with the process (SIGKILL).
            setTimeout(() => void holder.query('ROLLBACK').catch(reject), 1000);
          });
          child.on('error', reject);
          child.on('close', (code) => resolve({ code, stdout, stderr }));
          void holder.query(`BEGIN; SELECT 1 FROM public.tenants WHERE slug = '${locked}' FOR UPDATE`).catch(reject);
        });

      const term = await upUntil('r4', 3, 'SIGTERM');
      expect(term.code).toBe(130);
      expect(term.stderr).toContain('migrate: SIGTERM: finishing the tenants in flight, starting no other');
      // r4 was in flight: it finished; r5…r8 were not started.
      expect(term.stdout).toMatch(/^tenants: total 8, migrated 4, unchanged 0, ahead 0, failed 0 \(/m);
      expect(term.stdout).toContain('interrupted: 4 tenant(s) not started; run migrate up again to do them\n');
      expect(await upToDate()).toBe(4);

      await otherMigrator.revertLast();
      const killed = await upUntil('r6', 5, 'SIGKILL');
      expect(killed.code).toBeNull();
      // r6's transaction died with the process: nothing half-done, five tenants current.
      expect(await upToDate()).toBe(5);
      const resumed = await cli(['up', '--tenants-only'], { DATABASE_URL: other.url });
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^tenants: total 3, migrated 3, unchanged 0, ahead 0, failed 0 \(/m);
      expect(await upToDate()).toBe(8);
    } finally {
      await holder.end();
      await ds.destroy();
      await other.drop();
    }
  }, 600_000);

  it('gives up on a tenant whose rows stay locked after 3 tries of --lock-timeout, and migrates the others', async () => {
    await migrator.revertLast({ tenant: 'alpha' });
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query(`BEGIN; SELECT 1 FROM public.tenants WHERE slug = 'alpha' FOR UPDATE`);
      const up = await run('up', '--tenants-only', '--lock-timeout', '200ms');
      expect(up.code).toBe(1);
      expect(up.stdout).toMatch(
        /^ {2}failed alpha \(.+\): gave up waiting for a lock: 3 tries of 200 ms each \(another transaction holds/m,
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    expect((await run('up', '--tenant', 'alpha')).code).toBe(0);
  });

  it('refuses to migrate through PgBouncer in transaction mode (exit 2); the direct URL is not mistaken for one', async () => {
    const admin = new URL(adminUrl());
    const bouncer = await startPgBouncer({
      upstreamPort: Number(admin.port || 5432),
      poolSize: 2,
      user: 'postgres',
      password: 'postgres',
    });
    try {
      const pooled = bouncer.url(database.name);
      expect(await sharedSessionPooler(pooled)).toMatch(/same PostgreSQL session|session changed/);
      expect(await sharedSessionPooler(database.url)).toBeUndefined();
      const [up, revert, status] = await Promise.all([
        cli(['up'], { DATABASE_URL: pooled }),
        cli(['revert', '--tenant', 'alpha'], { DATABASE_URL: pooled }),
        cli(['status', '--tenants-only'], { DATABASE_URL: pooled }),
      ]);
      expect(up).toMatchObject({ code: 2, stdout: '' });
      expect(up.stderr).toMatch(
        /^migrate: DATABASE_URL goes through a pooler that shares sessions \(PgBouncer in transaction mode: .+\); migrations need a session of their own: run them with the direct PostgreSQL URL\n$/,
      );
      expect(revert.code).toBe(2);
      expect(status.code).toBe(0); // reading needs no session
    } finally {
      await bouncer.stop();
    }
  });

  it('answers usage errors with exit code 2 and an unreachable database with exit code 1, one line each', async () => {
    const [badConcurrency, unknownCommand, wrongOption, unknownTenant, unreachable, help] = await Promise.all([
      run('up', '--concurrency', '0'),
      run('frobnicate'),
      run('status', '--public'),
      run('up', '--tenant', 'nobody'),
      cli(['status'], { DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/nothing' }),
      run('--help'),
    ]);
    expect(badConcurrency).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^migrate: --concurrency must be .*\n$/),
    });
    expect(unknownCommand).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^migrate: unknown command "frobnicate".*\n$/),
    });
    expect(wrongOption).toMatchObject({
      code: 2,
      stderr: 'migrate: --public does not apply to "status" (see --help)\n',
    });
    expect(unknownTenant).toMatchObject({ code: 1, stderr: 'migrate: no tenant with id or slug "nobody"\n' });
    expect(unreachable).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^migrate: cannot open the database: .*ECONNREFUSED.*\n$/),
    });
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: migrate <command>') });
  });

  it('on an empty database: status and sql write nothing; two concurrent ups apply each public migration once; revert --public', async () => {
    const name = `${database.name}_empty`;
    await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
    const env = { DATABASE_URL: databaseUrl(name) };
    const publicTables = async (): Promise<number> => {
      const client = new Client({ connectionString: env.DATABASE_URL });
      await client.connect();
      const { rows } = await client.query(`SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = 'public'`);
      await client.end();
      return rows[0].count;
    };
    try {
      const [status, sql] = await Promise.all([cli(['status'], env), cli(['sql'], env)]);
      expect(status.stdout).toMatch(/^public\n \[ \] CreateTenants1764000000000\n/);
      expect(status.stdout).toContain('(no tenants)');
      expect(sql.stdout).toContain('-- public: CreateTenants1764000000000\nCREATE TABLE public.tenants');
      expect(sql.stdout).toContain('-- tenant: nothing pending');
      expect(await publicTables()).toBe(0);

      // Two runs at once: the advisory lock makes one wait, and each migration is applied exactly once.
      const runs = await Promise.all([cli(['up'], env), cli(['up'], env)]);
      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      const applied = runs.flatMap((r) => r.stdout.split('\n').filter((line) => line.startsWith('public: applied ')));
      const publicNames = loadMigrations(migrationDirs.public).map((m) => m.name);
      expect(applied.map((line) => line.slice('public: applied '.length)).sort()).toEqual([...publicNames].sort());
      expect(await publicTables()).toBeGreaterThan(0);

      const revert = await cli(['revert', '--public'], env);
      expect(revert).toMatchObject({ code: 0, stdout: `public: reverted ${publicNames[publicNames.length - 1]}\n` });
    } finally {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });
});
