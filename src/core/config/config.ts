import bytes from 'bytes';
import { z } from 'zod';
import { version as packageVersion } from '../../../package.json';

/**
 * The one typed view of the environment. Every variable the deployment guides
 * name is defined here with a development default, so `npm start` works with
 * no `.env`; production refuses weak or missing secrets. All problems are
 * reported together by `ConfigError`.
 */

const DEV_SECRET = 'dev-only-insecure-secret-change-me-0123456789abcdef';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const absoluteUrl = z.string().url();

/**
 * Express `trust proxy`: which hops may set X-Forwarded-For. Off by default, so a
 * client cannot pick its own IP (and dodge per-IP throttling) with a header.
 */
function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim();
  if (v === '' || v === 'false' || v === '0') return false;
  if (v === 'true') return true;
  return /^\d+$/.test(v) ? Number(v) : v;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(0, 65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  JOBS_DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
  ),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  DATABASE_POOL_MAX_USES: int(0, 10_000_000).default(7500),
  DATABASE_POOL_MAX_LIFETIME_SECONDS: int(0, 86_400).default(1800),
  EMBEDDED_DATABASE_DIR: z.string().default('.data/postgres'),
  EMBEDDED_DATABASE_PORT: int(1, 65535).default(5499),
  SECRET_KEY: optionalString,
  JWT_SECRET_KEY: optionalString,
  JWT_ALGORITHM: z.literal('HS256').default('HS256'),
  JWT_EXPIRATION_HOURS: int(1, 24 * 365).default(24),
  JWT_REFRESH_EXPIRATION_DAYS: int(1, 365).default(7),
  JWT_ISSUER: z.string().min(1).default('tenantql'),
  JWT_AUDIENCE: z.string().min(1).default('tenantql-api'),
  EMAIL_HOST: optionalString,
  EMAIL_PORT: int(1, 65535).default(587),
  EMAIL_USE_TLS: bool.default('true'),
  EMAIL_HOST_USER: optionalString,
  EMAIL_HOST_PASSWORD: optionalString,
  DEFAULT_FROM_EMAIL: z.string().default('tenantql <no-reply@localhost>'),
  EMAIL_OUTBOX_INTERVAL: z.string().min(1).default('10 seconds'),
  EMAIL_OUTBOX_MAX_ATTEMPTS: int(1, 100).default(10),
  EMAIL_DEV_DIR: z.string().default('.data/outbox'),
  EMAIL_POLL_INTERVAL: z.string().min(1).default('5 minutes'),
  EMAIL_MAX_MESSAGE_BYTES: int(1024, 1_073_741_824).default(10 * 1024 * 1024),
  PRODUCT_NAME: z.string().min(1).default('tenantql'),
  TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  LOGIN_MAX_FAILURES: int(1, 1000).default(5),
  LOGIN_MAX_FAILURES_PER_IP: int(1, 1_000_000).default(20),
  AUTH_RATE_LIMIT_PER_HOUR: int(1, 1_000_000).default(20),
  API_KEY_USAGE_FLUSH_SECONDS: int(1, 3600).default(5),
  API_KEY_CACHE_SECONDS: int(1, 3600).default(60),
  API_KEY_CACHE_MAX: int(1, 10_000_000).default(10_000),
  ONBOARDING_REMINDER_HOUR: int(0, 23).default(10),
  FRONTEND_URL: absoluteUrl.default('http://localhost:3000'),
  STRIPE_SECRET_KEY: optionalString,
  STRIPE_PUBLISHABLE_KEY: optionalString,
  STRIPE_WEBHOOK_SECRET: optionalString,
  STRIPE_API_URL: optionalString.pipe(absoluteUrl.optional()),
  STRIPE_PRICE_STARTER: optionalString,
  STRIPE_PRICE_PROFESSIONAL: optionalString,
  STRIPE_PRICE_ENTERPRISE: optionalString,
  KHALTI_BASE_URL: absoluteUrl.default('https://dev.khalti.com/api/v2'),
  KHALTI_SECRET_KEY: optionalString,
  ESEWA_BASE_URL: absoluteUrl.default('https://rc-epay.esewa.com.np'),
  ESEWA_STATUS_URL: absoluteUrl.default('https://rc.esewa.com.np'),
  ESEWA_MERCHANT_CODE: z.string().min(1).default('EPAYTEST'),
  ESEWA_MERCHANT_SECRET: optionalString,
  PAYMENT_SUCCESS_URL: optionalString.pipe(absoluteUrl.optional()),
  PAYMENT_FAILURE_URL: optionalString.pipe(absoluteUrl.optional()),
  ENCRYPTION_KEY: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes as 64 hex characters')
      .optional(),
  ),
  ENCRYPTION_KEY_PREVIOUS: optionalString.pipe(
    z
      .string()
      .regex(/^[0-9a-fA-F]{64}(\s*,\s*[0-9a-fA-F]{64})*$/, 'must be comma-separated keys of 64 hex characters')
      .optional(),
  ),
  RATE_LIMIT_MAX: int(1, 10_000_000).default(1000),
  RATE_LIMIT_WINDOW: int(1, 86_400_000).default(60_000),
  RATE_LIMIT_SYNC_MS: int(10, 60_000).default(1000),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  TRIAL_PLAN: z.enum(['FREE', 'STARTER', 'PROFESSIONAL', 'ENTERPRISE']).default('PROFESSIONAL'),
  TRIAL_DAYS: int(1, 365).default(14),
  PLAN_CACHE_SECONDS: int(1, 3600).default(30),
  AUDIT_RETENTION_DAYS: int(1, 36_500).default(365),
  USAGE_FLUSH_SECONDS: int(1, 3600).default(5),
  MAX_REQUEST_SIZE: z
    .string()
    .default('1mb')
    .refine((v) => bytes.parse(v) !== null && (bytes.parse(v) ?? 0) > 0, 'must be a size such as 1mb or 512kb'),
  GRAPHQL_SANDBOX: bool.optional(),
  GRAPHQL_MAX_DEPTH: int(1, 100).default(12),
  GRAPHQL_MAX_ALIASES: int(1, 1000).default(30),
  GRAPHQL_MAX_COST: int(1, 1_000_000).default(5000),
  GRAPHQL_MAX_TOKENS: int(100, 1_000_000).default(5000),
  SENTRY_DSN: optionalString,
  METRICS_TOKEN: optionalString,
  METRICS_PORT: int(0, 65535).default(0),
  MONGODB_URL: optionalString,
  ADMIN_SECRET: optionalString,
  JOBS_ENABLED: bool.default('true'),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
  SHUTDOWN_READY_DELAY_MS: int(0, 600_000).default(1000),
  ALLOW_EMBEDDED_DATABASE: bool.default('false'),
  BACKUP_DIR: z.string().default('.data/backups'),
  PG_DUMP_PATH: z.string().default('pg_dump'),
  TENANT_SPARE_SCHEMAS: int(0, 1000).default(10),
  MIGRATE_ON_START: bool.optional(),
  LLM_API_KEY: optionalString,
  LLM_BASE_URL: absoluteUrl.default('https://api.openai.com/v1'),
  LLM_MODEL: optionalString,
  LLM_TIMEOUT_MS: int(100, 120_000).default(8000),
  LLM_JSON_MODE: bool.default('true'),
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: absoluteUrl.default('https://api.anthropic.com'),
  WHATSAPP_API_BASE_URL: absoluteUrl.default('https://graph.facebook.com/v21.0'),
  WHATSAPP_OUTBOX_INTERVAL: z.string().min(1).default('5 seconds'),
  WHATSAPP_MAX_ATTEMPTS: int(1, 100).default(8),
  SUBSCRIPTION_REPLAY_MAX_EVENTS: int(1, 100_000).default(1000),
  SUBSCRIPTION_REPLAY_WINDOW_HOURS: int(1, 24 * 30).default(24),
  SUBSCRIPTION_CREDENTIAL_CHECK_MS: int(100, 60_000).default(1000),
  SUBSCRIPTION_KEEP_ALIVE_MS: int(0, 600_000).default(12_000),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().min(0.001).max(3600).default(10),
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(15),
  WEBHOOK_INTERVAL: z.string().min(1).default('5 seconds'),
  WEBHOOK_TIMEOUT_MS: int(100, 60_000).default(10_000),
  WEBHOOK_DISABLE_AFTER_FAILURES: int(1, 10_000).default(20),
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 30)
    .default(24),
  WEBHOOK_ALLOW_PRIVATE: bool.default('false'),
  OIDC_ISSUER_URL: optionalString.pipe(absoluteUrl.optional()),
  OIDC_AUDIENCE: optionalString,
  OIDC_PROVIDERS: optionalString,
  OIDC_CLOCK_SKEW_SECONDS: int(0, 300).default(30),
  OIDC_ORG_CLAIM: optionalString,
  OIDC_ROLE_CLAIM: optionalString,
  OIDC_OWNER_ROLE: optionalString,
  OIDC_AUTO_PROVISION: bool.default('false'),
  CLERK_WEBHOOK_SECRET: optionalString,
});

/**
 * Production rules, read from the raw values so that they are reported in the same error as
 * the malformed ones (a refinement on the schema would only run once every type is right).
 */
function productionProblems(source: NodeJS.ProcessEnv): string[] {
  if (source.NODE_ENV?.trim() !== 'production') return [];
  const value = (name: string) => source[name]?.trim() || undefined;
  const problems: string[] = [];
  const secret = value('JWT_SECRET_KEY') ?? value('SECRET_KEY');
  if (!secret || Buffer.byteLength(secret) < 32) {
    problems.push('JWT_SECRET_KEY: required in production, at least 32 bytes (256 bits)');
  }
  if (!value('ENCRYPTION_KEY')) problems.push('ENCRYPTION_KEY: required in production (32 bytes hex)');
  for (const name of ['METRICS_TOKEN', 'ADMIN_SECRET']) {
    const token = value(name);
    if (token && token.length < 24) problems.push(`${name}: must be at least 24 characters in production`);
  }
  const allowEmbedded = bool.safeParse(value('ALLOW_EMBEDDED_DATABASE') ?? '');
  if (!value('DATABASE_URL') && !(allowEmbedded.success && allowEmbedded.data)) {
    problems.push(
      'DATABASE_URL: required in production (the embedded PostgreSQL is for development; ' +
        'ALLOW_EMBEDDED_DATABASE=true to use it anyway)',
    );
  }
  return problems;
}

export type Env = z.infer<typeof schema>;

export interface AppConfig {
  env: Env['NODE_ENV'];
  isProduction: boolean;
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  version: string;
  database: {
    /** Undefined means: start the embedded PostgreSQL. */
    url?: string;
    poolMax: number;
    poolMaxUses: number;
    poolMaxLifetimeSeconds: number;
    embeddedDir: string;
    embeddedPort: number;
    /**
     * Direct (not pooled) connection for the job runner: Agenda keeps a LISTEN
     * connection, which a transaction-mode pooler cannot carry. Falls back to `url`.
     */
    jobsUrl?: string;
  };
  jwt: {
    secret: string;
    algorithm: 'HS256';
    expirationHours: number;
    refreshExpirationDays: number;
    issuer: string;
    audience: string;
  };
  email: {
    host?: string;
    port: number;
    useTls: boolean;
    user?: string;
    password?: string;
    from: string;
    /** How often the outbox job delivers due mail (an Agenda interval such as '10 seconds'). */
    outboxInterval: string;
    outboxMaxAttempts: number;
    /** Without EMAIL_HOST, messages are written here as .eml files instead of being sent. */
    devDir: string;
  };
  /** Support mailboxes polled into tickets. */
  emailChannel: {
    /** How often every mailbox is polled (an Agenda interval such as '5 minutes'). */
    pollInterval: string;
    /** Larger incoming mail is left on the server, not downloaded. */
    maxMessageBytes: number;
  };
  productName: string;
  /** Express `trust proxy` setting (false: X-Forwarded-For is ignored). */
  trustProxy: boolean | number | string;
  auth: {
    /** Failed logins for one account (from any IP) before exponential back-off starts. */
    loginMaxFailures: number;
    /** Failed logins from one IP (any account) before exponential back-off starts. */
    loginMaxFailuresPerIp: number;
    /** Registrations, password-reset requests and verification resends per IP (resends: per user) per hour. */
    rateLimitPerHour: number;
  };
  apiKeys: {
    /** `lastUsedAt` is kept in memory and written in one statement this often (and at shutdown). */
    usageFlushMs: number;
    /** A verified key is kept in process this long at most (revocations drop it at once), at most `cacheMax` keys. */
    cacheTtlMs: number;
    cacheMax: number;
  };
  onboarding: {
    /** Local hour (0–23, in each tenant's timezone) from which onboarding reminders go out. */
    reminderHour: number;
  };
  frontendUrl: string;
  stripe: {
    secretKey?: string;
    publishableKey?: string;
    webhookSecret?: string;
    /** Where the Stripe client sends API calls (tests: a local server); unset: Stripe's own API. */
    apiUrl?: string;
    /** Stripe price id of each paid plan's monthly subscription. */
    prices: { STARTER?: string; PROFESSIONAL?: string; ENTERPRISE?: string };
  };
  khalti: { baseUrl: string; secretKey?: string };
  esewa: {
    /** Host of the ePay v2 form the browser posts to. */
    baseUrl: string;
    /** Host of the transaction status API (a different host from the form's in eSewa's sandbox). */
    statusUrl: string;
    merchantCode: string;
    merchantSecret?: string;
  };
  /** Where the wallets send the payer back after paying (or not). */
  payments: { successUrl: string; failureUrl: string };
  encryptionKey?: Buffer;
  /** Keys ENCRYPTION_KEY replaced: they still open what they sealed until `npm run secrets:reseal` ran. */
  previousEncryptionKeys: Buffer[];
  /**
   * Requests per principal (API key, user, else IP) per window, shared by every process through Redis or PostgreSQL.
   */
  /** Per user and per IP (an API key: its organization, at its plan's `requests_per_minute`); shared every `syncMs`. */
  rateLimit: { max: number; windowMs: number; syncMs: number };
  /** Rate limits are kept in Redis when set, otherwise in PostgreSQL. */
  redisUrl?: string;
  /** Domain events (the audit log) older than this are pruned by the `audit.retention` job. */
  auditRetentionDays: number;
  plans: {
    /** New organizations start TRIALING on this plan for `trialDays`. */
    trialPlan: 'FREE' | 'STARTER' | 'PROFESSIONAL' | 'ENTERPRISE';
    trialDays: number;
    /** Plan limits and features are cached per process this long (changes made in the process apply at once). */
    cacheTtlMs: number;
    /** API calls are counted in memory and added to the usage counters this often (and at shutdown). */
    usageFlushMs: number;
  };
  maxRequestSize: string;
  graphql: { sandbox: boolean; maxDepth: number; maxAliases: number; maxCost: number; maxTokens: number };
  sentryDsn?: string;
  metrics: {
    /** `GET /metrics` answers at all: with a token, or without one outside production. */
    enabled: boolean;
    /** Bearer token a scraper must present; unset means no token is asked for. */
    token?: string;
    /** Port of the metrics listener of worker processes (they have no HTTP server); 0: none. */
    port: number;
  };
  mongodbUrl?: string;
  adminSecret?: string;
  jobsEnabled: boolean;
  /** SIGTERM: how long an API answers /ready with 503 (still serving) before it stops accepting connections. */
  shutdownReadyDelayMs: number;
  /** SIGTERM: how long in-flight requests and jobs may take to finish before the process exits anyway. */
  shutdownGraceMs: number;
  backupDir: string;
  pgDumpPath: string;
  /** Spare tenant schemas the `tenants.spares` job keeps ready for createTenant (0: none). */
  tenantSpareSchemas: number;
  /** Apply pending migrations when a process starts (default: on, except in production with a DATABASE_URL). */
  migrateOnStart: boolean;
  /** The model asked to draft quotes (see llmConfig); undefined: generateQuote uses the matcher only. */
  llm?: LlmConfig;
  whatsapp: {
    /** The Cloud API replies are sent to (tests: a local server). */
    apiBaseUrl: string;
    /** How often the jobs send due replies and retry webhook events not yet applied (an Agenda interval). */
    outboxInterval: string;
    /** Attempts per reply, and per webhook event, before it is given up. */
    maxAttempts: number;
  };
  /** Sign-in through external OpenID providers, beside the built-in accounts. */
  oidc: {
    providers: OidcProviderConfig[];
    clockSkewSeconds: number;
    /** A provider organization with no tenant yet is provisioned on first use (else NOT_FOUND). */
    autoProvision: boolean;
  };
  clerk: { webhookSecret?: string };
  webhooks: WebhookConfig;
  /** GraphQL subscriptions over graphql-ws (docs/subscriptions.md). */
  subscriptions: {
    /** `after` replays at most this many events, and only those of the last `replayMaxAgeMs`. */
    replayMaxEvents: number;
    replayMaxAgeMs: number;
    /** How often each connection's credentials are checked again (expiry, ended session, revoked key). */
    credentialCheckMs: number;
    /** Ping interval; a client that does not answer within it is disconnected (0: none). */
    keepAliveMs: number;
  };
}

/** Partner webhooks (src/modules/webhooks). */
export interface WebhookConfig {
  /** First retry delay; doubles per failed attempt (at most 6 h), so 15 attempts span about a day. */
  retryBaseMs: number;
  maxAttempts: number;
  /** How often workers catch up on events the listener missed and retry due deliveries (an Agenda interval). */
  interval: string;
  /** Connect, and then the whole answer, each within this. */
  timeoutMs: number;
  /** An endpoint is disabled after this many failed attempts in a row… */
  disableAfterFailures: number;
  /** …spanning at least this long. */
  disableAfterMs: number;
  /** http:// URLs accepted (not in production). */
  allowHttp: boolean;
  /** Loopback, private, link-local… targets accepted (WEBHOOK_ALLOW_PRIVATE; tests, private deployments). */
  allowPrivate: boolean;
}

/** A trusted OpenID provider whose access tokens sign users in (src/modules/identity). */
export interface OidcProviderConfig {
  /** Exact `iss` of its tokens; discovery is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** The `aud` its tokens must carry for this API. */
  audience: string;
  /** Dotted claim paths of the organization id and role; unset: Clerk's (`org_id`/`org_role`, v2 `o.id`/`o.rol`). */
  orgClaim?: string;
  roleClaim?: string;
  /** The provider role that means OWNER here (otherwise OWNER is only granted in the membership table). */
  ownerRole?: string;
}

const providerEntry = z.object({
  issuer: absoluteUrl,
  audience: z.string().min(1),
  orgClaim: z.string().min(1).optional(),
  roleClaim: z.string().min(1).optional(),
  ownerRole: z.string().min(1).optional(),
});

/**
 * OIDC_ISSUER_URL + OIDC_AUDIENCE first (the primary provider, which Clerk webhooks and createTenant's
 * externalOrganizationId name), then OIDC_PROVIDERS.
 */
function oidcProviders(e: Env): { providers: OidcProviderConfig[]; problems: string[] } {
  const problems: string[] = [];
  const providers: OidcProviderConfig[] = [];
  if (e.OIDC_ISSUER_URL || e.OIDC_AUDIENCE) {
    if (!e.OIDC_ISSUER_URL || !e.OIDC_AUDIENCE) problems.push('OIDC_ISSUER_URL and OIDC_AUDIENCE go together');
    else
      providers.push({
        issuer: e.OIDC_ISSUER_URL,
        audience: e.OIDC_AUDIENCE,
        orgClaim: e.OIDC_ORG_CLAIM,
        roleClaim: e.OIDC_ROLE_CLAIM,
        ownerRole: e.OIDC_OWNER_ROLE,
      });
  }
  if (e.OIDC_PROVIDERS) {
    let listed: unknown;
    try {
      listed = JSON.parse(e.OIDC_PROVIDERS);
    } catch {
      listed = undefined;
    }
    const parsed = z.array(providerEntry).safeParse(listed);
    if (parsed.success) providers.push(...parsed.data);
    else
      problems.push(
        'OIDC_PROVIDERS: must be a JSON list of {"issuer","audience","orgClaim?","roleClaim?","ownerRole?"}',
      );
  }
  const issuers = providers.map((p) => p.issuer);
  if (new Set(issuers).size !== issuers.length) problems.push('OIDC providers: each issuer once');
  if (issuers.includes(e.JWT_ISSUER))
    problems.push('OIDC providers: an issuer equal to JWT_ISSUER would confuse provider and built-in tokens');
  return { providers, problems };
}

export interface LlmConfig {
  /** `openai`: any OpenAI-compatible chat-completions API; `anthropic`: the Messages API. */
  provider: 'openai' | 'anthropic';
  apiKey: string;
  baseUrl: string;
  model: string;
  timeoutMs: number;
  /** Send `response_format: json_object` (OpenAI-compatible servers that reject it: LLM_JSON_MODE=false). */
  jsonMode: boolean;
}

/** LLM_API_KEY (any OpenAI-compatible endpoint) wins over OPENAI_API_KEY, which wins over ANTHROPIC_API_KEY. */
function llmConfig(e: Env): LlmConfig | undefined {
  const common = { timeoutMs: e.LLM_TIMEOUT_MS, jsonMode: e.LLM_JSON_MODE };
  const openAiKey = e.LLM_API_KEY ?? e.OPENAI_API_KEY;
  if (openAiKey)
    return {
      provider: 'openai',
      apiKey: openAiKey,
      baseUrl: e.LLM_BASE_URL.replace(/\/+$/, ''),
      model: e.LLM_MODEL ?? 'gpt-4o-mini',
      ...common,
    };
  if (e.ANTHROPIC_API_KEY) {
    return {
      provider: 'anthropic',
      apiKey: e.ANTHROPIC_API_KEY,
      baseUrl: e.ANTHROPIC_BASE_URL.replace(/\/+$/, ''),
      model: e.LLM_MODEL ?? 'claude-3-5-haiku-latest',
      ...common,
    };
  }
  return undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(source);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`)),
    ...productionProblems(source),
  ];
  const oidc = parsed.success ? oidcProviders(parsed.data) : { providers: [], problems: [] };
  problems.push(...oidc.problems);
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const frontendUrl = e.FRONTEND_URL.replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    version: packageVersion,
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      poolMaxUses: e.DATABASE_POOL_MAX_USES,
      poolMaxLifetimeSeconds: e.DATABASE_POOL_MAX_LIFETIME_SECONDS,
      embeddedDir: e.EMBEDDED_DATABASE_DIR,
      embeddedPort: e.EMBEDDED_DATABASE_PORT,
      jobsUrl: e.JOBS_DATABASE_URL,
    },
    jwt: {
      secret: e.JWT_SECRET_KEY ?? e.SECRET_KEY ?? DEV_SECRET,
      algorithm: e.JWT_ALGORITHM,
      expirationHours: e.JWT_EXPIRATION_HOURS,
      refreshExpirationDays: e.JWT_REFRESH_EXPIRATION_DAYS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    email: {
      host: e.EMAIL_HOST,
      port: e.EMAIL_PORT,
      useTls: e.EMAIL_USE_TLS,
      user: e.EMAIL_HOST_USER,
      password: e.EMAIL_HOST_PASSWORD,
      from: e.DEFAULT_FROM_EMAIL,
      outboxInterval: e.EMAIL_OUTBOX_INTERVAL,
      outboxMaxAttempts: e.EMAIL_OUTBOX_MAX_ATTEMPTS,
      devDir: e.EMAIL_DEV_DIR,
    },
    emailChannel: { pollInterval: e.EMAIL_POLL_INTERVAL, maxMessageBytes: e.EMAIL_MAX_MESSAGE_BYTES },
    productName: e.PRODUCT_NAME,
    trustProxy: e.TRUST_PROXY,
    auth: {
      loginMaxFailures: e.LOGIN_MAX_FAILURES,
      loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      rateLimitPerHour: e.AUTH_RATE_LIMIT_PER_HOUR,
    },
    apiKeys: {
      usageFlushMs: e.API_KEY_USAGE_FLUSH_SECONDS * 1000,
      cacheTtlMs: e.API_KEY_CACHE_SECONDS * 1000,
      cacheMax: e.API_KEY_CACHE_MAX,
    },
    onboarding: { reminderHour: e.ONBOARDING_REMINDER_HOUR },
    frontendUrl,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      publishableKey: e.STRIPE_PUBLISHABLE_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET,
      apiUrl: e.STRIPE_API_URL,
      prices: {
        STARTER: e.STRIPE_PRICE_STARTER,
        PROFESSIONAL: e.STRIPE_PRICE_PROFESSIONAL,
        ENTERPRISE: e.STRIPE_PRICE_ENTERPRISE,
      },
    },
    khalti: { baseUrl: e.KHALTI_BASE_URL.replace(/\/+$/, ''), secretKey: e.KHALTI_SECRET_KEY },
    esewa: {
      baseUrl: e.ESEWA_BASE_URL.replace(/\/+$/, ''),
      statusUrl: e.ESEWA_STATUS_URL.replace(/\/+$/, ''),
      merchantCode: e.ESEWA_MERCHANT_CODE,
      merchantSecret: e.ESEWA_MERCHANT_SECRET,
    },
    payments: {
      successUrl: e.PAYMENT_SUCCESS_URL ?? `${frontendUrl}/billing/payment/success`,
      failureUrl: e.PAYMENT_FAILURE_URL ?? `${frontendUrl}/billing/payment/failure`,
    },
    encryptionKey: e.ENCRYPTION_KEY ? Buffer.from(e.ENCRYPTION_KEY, 'hex') : undefined,
    previousEncryptionKeys: (e.ENCRYPTION_KEY_PREVIOUS?.split(',') ?? []).map((key) => Buffer.from(key.trim(), 'hex')),
    rateLimit: { max: e.RATE_LIMIT_MAX, windowMs: e.RATE_LIMIT_WINDOW, syncMs: e.RATE_LIMIT_SYNC_MS },
    redisUrl: e.REDIS_URL,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    plans: {
      trialPlan: e.TRIAL_PLAN,
      trialDays: e.TRIAL_DAYS,
      cacheTtlMs: e.PLAN_CACHE_SECONDS * 1000,
      usageFlushMs: e.USAGE_FLUSH_SECONDS * 1000,
    },
    maxRequestSize: e.MAX_REQUEST_SIZE,
    graphql: {
      sandbox: e.GRAPHQL_SANDBOX ?? !isProduction,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
    },
    sentryDsn: e.SENTRY_DSN,
    metrics: { enabled: !!e.METRICS_TOKEN || !isProduction, token: e.METRICS_TOKEN, port: e.METRICS_PORT },
    mongodbUrl: e.MONGODB_URL,
    adminSecret: e.ADMIN_SECRET,
    jobsEnabled: e.JOBS_ENABLED,
    shutdownReadyDelayMs: e.SHUTDOWN_READY_DELAY_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    backupDir: e.BACKUP_DIR,
    pgDumpPath: e.PG_DUMP_PATH,
    tenantSpareSchemas: e.TENANT_SPARE_SCHEMAS,
    // An embedded database belongs to this process alone: nobody else would migrate it.
    migrateOnStart: e.MIGRATE_ON_START ?? (!isProduction || !e.DATABASE_URL),
    llm: llmConfig(e),
    whatsapp: {
      apiBaseUrl: e.WHATSAPP_API_BASE_URL.replace(/\/+$/, ''),
      outboxInterval: e.WHATSAPP_OUTBOX_INTERVAL,
      maxAttempts: e.WHATSAPP_MAX_ATTEMPTS,
    },
    subscriptions: {
      replayMaxEvents: e.SUBSCRIPTION_REPLAY_MAX_EVENTS,
      replayMaxAgeMs: e.SUBSCRIPTION_REPLAY_WINDOW_HOURS * 3_600_000,
      credentialCheckMs: e.SUBSCRIPTION_CREDENTIAL_CHECK_MS,
      keepAliveMs: e.SUBSCRIPTION_KEEP_ALIVE_MS,
    },
    webhooks: {
      retryBaseMs: Math.round(e.WEBHOOK_RETRY_BASE_SECONDS * 1000),
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      interval: e.WEBHOOK_INTERVAL,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      disableAfterFailures: e.WEBHOOK_DISABLE_AFTER_FAILURES,
      disableAfterMs: Math.round(e.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000),
      allowHttp: !isProduction,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    },
    oidc: {
      providers: oidc.providers,
      clockSkewSeconds: e.OIDC_CLOCK_SKEW_SECONDS,
      autoProvision: e.OIDC_AUTO_PROVISION,
    },
    clerk: { webhookSecret: e.CLERK_WEBHOOK_SECRET },
  };
}

/** For processes (server, worker, CLIs): `.env` in the working directory if present, real variables winning. */
export function loadProcessConfig(): AppConfig {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('dotenv').config({ quiet: true });
  return loadConfig(process.env);
}
