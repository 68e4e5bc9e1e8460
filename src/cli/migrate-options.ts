import { parseArgs } from 'node:util';
import { isUuid, SLUG_MAX_LENGTH, SLUG_PATTERN } from '../core/tenancy/tenant-schema';
import { DEFAULT_LOCK_TIMEOUT_MS } from '../core/database/tenant-migration-state';
import type { FlagSpec } from './npm-flags';

/** Tenants named per state in the status summary. */
export const STATUS_FIRST = 10;

export const COMMANDS = ['up', 'status', 'sql', 'revert'] as const;
export type MigrateCommand = (typeof COMMANDS)[number];

/** Which part a command works on: `--public-only`, `--tenants-only`, or both (default). */
export type MigrateScope = 'all' | 'public' | 'tenants';

export interface MigrateOptions {
  command: MigrateCommand;
  scope: MigrateScope;
  concurrency: number;
  tenant?: string;
  json: boolean;
  /** status: list only the tenants that are not up to date. */
  onlyProblems: boolean;
  /** status: every tenant's applied and pending migrations instead of the summary. */
  details: boolean;
  /** up, revert: `lock_timeout` of each tenant's transaction. */
  lockTimeoutMs: number;
  /** up: also run the tenants holding a migration error although they look up to date. */
  retryFailed: boolean;
}

export const USAGE = `Usage: migrate <command> [options]

Commands:
  up        apply public migrations, then tenant migrations to every tenant that is behind
  status    public migrations applied [X] and pending [ ], then tenants per state (up to date, behind,
            ahead, failed) naming the first ${STATUS_FIRST} of each; per tenant with --details or --tenant
  sql       print the SQL of pending public and tenant migrations without applying anything
  revert    revert the newest migration of every tenant (or of --tenant); --public: the newest public one

Options:
  --concurrency N   tenants migrated at once (up, revert; default 4)
  --lock-timeout T  longest wait for a lock in one tenant's transaction, e.g. 5s or 500ms (up, revert;
                    default 5s); a tenant whose locks stay taken is tried 3 times, then reported failed
  --tenant ID|SLUG  only this tenant (up, status, revert)
  --public-only     only the public schema (up, status, sql)
  --tenants-only    only the tenant schemas (up, status, sql)
  --public          revert the newest public migration instead of tenant ones (revert)
  --json            machine-readable output (status)
  --details         every tenant's applied [X] and pending [ ] migrations (status; long at many tenants)
  --only-problems   with --details: only tenants behind, ahead or failed (status)
  --retry-failed    also re-run tenants holding a migration error, clearing stale ones (up)
  --help            this text

An interrupted up or revert (Ctrl-C, SIGTERM) finishes the tenants in flight, starts no other and exits 130;
each tenant is one transaction, so running the command again resumes with the tenants not done.

Exit codes: 0 done, 1 failed (a tenant failed, database unreachable), 2 usage error, 130 interrupted.`;

/** A mistake in the command line: reported with one line and exit code 2. */
export class UsageError extends Error {}

/** Options each command accepts; anything else is a usage error rather than silently ignored. */
const ACCEPTED: Record<MigrateCommand, string[]> = {
  up: ['concurrency', 'tenant', 'public-only', 'tenants-only', 'retry-failed', 'lock-timeout'],
  status: ['tenant', 'public-only', 'tenants-only', 'json', 'only-problems', 'details'],
  sql: ['public-only', 'tenants-only'],
  revert: ['concurrency', 'tenant', 'public', 'lock-timeout'],
};

const MAX_CONCURRENCY = 64;

/** Parses `argv` (without node and script); returns undefined when `--help` was asked for. */
export function parseMigrateArgs(argv: string[]): MigrateOptions | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [command, ...extra] = positionals;
  if (!command) throw new UsageError(`a command is required: ${COMMANDS.join(', ')}`);
  if (!(COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command "${command}" (expected ${COMMANDS.join(', ')})`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const cmd = command as MigrateCommand;
  const refused = Object.keys(values).find((name) => !ACCEPTED[cmd].includes(name));
  if (refused) throw new UsageError(`--${refused} does not apply to "${cmd}"`);

  if (values['public-only'] && values['tenants-only'])
    throw new UsageError('--public-only and --tenants-only exclude each other');
  if (values.tenant !== undefined && (values['public-only'] || values.public)) {
    throw new UsageError(`--tenant cannot be combined with --${values.public ? 'public' : 'public-only'}`);
  }
  return {
    command: cmd,
    scope: values['public-only'] || values.public ? 'public' : values['tenants-only'] ? 'tenants' : 'all',
    concurrency: values.concurrency === undefined ? 4 : parseConcurrency(values.concurrency),
    tenant: values.tenant === undefined ? undefined : parseTenant(values.tenant),
    json: !!values.json,
    onlyProblems: !!values['only-problems'],
    details: !!values.details,
    lockTimeoutMs:
      values['lock-timeout'] === undefined ? DEFAULT_LOCK_TIMEOUT_MS : parseLockTimeout(values['lock-timeout']),
    retryFailed: !!values['retry-failed'],
  };
}

const OPTIONS = {
  concurrency: { type: 'string' },
  tenant: { type: 'string' },
  'public-only': { type: 'boolean' },
  'tenants-only': { type: 'boolean' },
  public: { type: 'boolean' },
  json: { type: 'boolean' },
  'only-problems': { type: 'boolean' },
  'retry-failed': { type: 'boolean' },
  details: { type: 'boolean' },
  'lock-timeout': { type: 'string' },
} as const;

/** The flags npm would swallow without `--` (see npm-flags.ts). */
export const MIGRATE_FLAGS: FlagSpec = Object.fromEntries(
  Object.entries(OPTIONS).map(([name, { type }]) => [name, type === 'string' ? 'value' : 'boolean']),
);

function parse(argv: string[]) {
  const options = { ...OPTIONS, help: { type: 'boolean', short: 'h' } } as const;
  return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
}

function parseConcurrency(raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_CONCURRENCY) {
    throw new UsageError(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got "${raw}"`);
  }
  return value;
}

function parseLockTimeout(raw: string): number {
  const match = /^(\d+)(ms|s)$/.exec(raw.trim());
  const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!(ms >= 10 && ms <= 600_000))
    throw new UsageError(`--lock-timeout must be a duration from 10ms to 600s (e.g. 5s, 500ms), got "${raw}"`);
  return ms;
}

function parseTenant(raw: string): string {
  const value = raw.trim();
  if (isUuid(value)) return value.toLowerCase();
  if (value.length <= SLUG_MAX_LENGTH && SLUG_PATTERN.test(value)) return value;
  throw new UsageError(`--tenant must be a tenant id or slug, got "${raw}"`);
}
