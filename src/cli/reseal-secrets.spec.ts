import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createServices, type Services } from '../app/services';
import { loadConfig } from '../core/config/config';
import { keyIdOf } from '../core/crypto/secret-box';
import { runInSchema } from '../core/tenancy/tenant-scope';
import { PlanCode } from '../modules/plans';
import { runCli, type CliRun } from '../../test/support/run-cli';
import { createTestDatabase, type TestDatabase, openTestDataSource } from '../../test/support/test-database';

const DAY_MS = 86_400_000;
const [keyA, keyB, keyC] = [randomBytes(32), randomBytes(32), randomBytes(32)].map((k) => k.toString('hex'));
const kid = (hex: string) => keyIdOf(Buffer.from(hex, 'hex'));

interface Keys {
  current: string;
  previous?: string[];
}
const keyEnv = ({ current, previous = [] }: Keys) => ({
  ENCRYPTION_KEY: current,
  ENCRYPTION_KEY_PREVIOUS: previous.join(','),
});

const mailbox = (password: string) => ({
  imapHost: 'imap.example.com',
  imapPort: 993,
  secure: true,
  username: 'support@example.com',
  password,
  folder: 'INBOX',
  pollEnabled: true,
});
const whatsApp = (n: string) => ({
  phoneNumberId: `10000000${n}`,
  accessToken: `EAAG-token-${n}`,
  verifyToken: `verify-token-${n}`,
  appSecret: `app-secret-${n}`,
});

/**
 * ENCRYPTION_KEY rotation as an operator runs it: the app's own services seal channel
 * credentials with key A; then every process gets key B with A as previous, secrets:reseal and
 * doctor run as child processes, and in the end only B is needed.
 */
// Child processes (ts-node) in every test: generous on a busy machine.
jest.setTimeout(180_000);

describe('secrets:reseal CLI and the doctor "stored secrets" check (child processes, real PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let acme: { id: string; schemaName: string };
  let beta: { id: string; schemaName: string };

  /** The app's services (composition root) on this database, with these keys. */
  const appWith = (keys: Keys): Services =>
    createServices(
      loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, ...keyEnv(keys) }),
      dataSource,
      database.url,
    );
  const cli = (script: string, keys: Keys, args: string[] = []) =>
    runCli(
      script,
      args,
      { NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: database.url, ...keyEnv(keys) },
      { isolated: true },
    );
  const reseal = (keys: Keys, args: string[] = []) => cli('src/cli/reseal-secrets.ts', keys, args);
  const doctor = (keys: Keys) => cli('src/cli/doctor.ts', keys, ['--timeout-ms', '10000']);
  // Its columns widen with the longest check name: compare with single spaces.
  const doctorLine = (run: CliRun) =>
    run.stdout
      .split('\n')
      .find((l) => /^. stored secrets /.test(l))
      ?.replace(/ {2,}/g, ' ');

  const provision = async (app: Services, slug: string) => {
    const tenant = await app.tenants.provision({ slug, name: slug });
    await dataSource.transaction((em) =>
      app.plans.activatePlan(em, tenant.id, PlanCode.STARTER, {
        periodStart: new Date(),
        periodEnd: new Date(Date.now() + 30 * DAY_MS),
      }),
    );
    return { id: tenant.id, schemaName: tenant.schemaName };
  };
  const configureMailbox = (app: Services, tenant: { id: string; schemaName: string }, password: string) =>
    runInSchema(dataSource, tenant.schemaName, (em) => app.emailChannels.configure(em, tenant.id, mailbox(password)));
  const configureWhatsApp = (app: Services, tenant: { id: string }, n: string) =>
    dataSource.transaction((em) => app.whatsApp.channels.configure(em, tenant.id, whatsApp(n)));

  /** Every credential as the running app reads it. */
  const readAll = async (app: Services) => {
    const password = async (t: { id: string; schemaName: string }) =>
      (await runInSchema(dataSource, t.schemaName, (em) => app.emailChannels.mailboxToPoll(em, t.id)))!.settings
        .password;
    const webhook = await app.whatsApp.channels.forWebhook([whatsApp('1').phoneNumberId]);
    return {
      acmePassword: await password(acme),
      acmeToken: (await app.whatsApp.channels.senderOf(acme.id))!.accessToken,
      acmeAppSecret: webhook.get(whatsApp('1').phoneNumberId)!.appSecret,
      betaPassword: await password(beta),
    };
  };
  const expected = {
    acmePassword: 'mailbox-pass-acme',
    acmeToken: 'EAAG-token-1',
    acmeAppSecret: 'app-secret-1',
    betaPassword: 'mailbox-pass-beta',
  };

  /** The stored (sealed) values, to see what a run changed. */
  const stored = async (): Promise<string[]> => {
    const channels: { access_token: string; app_secret: string }[] = await dataSource.query(
      'SELECT access_token, app_secret FROM public.whatsapp_channels ORDER BY tenant_id',
    );
    const tenants: { schema_name: string }[] = await dataSource.query(
      `SELECT schema_name FROM public.tenants ORDER BY created_at`,
    );
    const passwords = await Promise.all(
      tenants.map((t) => dataSource.query(`SELECT password_sealed FROM "${t.schema_name}".email_channels`)),
    );
    return [
      ...channels.flatMap((c) => [c.access_token, c.app_secret]),
      ...passwords.flat().map((p: { password_sealed: string }) => p.password_sealed),
    ];
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openTestDataSource(database.url, 4);
    const onKeyA = appWith({ current: keyA });
    acme = await provision(onKeyA, 'acme');
    beta = await provision(onKeyA, 'beta');
    await configureMailbox(onKeyA, acme, 'mailbox-pass-acme');
    await configureWhatsApp(onKeyA, acme, '1');
    await configureMailbox(onKeyA, beta, 'mailbox-pass-beta');
    // beta's password as stored before values carried a key id.
    await dataSource.query(
      `UPDATE "${beta.schemaName}".email_channels SET password_sealed = regexp_replace(password_sealed, '^v1:[0-9a-f]{8}:', 'v1:')`,
    );
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('after rotating to key B with A as previous, the app still reads every secret; a dry run counts them and writes nothing', async () => {
    const before = await stored();
    expect(before.filter((v) => v.startsWith(`v1:${kid(keyA)}:`))).toHaveLength(3);
    expect(before.filter((v) => /^v1:[^:]+$/.test(v))).toHaveLength(1);
    expect(await readAll(appWith({ current: keyB, previous: [keyA] }))).toEqual(expected);
    await expect(readAll(appWith({ current: keyB }))).rejects.toThrow(
      `sealed with key ${kid(keyA)} which is not in ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS`,
    );

    // Independent child processes (the doctor only reads): side by side.
    const [dry, check] = await Promise.all([
      reseal({ current: keyB, previous: [keyA] }, ['--dry-run']),
      doctor({ current: keyB, previous: [keyA] }),
    ]);
    expect(dry.stderr).toBe('tenants: 1/2 done, 0 failed\ntenants: 2/2 done, 0 failed\n'); // progress, not the result
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`dry run (nothing is written): sealing with key ${kid(keyB)}, previous ${kid(keyA)}`);
    expect(dry.stdout).toMatch(/^tenants: total 2, failed 0 \(/m);
    expect(dry.stdout).toContain('secrets: total 4, would re-seal 4 (4 on a previous key), unchanged 0');
    expect(await stored()).toEqual(before);
    expect(doctorLine(check)).toMatch(
      /^! stored secrets +4 of 4 stored secret\(s\) sealed with a previous key: run npm run secrets:reseal/,
    );
  });

  it('re-seals everything with key B, after which B alone reads it all; a second run changes nothing', async () => {
    const run = await reseal({ current: keyB, previous: [keyA] });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('secrets: total 4, re-sealed 4 (4 on a previous key), unchanged 0');
    const after = await stored();
    expect(after.every((v) => v.startsWith(`v1:${kid(keyB)}:`))).toBe(true);
    expect(await readAll(appWith({ current: keyB }))).toEqual(expected);

    const check = await doctor({ current: keyB, previous: [keyA] });
    expect(doctorLine(check)).toBe(
      `✓ stored secrets 4 stored secret(s), 0 sealed with a key other than ${kid(keyB)}; ENCRYPTION_KEY_PREVIOUS (${kid(keyA)}) can be removed`,
    );

    const again = await reseal({ current: keyB });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('secrets: total 4, re-sealed 0 (0 on a previous key), unchanged 4');
    expect(await stored()).toEqual(after);
  });

  it('an organization whose secrets no configured key opens fails alone and is left as it was: exit 1, doctor fails', async () => {
    // gamma's mailbox is on key B, its WhatsApp channel still on A, which the next rotation (C, previous B) lacks.
    const gamma = await provision(appWith({ current: keyB }), 'gamma');
    await configureMailbox(appWith({ current: keyB }), gamma, 'mailbox-pass-gamma');
    await configureWhatsApp(appWith({ current: keyA }), gamma, '3');
    const [{ password_sealed: gammaPassword }] = await dataSource.query(
      `SELECT password_sealed FROM "${gamma.schemaName}".email_channels`,
    );

    const run = await reseal({ current: keyC, previous: [keyB] });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^tenants: total 3, failed 1 \(/m);
    expect(run.stdout).toContain('secrets: total 4, re-sealed 4 (4 on a previous key), unchanged 0');
    expect(run.stdout).toContain(
      `  failed gamma (${gamma.schemaName}): A stored secret was sealed with key ${kid(keyA)} which is not in ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS`,
    );
    // gamma's transaction rolled back: its mailbox password was not re-sealed either.
    expect(
      (await dataSource.query(`SELECT password_sealed FROM "${gamma.schemaName}".email_channels`))[0].password_sealed,
    ).toBe(gammaPassword);
    expect(await readAll(appWith({ current: keyC }))).toEqual(expected);

    const check = await doctor({ current: keyC, previous: [keyB] });
    expect(check.code).toBe(1);
    expect(doctorLine(check)).toMatch(/^✗ stored secrets +1 organization\(s\) hold secrets no configured key opens/);
    expect(check.stdout).toContain(`    gamma: A stored secret was sealed with key ${kid(keyA)} which is not in`);
  });

  it('refuses unknown options and malformed previous keys (exit 2) without touching the database', async () => {
    const [run, config] = await Promise.all([
      reseal({ current: keyC }, ['--force']),
      reseal({ current: keyC, previous: [keyB, 'abc'] }),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^secrets:reseal: .*--force.* \(see --help\)/);
    expect(config.code).toBe(2);
    expect(config.stderr).toMatch(
      /^secrets:reseal: invalid configuration: ENCRYPTION_KEY_PREVIOUS: must be comma-separated keys of 64 hex characters/,
    );
  });
});
