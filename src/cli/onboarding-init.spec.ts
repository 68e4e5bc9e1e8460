import type { DataSource } from 'typeorm';
import { runInSchema } from '../core/tenancy/tenant-scope';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { runCli } from '../../test/support/run-cli';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../test/support/test-database';

const cli = (env: Record<string, string>) => runCli('src/cli/onboarding-init.ts', [], env);

describe('onboarding:init CLI (child process, real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 3);
    const tenants = new TenantService(dataSource, new TenantMigrator(dataSource), {
      databaseUrl: database.url,
      backupDir: '/tmp',
      pgDumpPath: 'pg_dump',
    });
    await tenants.provision({ slug: 'fresh', name: 'Fresh' });
    // "veteran" set up everything before onboarding existed.
    const veteran = await tenants.provision({ slug: 'veteran', name: 'Veteran' });
    await runInSchema(dataSource, veteran.schemaName, (m) =>
      m.query(`INSERT INTO onboarding_marks (step_key) SELECT unnest($1::text[])`, [
        [
          'business-profile',
          'invite-team',
          'create-api-key',
          'add-payment-method',
          'email-channel-configured',
          'whatsapp-configured',
          'add-first-product',
        ],
      ]),
    );
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('initialises every active tenant once, records completion where all is done, and says what it did', async () => {
    const first = await cli({ DATABASE_URL: database.url });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'fresh: initialised (0/7 steps done)',
      'onboarding:init: 2 initialised, 0 already initialised, 0 failed',
      'veteran: initialised (7/7 steps done, onboarding complete)',
    ]);
    const [{ schema_name: schema }] = await dataSource.query(
      `SELECT schema_name FROM public.tenants WHERE slug = 'veteran'`,
    );
    const [state] = await dataSource.query(`SELECT completed_at FROM "${schema}".onboarding_state`);
    expect(state.completed_at).toBeInstanceOf(Date);

    const second = await cli({ DATABASE_URL: database.url });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('onboarding:init: 0 initialised, 2 already initialised, 0 failed');
    expect(second.stdout).toContain('fresh: already initialised (0/7 steps done)');
  });
});
