import { createServer, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { DataSource } from 'typeorm';
import { TenantMigrator, TenantService } from '../modules/tenants';
import { runCli, type CliRun } from '../../test/support/run-cli';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../test/support/test-database';

/** `npm run doctor` as an operator runs it, from sources: a child process with only the given environment. */
const runDoctor = (env: Record<string, string>, args: string[] = []) =>
  runCli(
    'src/cli/doctor.ts',
    ['--timeout-ms', '3000', ...args],
    { NODE_ENV: 'development', ...env },
    { isolated: true },
  );

/** A port nothing listens on: the "SMTP host is down" of a broken setup. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

const line = (run: CliRun, name: string) => run.stdout.split('\n').find((l) => new RegExp(`^. ${name} `).test(l));

describe('npm run doctor', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let migrator: TenantMigrator;
  let smtp: SMTPServer;
  let smtpPort: number;
  const received: { to: string[]; body: string }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 2);
    migrator = new TenantMigrator(dataSource);
    const tenants = new TenantService(dataSource, migrator, {
      databaseUrl: database.url,
      backupDir: '.data/backups',
      pgDumpPath: 'pg_dump',
    });
    await tenants.provision({ slug: 'doctor-a', name: 'A' });
    await tenants.provision({ slug: 'doctor-b', name: 'B' });
    // What a worker leaves when it starts: its recurring jobs registered, next run ahead.
    await dataSource.query(
      `INSERT INTO public.agenda_jobs (name, type, repeat_interval, next_run_at) VALUES ('email.outbox.deliver', 'single', '10 seconds', now() + interval '10 seconds')`,
    );
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let body = '';
        stream.on('data', (d) => (body += d));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await dataSource.destroy();
    await database.drop();
  });

  const healthyEnv = () => ({
    DATABASE_URL: database.url,
    EMAIL_HOST: '127.0.0.1',
    EMAIL_PORT: String(smtpPort),
    EMAIL_USE_TLS: 'false',
  });

  it('passes a healthy development setup (exit 0) and sends a test email on request', async () => {
    const run = await runDoctor(healthyEnv(), ['--send-test-email', 'ops@example.com']);
    expect(run.stdout).not.toMatch(/^✗/m);
    expect(run.code).toBe(0);
    expect(line(run, 'database')).toMatch(/^✓ database +PostgreSQL \d+/);
    expect(line(run, 'public migrations')).toMatch(/^✓ .*all \d+ applied/);
    expect(line(run, 'tenant migrations')).toMatch(/^✓ .*2 tenant\(s\): 0 behind, 0 failed/);
    // Plain PostgreSQL here: the detection answers, no Citus SQL runs.
    expect(line(run, 'citus')).toMatch(/^✓ citus +Citus: not installed \(one PostgreSQL\)$/);
    expect(line(run, 'stored secrets')).toMatch(
      /^✓ stored secrets +0 stored secret\(s\), 0 sealed with a key other than [0-9a-f]{8}$/,
    );
    expect(line(run, 'jobs')).toMatch(/^✓ .*1 recurring job\(s\) registered/);
    expect(line(run, 'outbox')).toMatch(/^✓ outbox +4 queues, 0 disabled webhook endpoint\(s\)$/);
    expect(line(run, 'smtp')).toMatch(
      /^✓ smtp +127\.0\.0\.1:\d+ answered EHLO .*test email to ops@example.com accepted/,
    );
    expect(received).toEqual([expect.objectContaining({ to: ['ops@example.com'] })]);
  });

  it('fails (exit 1) with a broken SMTP host and a tenant behind on migrations, naming both', async () => {
    // A tenant whose newest migration was rolled back: one migration behind the code.
    const reverted = await migrator.revertLast({ tenant: 'doctor-b' });
    expect(reverted.failed).toEqual([]);
    try {
      const run = await runDoctor({ ...healthyEnv(), EMAIL_PORT: String(await closedPort()) });
      expect(run.code).toBe(1);
      expect(line(run, 'smtp')).toMatch(/^✗ smtp .*ECONNREFUSED/);
      expect(line(run, 'tenant migrations')).toMatch(/^✗ .*2 tenant\(s\): 1 behind, 0 failed/);
      expect(run.stdout).toContain('    doctor-b: behind');
      expect(line(run, 'database')).toMatch(/^✓/);

      const json = await runDoctor({ ...healthyEnv(), EMAIL_PORT: String(await closedPort()) }, ['--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as {
        ok: boolean;
        checks: { name: string; status: string; durationMs: number }[];
      };
      expect(report.ok).toBe(false);
      const statusOf = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
      expect(statusOf).toMatchObject({ database: 'pass', 'tenant migrations': 'fail', smtp: 'fail', jobs: 'pass' });
    } finally {
      await migrator.migrateAll({ tenant: 'doctor-b' });
    }
  });

  it('reports tenants ahead of the code (a code-only rollback) as a warning with exit 0', async () => {
    const [tenant] = await dataSource.query(`SELECT id FROM public.tenants WHERE slug = 'doctor-a'`);
    await dataSource.query(
      `INSERT INTO public.tenant_migrations (tenant_id, name) VALUES ($1, 'AddLater1999000000000')`,
      [tenant.id],
    );
    try {
      const run = await runDoctor(healthyEnv());
      expect(line(run, 'tenant migrations')).toMatch(
        /^! tenant migrations +2 tenant\(s\): 0 behind, 0 failed, 1 ahead \(expected after a code-only rollback; deploying the newer code again makes it current\)$/,
      );
      expect(run.stdout).toContain('    doctor-a: ahead of this code (AddLater1999000000000)');
      expect(run.code).toBe(0);
    } finally {
      await dataSource.query(`DELETE FROM public.tenant_migrations WHERE name = 'AddLater1999000000000'`);
    }
  });

  it('warns about a webhook endpoint disabled after failures and an outbox queue nobody drains', async () => {
    const [{ id }] = await dataSource.query(`SELECT id FROM public.tenants WHERE slug = 'doctor-a'`);
    await dataSource.query(
      `INSERT INTO public.webhook_endpoints (tenant_id, url, events, secret, enabled, disabled_reason)
       VALUES ($1, 'https://hooks.example.com/in', '{*}', 'sealed', false, '20 failed attempts in a row')`,
      [id],
    );
    await dataSource.query(
      `INSERT INTO public.email_outbox (idempotency_key, to_address, subject, html, text, next_attempt_at)
       VALUES ('doctor:stuck', 'ops@example.com', 's', 'h', 't', now() - interval '1 hour')`,
    );
    try {
      const run = await runDoctor(healthyEnv());
      expect(line(run, 'outbox')).toMatch(
        /^! outbox +4 queues, 1 disabled webhook endpoint\(s\); 1 queue\(s\) lagging/,
      );
      expect(run.stdout).toMatch(/email: oldest due row waiting 3\d{3} s/);
      expect(run.stdout).toContain(
        'webhook endpoint disabled: doctor-a https://hooks.example.com/in (20 failed attempts',
      );
    } finally {
      await dataSource.query(`DELETE FROM public.webhook_endpoints`);
      await dataSource.query(`DELETE FROM public.email_outbox WHERE idempotency_key = 'doctor:stuck'`);
    }
  });

  it('names the SMTP host and port when it times out', async () => {
    // Accepts the connection and never greets: the doctor's timeout, not a refusal.
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const run = await runDoctor({ ...healthyEnv(), EMAIL_PORT: String(port) }, ['--timeout-ms', '1000']);
      // Whichever gives up first, nodemailer's greeting timeout or the doctor's: both name the server.
      const gaveUp = '(timed out after \\d+ ms|Greeting never received)';
      expect(line(run, 'smtp')).toMatch(new RegExp(`^✗ smtp +127\\.0\\.0\\.1:${port}: ${gaveUp}$`));
    } finally {
      silent.close();
    }
  });

  it('holds production to production rules: https FRONTEND_URL, random secrets, live Stripe keys with a webhook secret', async () => {
    const run = await runDoctor({
      ...healthyEnv(),
      NODE_ENV: 'production',
      SECRET_KEY: 's'.repeat(40),
      ENCRYPTION_KEY: 'ab'.repeat(32),
      FRONTEND_URL: 'http://app.example.com',
      STRIPE_SECRET_KEY: 'sk_test_123',
    });
    expect(run.code).toBe(1);
    expect(line(run, 'configuration')).toMatch(/^✗/);
    expect(run.stdout).toContain('FRONTEND_URL must be an absolute https:// URL');
    expect(run.stdout).toContain(
      'DEFAULT_FROM_EMAIL is tenantql <no-reply@localhost>: receivers reject or junk mail from @localhost',
    );
    expect(line(run, 'secrets')).toMatch(/^✗ secrets +weak/);
    expect(run.stdout).toMatch(/JWT_SECRET_KEY: about 0 bits/);
    expect(line(run, 'stripe')).toMatch(/^✗ stripe +test-mode key does not match NODE_ENV=production/);
    expect(line(run, 'webhook secrets')).toMatch(
      /^! webhook secrets +STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET/,
    );
    expect(line(run, 'observability')).toMatch(/^! observability +\/metrics disabled/);
  });

  it('reports an invalid configuration without checking anything else', async () => {
    const run = await runDoctor({ DATABASE_URL: database.url, ENCRYPTION_KEY: 'short' });
    expect(run.code).toBe(1);
    expect(line(run, 'configuration')).toMatch(/^✗ configuration +invalid/);
    expect(run.stdout).toContain('ENCRYPTION_KEY: must be 32 bytes');
    expect(line(run, 'database')).toBeUndefined();
  });
});
