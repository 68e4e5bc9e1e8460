import nodemailer from 'nodemailer';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { openDatabase, type Database } from '../app/database';
import type { AppConfig } from '../core/config/config';
import { keyIdOf, SecretBox } from '../core/crypto/secret-box';
import { citusVersion, distributedTenantSchemas } from '../core/database/citus';
import { PublicMigrator, type Queryable } from '../core/database/public-migrator';
import { MIGRATABLE_STATUSES } from '../core/database/tenant-migration-state';
import { readJobQueueLag, readRecurringJobs, type RecurringJob } from '../core/observability/job-queue';
import { checkProvider } from '../modules/identity';
import { readOutboxLag } from '../core/outbox';
import { TenantMigrator } from '../modules/tenants';
import { withTimeout } from '../core/observability/deadline';
import { smtpOptions } from '../integrations/mail';
import { resealAllSecrets } from './reseal-secrets-command';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  details?: string[];
}

export interface CheckResult extends CheckOutcome {
  name: string;
  durationMs: number;
}

export interface DoctorContext {
  config: AppConfig;
  /** The raw environment: tells a secret that was set from a development default. */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  timeoutMs: number;
  sendTestEmailTo?: string;
  /** Opened by the database check; later checks skip when it could not be. */
  database?: Database;
}

export interface Check {
  name: string;
  run(context: DoctorContext): Promise<CheckOutcome>;
  /** What the check talks to (`host:port`): a timeout or an unexpected error names it. */
  target?(context: DoctorContext): string | undefined;
}

const pass = (message: string, details?: string[]): CheckOutcome => ({ status: 'pass', message, details });
const warn = (message: string, details?: string[]): CheckOutcome => ({ status: 'warn', message, details });
const fail = (message: string, details?: string[]): CheckOutcome => ({ status: 'fail', message, details });
const skip = (message: string): CheckOutcome => ({ status: 'skip', message });
const NO_DATABASE = skip('skipped: the database is not reachable');

/** A recurring job this late with no worker holding it means no job runner is running. */
const OVERDUE_AFTER_MS = 5 * 60_000;
/** Estimated entropy a random secret of the required length easily reaches; repeated or dictionary-like ones do not. */
const MIN_SECRET_BITS = 128;

const messageOf = (error: unknown) =>
  (error instanceof Error ? error.message || error.name : String(error)).replace(/\s*\n\s*/g, ' ');

/**
 * Shannon entropy of the characters times the length: a cheap lower-bound-ish estimate that catches 'aaaa…' and
 * 'password123…'.
 */
export function estimatedBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / secret.length) * Math.log2(n / secret.length);
  return Math.round(perChar * secret.length);
}

const configuration: Check = {
  name: 'configuration',
  async run({ config }) {
    // loadConfig already refused anything malformed; what is left are production-only rules it cannot know.
    if (!config.isProduction) return pass(`valid (NODE_ENV=${config.env})`);
    const problems: string[] = [];
    const frontend = new URL(config.frontendUrl);
    if (frontend.protocol !== 'https:')
      problems.push(`FRONTEND_URL must be an absolute https:// URL in production (is ${config.frontendUrl})`);
    if (!config.database.url) problems.push('DATABASE_URL is not set: production must not use the embedded PostgreSQL');
    if (!config.email.host) problems.push('EMAIL_HOST is not set: mail would be written to files instead of sent');
    const warnings: string[] = [];
    if (/@localhost\b/i.test(config.email.from)) {
      const why = "receivers reject or junk mail from @localhost; set your domain's sender";
      warnings.push(`DEFAULT_FROM_EMAIL is ${config.email.from}: ${why}`);
    }
    if (problems.length) return fail('not ready for production', [...problems, ...warnings]);
    return warnings.length ? warn('valid for production, with warnings', warnings) : pass('valid for production');
  },
};

const secrets: Check = {
  name: 'secrets',
  async run({ config, env }) {
    const weak: string[] = [];
    const notes: string[] = [];
    const jwt = env.JWT_SECRET_KEY || env.SECRET_KEY;
    if (!jwt) notes.push('JWT secret: the development default');
    else if (estimatedBits(jwt) < MIN_SECRET_BITS)
      weak.push(
        `JWT_SECRET_KEY: about ${estimatedBits(jwt)} bits of entropy, needs ${MIN_SECRET_BITS} (use: openssl rand -hex 32)`,
      );
    else notes.push(`JWT secret: ${Buffer.byteLength(jwt)} bytes, ~${estimatedBits(jwt)} bits`);
    if (!config.encryptionKey) notes.push('ENCRYPTION_KEY: not set (stored channel credentials cannot be encrypted)');
    else if (estimatedBits(env.ENCRYPTION_KEY ?? '') < MIN_SECRET_BITS)
      weak.push('ENCRYPTION_KEY: 32 bytes but not random (use: openssl rand -hex 32)');
    else notes.push('ENCRYPTION_KEY: 32 bytes');
    for (const name of ['ADMIN_SECRET', 'METRICS_TOKEN'] as const) {
      const value = env[name]?.trim();
      if (value && estimatedBits(value) < 96)
        weak.push(`${name}: about ${estimatedBits(value)} bits of entropy, needs 96`);
    }
    if (weak.length)
      return config.isProduction ? fail('weak secrets', weak) : warn('weak secrets (refused in production)', weak);
    if (config.isProduction || jwt) return pass('strong', notes);
    return pass('development defaults (set JWT_SECRET_KEY and ENCRYPTION_KEY before production)', notes);
  },
};

const database: Check = {
  name: 'database',
  async run(context) {
    const { config, logger } = context;
    if (!config.database.url && config.isProduction) return fail('DATABASE_URL is not set');
    const db = await openDatabase(config, logger, 'tenantql-doctor');
    context.database = db;
    const [{ version }]: { version: string }[] = await db.dataSource.query(
      `SELECT current_setting('server_version') AS version`,
    );
    const where = new URL(db.url);
    return pass(
      `PostgreSQL ${version} at ${where.hostname}:${where.port || 5432}${where.pathname}${db.embedded ? ' (embedded)' : ''}`,
    );
  },
};

const publicMigrations: Check = {
  name: 'public migrations',
  async run({ database: db }) {
    if (!db) return NO_DATABASE;
    const status = await new PublicMigrator(db.dataSource).status();
    const pending = status.filter((s) => !s.applied).map((s) => s.name);
    const ahead = status.filter((s) => s.ahead).map((s) => s.name);
    if (pending.length) return fail(`${pending.length} pending (run: npm run migrate)`, pending);
    if (ahead.length) {
      return warn(
        `the database is ahead of this code: ${ahead.length} unknown migration(s) (${AHEAD_IS_EXPECTED})`,
        ahead,
      );
    }
    return pass(`all ${status.length} applied`);
  },
};

/** What a code-only rollback leaves behind: reported, never a failure to "fix" by migrating. */
const AHEAD_IS_EXPECTED = 'expected after a code-only rollback; deploying the newer code again makes it current';

/** Tenants named per state in the doctor's details; the counts cover them all. */
const FIRST_TENANTS = 5;

const tenantMigrations: Check = {
  name: 'tenant migrations',
  async run({ database: db }) {
    if (!db) return NO_DATABASE;
    const migrator = new TenantMigrator(db.dataSource);
    const { counts, first } = await migrator.statusSummary(FIRST_TENANTS);
    const { behind, failed, ahead } = counts;
    const total = counts.up_to_date + behind + failed + ahead;
    if (!total) return pass('no tenants yet');
    const details = [
      ...first.behind.map((t) => `${t.slug}: behind (at ${t.schemaVersion ?? 'nothing'})`),
      ...first.failed.map((t) => `${t.slug}: last migration failed: ${t.error}`),
      ...first.ahead.map((t) => `${t.slug}: ahead of this code (${t.unknown?.join(', ')})`),
    ];
    const listed = first.behind.length + first.failed.length + first.ahead.length;
    if (behind + failed + ahead > listed) {
      details.push(
        `… and ${behind + failed + ahead - listed} more (npm run migrate:status -- --details --only-problems)`,
      );
    }
    const summary = `${total} tenant(s): ${behind} behind, ${failed} failed, ${ahead} ahead`;
    if (behind || failed) return fail(`${summary} (run: npm run migrate)`, details);
    if (ahead) return warn(`${summary} (${AHEAD_IS_EXPECTED})`, details);
    return pass(`${summary}, all at ${migrator.latestVersion ?? 'no migration'}`);
  },
};

/** Whether the database is a Citus coordinator, and whether every tenant schema is distributed (docs/citus.md). */
const citus: Check = {
  name: 'citus',
  async run({ database: db }) {
    if (!db) return NO_DATABASE;
    const version = await citusVersion(db.dataSource);
    if (!version) return pass('Citus: not installed (one PostgreSQL)');
    const { distributed, total } = await distributedTenantSchemas(db.dataSource, MIGRATABLE_STATUSES);
    const summary = `Citus ${version}: ${distributed} of ${total} tenant schemas distributed`;
    if (distributed < total) {
      return warn(summary, [
        "the others stay on the coordinator: SELECT citus_schema_distribute('<schema>') each (docs/citus.md)",
      ]);
    }
    return pass(summary);
  },
};

/**
 * The organizations with a WhatsApp channel or a mailbox, in one query instead of a transaction per tenant (10,000
 * tenants: seconds). A mailbox table that never held a row has no data file pages (`pg_relation_size` 0): one that
 * did is visited, and read exactly there.
 */
async function tenantsThatMayHoldSecrets(db: Queryable): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `SELECT t.id FROM public.tenants t
      WHERE t.status = ANY($1)
        AND (EXISTS (SELECT 1 FROM public.whatsapp_channels w WHERE w.tenant_id = t.id)
             OR coalesce(pg_relation_size(to_regclass(quote_ident(t.schema_name) || '.email_channels')), 0) > 0)`,
    [MIGRATABLE_STATUSES],
  );
  return rows.map((r) => r.id);
}

/** Which key each stored secret is sealed with: while any needs a previous key, ENCRYPTION_KEY_PREVIOUS must stay. */
const storedSecrets: Check = {
  name: 'stored secrets',
  async run({ config, database: db }) {
    if (!db) return NO_DATABASE;
    const secrets = SecretBox.fromKey(config.encryptionKey, config.isProduction, config.previousEncryptionKeys);
    const summary = await resealAllSecrets(db.dataSource, secrets, {
      dryRun: true,
      tenantIds: await tenantsThatMayHoldSecrets(db.dataSource),
    });
    const stored = `${summary.total} stored secret(s)`;
    if (summary.failed.length) {
      return fail(
        `${summary.failed.length} organization(s) hold secrets no configured key opens`,
        summary.failed.map((f) => `${f.tenant.slug}: ${f.error}`),
      );
    }
    const untagged = summary.resealed - summary.otherKey;
    const details = untagged ? [`${untagged} sealed before key ids (npm run secrets:reseal adds them)`] : undefined;
    if (summary.otherKey) {
      return warn(
        `${summary.otherKey} of ${stored} sealed with a previous key: run npm run secrets:reseal, keep ENCRYPTION_KEY_PREVIOUS until 0 are left`,
        details,
      );
    }
    const removable = config.previousEncryptionKeys.length
      ? `; ENCRYPTION_KEY_PREVIOUS (${config.previousEncryptionKeys.map(keyIdOf).join(', ')}) can be removed`
      : '';
    return pass(`${stored}, 0 sealed with a key other than ${secrets.keyId}${removable}`, details);
  },
};

function describeRecurring(jobs: RecurringJob[], now: number) {
  const overdue = jobs.filter((j) => j.nextRunAt && now - new Date(j.nextRunAt).getTime() > OVERDUE_AFTER_MS);
  const lines = jobs.map((j) => {
    const failed =
      j.failedAt && (!j.lastFinishedAt || new Date(j.failedAt) >= new Date(j.lastFinishedAt))
        ? `, last run failed: ${j.failReason}`
        : '';
    return `${j.name} every ${j.repeatInterval}, next ${j.nextRunAt ? new Date(j.nextRunAt).toISOString() : 'never'}${failed}`;
  });
  return { overdue, lines };
}

async function postgresJobs({ config, database: db }: DoctorContext): Promise<CheckOutcome> {
  if (!db) return NO_DATABASE;
  const url = config.database.jobsUrl ?? db.url;
  // The runner's own kind of connection: direct (JOBS_DATABASE_URL when the API goes through a pooler), able to LISTEN.
  const client = new Client({
    connectionString: url,
    application_name: 'tenantql-doctor',
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    await client.query('LISTEN tenantql_doctor; UNLISTEN tenantql_doctor');
    const rows = { query: (sql: string, parameters?: unknown[]) => client.query(sql, parameters).then((r) => r.rows) };
    const recurring = await readRecurringJobs(rows);
    if (!recurring) return fail('the job table public.agenda_jobs does not exist (run: npm run migrate)');
    const queue = (await readJobQueueLag(rows))!;
    const { overdue, lines } = describeRecurring(recurring, Date.now());
    const via = config.database.jobsUrl ? 'JOBS_DATABASE_URL' : 'DATABASE_URL';
    const summary = `PostgreSQL via ${via}: ${recurring.length} recurring job(s) registered, ${queue.due} due, oldest waiting ${Math.round(queue.lagSeconds)} s`;
    if (overdue.length)
      return fail(`${summary}; ${overdue.length} recurring job(s) overdue: is a worker running?`, lines);
    if (!recurring.length) return warn(`${summary}: none registered yet (workers register them when they start)`);
    return pass(summary, lines);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function mongoJobs({ config, timeoutMs }: DoctorContext): Promise<CheckOutcome> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MongoClient } = require('mongodb') as typeof import('mongodb');
  const client = new MongoClient(config.mongodbUrl!, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
  });
  try {
    await client.connect();
    const jobs = client.db().collection('agendaJobs');
    const recurring = await jobs
      .find(
        { repeatInterval: { $ne: null }, disabled: { $ne: true } },
        { projection: { name: 1, repeatInterval: 1, nextRunAt: 1, lastFinishedAt: 1, failedAt: 1, failReason: 1 } },
      )
      .toArray();
    const due = await jobs.countDocuments({ nextRunAt: { $lte: new Date() }, lockedAt: null, disabled: { $ne: true } });
    const { overdue, lines } = describeRecurring(recurring as unknown as RecurringJob[], Date.now());
    const summary = `MongoDB: ${recurring.length} recurring job(s) registered, ${due} due`;
    if (overdue.length)
      return fail(`${summary}; ${overdue.length} recurring job(s) overdue: is a worker running?`, lines);
    if (!recurring.length) return warn(`${summary}: none registered yet (workers register them when they start)`);
    return pass(summary, lines);
  } finally {
    await client.close().catch(() => undefined);
  }
}

const jobs: Check = {
  name: 'jobs',
  run: (context) => (context.config.mongodbUrl ? mongoJobs(context) : postgresJobs(context)),
};

/** The queues on the shared outbox primitive (src/core/outbox), each drained by a job. */
const OUTBOX_QUEUES = {
  email: 'public.email_outbox',
  whatsapp_outbound: 'public.whatsapp_outbox',
  whatsapp_inbound: 'public.whatsapp_inbound',
  webhooks: 'public.webhook_deliveries',
};
/** A due row waiting this long means no worker drains its queue. */
const OUTBOX_LAG_WARN_SECONDS = 300;

const outbox: Check = {
  name: 'outbox',
  async run({ database }) {
    if (!database) return NO_DATABASE;
    const lines: string[] = [];
    let lagging = 0;
    for (const [queue, table] of Object.entries(OUTBOX_QUEUES)) {
      const lag = await readOutboxLag(database.dataSource, table);
      const [{ failed }]: { failed: number }[] = await database.dataSource.query(
        `SELECT count(*)::int AS failed FROM ${table} WHERE status = 'FAILED'`,
      );
      if (lag > OUTBOX_LAG_WARN_SECONDS) lagging++;
      lines.push(`${queue}: oldest due row waiting ${Math.round(lag)} s, ${failed} given up (FAILED)`);
    }
    const [{ disabled }]: { disabled: number }[] = await database.dataSource.query(
      'SELECT count(*)::int AS disabled FROM public.webhook_endpoints WHERE NOT enabled',
    );
    const endpoints: { slug: string; url: string; reason: string | null }[] = await database.dataSource.query(
      `SELECT t.slug, e.url, e.disabled_reason AS reason FROM public.webhook_endpoints e
         JOIN public.tenants t ON t.id = e.tenant_id WHERE NOT e.enabled ORDER BY e.updated_at DESC LIMIT 10`,
    );
    lines.push(...endpoints.map((e) => `webhook endpoint disabled: ${e.slug} ${e.url} (${e.reason ?? 'by hand'})`));
    const summary = `${Object.keys(OUTBOX_QUEUES).length} queues, ${disabled} disabled webhook endpoint(s)`;
    if (lagging)
      return warn(
        `${summary}; ${lagging} queue(s) lagging over ${OUTBOX_LAG_WARN_SECONDS} s: is a worker running?`,
        lines,
      );
    return disabled ? warn(summary, lines) : pass(summary, lines);
  },
};

/** The SMTP sender's own transport options, with the doctor's timeout. */
function smtpTransporter(email: AppConfig['email'], timeoutMs: number) {
  return nodemailer.createTransport(smtpOptions(email, { connectMs: timeoutMs, socketMs: timeoutMs }));
}

const smtp: Check = {
  name: 'smtp',
  target: ({ config }) => (config.email.host ? `${config.email.host}:${config.email.port}` : undefined),
  async run({ config, timeoutMs, sendTestEmailTo }) {
    const { email } = config;
    if (!email.host) {
      const message = `EMAIL_HOST is not set: mail is written to ${email.devDir} instead of sent`;
      return config.isProduction ? fail(message) : warn(message);
    }
    const transporter = smtpTransporter(email, timeoutMs);
    try {
      await transporter.verify();
      const security = email.port === 465 && email.useTls ? 'TLS' : email.useTls ? 'STARTTLS required' : 'no TLS';
      const answered = `${email.host}:${email.port} answered EHLO (${security}${email.user ? ', authenticated' : ''})`;
      if (!sendTestEmailTo) return pass(answered);
      const info = await transporter.sendMail({
        from: email.from,
        to: sendTestEmailTo,
        subject: `${config.productName} doctor: test email`,
        text: `This message was sent by "npm run doctor --send-test-email" at ${new Date().toISOString()}.`,
      });
      return pass(`${answered}; test email to ${sendTestEmailTo} accepted (${info.messageId})`);
    } catch (error) {
      return fail(`${email.host}:${email.port}: ${messageOf(error)}`);
    } finally {
      transporter.close();
    }
  },
};

function keyMode(key: string, prefixes: string[]): 'test' | 'live' | undefined {
  for (const prefix of prefixes) {
    if (key.startsWith(`${prefix}_test_`)) return 'test';
    if (key.startsWith(`${prefix}_live_`)) return 'live';
  }
  return undefined;
}

const stripe: Check = {
  name: 'stripe',
  async run({ config }) {
    const { secretKey, publishableKey } = config.stripe;
    if (!secretKey)
      return publishableKey
        ? warn('STRIPE_PUBLISHABLE_KEY is set without STRIPE_SECRET_KEY')
        : pass('not configured (billing disabled)');
    const mode = keyMode(secretKey, ['sk', 'rk']);
    if (!mode) return fail('STRIPE_SECRET_KEY is not a Stripe secret key (sk_test_… or sk_live_…)');
    const problems: string[] = [];
    if (config.isProduction && mode === 'test')
      problems.push('a test-mode key in production: no real payments would be taken');
    if (!config.isProduction && mode === 'live')
      problems.push(`a live key with NODE_ENV=${config.env}: real cards would be charged`);
    const publishableMode = publishableKey ? keyMode(publishableKey, ['pk']) : undefined;
    if (publishableKey && publishableMode !== mode)
      problems.push(`STRIPE_PUBLISHABLE_KEY is ${publishableMode ?? 'not a pk_ key'}, the secret key is ${mode}`);
    return problems.length
      ? fail(`${mode}-mode key does not match NODE_ENV=${config.env}`, problems)
      : pass(`${mode}-mode key, matches NODE_ENV=${config.env}`);
  },
};

const webhooks: Check = {
  name: 'webhook secrets',
  async run({ config }) {
    const { secretKey, webhookSecret } = config.stripe;
    if (webhookSecret && !webhookSecret.startsWith('whsec_'))
      return fail('STRIPE_WEBHOOK_SECRET is not a Stripe signing secret (whsec_…)');
    if (secretKey && !webhookSecret)
      return warn('STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET: Stripe events cannot be verified');
    return pass(webhookSecret ? 'STRIPE_WEBHOOK_SECRET set' : 'none needed (Stripe not configured)');
  },
};

/** Each trusted OpenID provider: discovery answers with its issuer, and the JWKS it names holds keys. */
const identityProviders: Check = {
  name: 'identity providers',
  async run({ config, timeoutMs }) {
    const { providers } = config.oidc;
    const clerkSecret = config.clerk.webhookSecret;
    if (!providers.length)
      return clerkSecret
        ? warn('CLERK_WEBHOOK_SECRET is set without OIDC_ISSUER_URL: Clerk events have no provider to apply to')
        : pass('none configured (built-in accounts only)');
    const results = await Promise.all(
      providers.map(async ({ issuer }) => {
        try {
          const { jwksUri, keys } = await checkProvider(issuer, timeoutMs);
          return { ok: true, detail: `${issuer}: discovery and JWKS reachable (${jwksUri}, ${keys} key(s))` };
        } catch (error) {
          return { ok: false, detail: `${issuer}: ${messageOf(error)}` };
        }
      }),
    );
    const details = results.map((r) => r.detail);
    if (clerkSecret && !clerkSecret.startsWith('whsec_'))
      return fail('CLERK_WEBHOOK_SECRET is not a Svix signing secret (whsec_…)', details);
    const failed = results.filter((r) => !r.ok).length;
    return failed
      ? fail(`${failed} of ${providers.length} provider(s) unreachable or misconfigured`, details)
      : pass(`${providers.length} provider(s) reachable`, details);
  },
};

const observability: Check = {
  name: 'observability',
  async run({ config }) {
    const sentry = config.sentryDsn ? 'Sentry on' : 'Sentry off (SENTRY_DSN not set)';
    if (!config.metrics.enabled) return warn(`/metrics disabled (set METRICS_TOKEN to scrape it); ${sentry}`);
    const metrics = config.metrics.token ? '/metrics behind METRICS_TOKEN' : '/metrics open (no METRICS_TOKEN)';
    return pass(`${metrics}; ${sentry}`);
  },
};

/** In order: the database check opens the connection the next six use. */
export const CHECKS: Check[] = [
  configuration,
  secrets,
  database,
  publicMigrations,
  tenantMigrations,
  citus,
  storedSecrets,
  jobs,
  outbox,
  smtp,
  stripe,
  webhooks,
  identityProviders,
  observability,
];

/** Runs every check in order, each bounded by the timeout; a check that throws fails with its message. */
export async function runChecks(context: DoctorContext, checks: Check[] = CHECKS): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = Date.now();
    let outcome: CheckOutcome;
    try {
      outcome = await withTimeout(check.run(context), context.timeoutMs);
    } catch (error) {
      const target = check.target?.(context);
      outcome = fail(target ? `${target}: ${messageOf(error)}` : messageOf(error));
    }
    results.push({ name: check.name, ...outcome, durationMs: Date.now() - started });
  }
  return results;
}
