import { Client } from 'pg';
import { runCli } from '../../test/support/run-cli';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';

const cli = (env: Record<string, string>) => runCli('src/cli/plans-init.ts', [], env);

describe('plans:init CLI (child process, real PostgreSQL)', () => {
  let database: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    // The migration seeded the defaults: take some away, and tune one as an operator would.
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
    await client.query(
      `DELETE FROM public.plan_limits WHERE (plan = 'FREE' AND metric = 'invoices') OR (plan = 'STARTER' AND metric = 'quotes')`,
    );
    await client.query(`DELETE FROM public.plan_features WHERE plan = 'PROFESSIONAL' AND feature = 'sla_policies'`);
    await client.query(
      `UPDATE public.plan_limits SET limit_value = 2000 WHERE plan = 'STARTER' AND metric = 'invoices'`,
    );
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  it('creates what is missing, keeps what exists (tuned values included), and changes nothing the second time', async () => {
    const first = await cli({ DATABASE_URL: database.url });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓ Created'))).toEqual([
      '✓ Created: FREE - invoices: 10',
      '✓ Created: STARTER - quotes: 500',
      '✓ Created: PROFESSIONAL - sla_policies: enabled',
    ]);
    expect(lines).toContain('• Kept: STARTER - invoices: 2000');
    expect(lines).toContain('• Kept: FREE - customers: 5');
    expect(lines).toContain('• Kept: ENTERPRISE - api_calls: unlimited');
    expect(lines).toContain('• Kept: FREE - plan: Free, USD 0.00/month');
    expect(lines.at(-1)).toBe('plans:init: 3 created, 61 kept');
    const { rows } = await client.query(
      `SELECT limit_value FROM public.plan_limits WHERE plan = 'FREE' AND metric = 'invoices'`,
    );
    expect(rows).toEqual([{ limit_value: 10 }]);

    const second = await cli({ DATABASE_URL: database.url });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('Created');
    expect(second.stdout.trim().split('\n').at(-1)).toBe('plans:init: 0 created, 64 kept');
  });
});
