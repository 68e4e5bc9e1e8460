import 'reflect-metadata';
import pino from 'pino';
import { ConfigError, loadProcessConfig, type AppConfig } from '../core/config/config';
import { REDACTED_PATHS } from '../core/logging/logger';
import { runChecks, type CheckResult, type CheckStatus, type DoctorContext } from './doctor-checks';
import { refuseNpmSwallowedFlags } from './npm-flags';

const USAGE = `Usage: doctor [options]

Checks a deployment before (and after) it serves: configuration and secrets, database and
migrations (public and every tenant), job runner, SMTP, Stripe keys and webhook secrets, and
whether stored channel secrets are all readable and sealed with the current ENCRYPTION_KEY.

Options:
  --send-test-email TO   also send a test message through SMTP to TO
  --timeout-ms N         time allowed to each check (default 5000)
  --json                 print a machine-readable report on stdout
  --help                 this text

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage error.`;

interface DoctorOptions {
  json: boolean;
  timeoutMs: number;
  sendTestEmailTo?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): DoctorOptions | undefined {
  const options: DoctorOptions = { json: false, timeoutMs: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    if (arg === '--help' || arg === '-h') return undefined;
    else if (arg === '--json') options.json = true;
    else if (arg === '--send-test-email') options.sendTestEmailTo = value();
    else if (arg === '--timeout-ms') {
      options.timeoutMs = Number(value());
      if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 100)
        throw new UsageError('--timeout-ms must be an integer >= 100');
    } else throw new UsageError(`unknown option ${arg}`);
  }
  return options;
}

const SYMBOL: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };

function printText(results: CheckResult[], config: AppConfig | undefined): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`tenantql doctor${config ? ` (NODE_ENV=${config.env}, version ${config.version})` : ''}`);
  const width = Math.max(...results.map((r) => r.name.length));
  for (const result of results) {
    out(`${SYMBOL[result.status]} ${result.name.padEnd(width)}  ${result.message}`);
    for (const detail of result.details ?? []) out(`    ${detail}`);
  }
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  out(`doctor: ${count('pass')} ok, ${count('warn')} warning(s), ${count('fail')} failed, ${count('skip')} skipped`);
}

async function checkDeployment(config: AppConfig, options: DoctorOptions): Promise<CheckResult[]> {
  // Logs of the code the checks run (e.g. the embedded database starting) go to stderr: stdout is the report.
  const logger = pino(
    {
      level: 'warn',
      base: { service: 'tenantql', role: 'doctor' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
  const context: DoctorContext = {
    config,
    env: process.env,
    logger,
    timeoutMs: options.timeoutMs,
    sendTestEmailTo: options.sendTestEmailTo,
  };
  try {
    return await runChecks(context);
  } finally {
    await context.database?.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const flags = { json: 'boolean', 'send-test-email': 'value', 'timeout-ms': 'value' } as const;
  if (refuseNpmSwallowedFlags('doctor', flags)) return 2;
  let options: DoctorOptions | undefined;
  try {
    options = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`doctor: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let config: AppConfig | undefined;
  let results: CheckResult[];
  try {
    config = loadProcessConfig();
    results = await checkDeployment(config, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    results = [
      {
        name: 'configuration',
        status: 'fail',
        message: 'invalid: nothing else was checked',
        details: error.problems,
        durationMs: 0,
      },
    ];
  }
  const ok = !results.some((r) => r.status === 'fail');
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ ok, environment: config?.env, version: config?.version, checks: results }, null, 2)}\n`,
    );
  } else {
    printText(results, config);
  }
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`doctor: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
