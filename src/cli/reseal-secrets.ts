import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadProcessConfig } from '../core/config/config';
import { refuseNpmSwallowedFlags } from './npm-flags';

const USAGE = `Usage: secrets:reseal [options]

Re-seals every stored secret (mailbox passwords, WhatsApp tokens) with the current ENCRYPTION_KEY,
one transaction per organization. Run it after rotating ENCRYPTION_KEY, with the replaced key in
ENCRYPTION_KEY_PREVIOUS; once it reports no failure, the previous key can be removed. Idempotent.

Options:
  --dry-run   count what would be re-sealed, write nothing
  --help      this text

Exit codes: 0 done, 1 an organization failed (the others were re-sealed), 2 usage or configuration error.`;

class UsageError extends Error {}

function parseOptions(argv: string[]): { dryRun: boolean } | undefined {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    return values.help ? undefined : { dryRun: !!values['dry-run'] };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * `npm run secrets:reseal`: runs from the compiled code (dist/), like the other operator CLIs.
 * Result lines on stdout, progress and logs on stderr.
 */
async function main(argv: string[]): Promise<number> {
  if (refuseNpmSwallowedFlags('secrets:reseal', { 'dry-run': 'boolean' })) return 2;
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadProcessConfig();
  // Loaded once the arguments are known good: usage errors and --help answer without loading the ORM.
  const [{ SecretBox, keyIdOf }, { resealAllSecrets, RESEAL_CONCURRENCY }, output, { openCliDatabase }] =
    await Promise.all([
      import('../core/crypto/secret-box'),
      import('./reseal-secrets-command'),
      import('./cli-output'),
      import('./cli-database'),
    ]);
  const secrets = SecretBox.fromKey(config.encryptionKey, config.isProduction, config.previousEncryptionKeys);
  const db = await openCliDatabase(config, 'reseal-secrets', RESEAL_CONCURRENCY + 1);
  const print = output.printToStdout;
  try {
    const previous = config.previousEncryptionKeys.map(keyIdOf);
    print(
      `${options.dryRun ? 'dry run (nothing is written): ' : ''}sealing with key ${secrets.keyId}${previous.length ? `, previous ${previous.join(', ')}` : ''}`,
    );
    let progress: ReturnType<typeof output.createProgress> | undefined;
    const summary = await resealAllSecrets(db.dataSource, secrets, {
      dryRun: options.dryRun,
      onStart: (total) => {
        if (!total) return;
        progress = output.createProgress('tenants');
        progress.start(total);
      },
      onResult: (failed) => progress?.tick(failed),
    });
    progress?.stop();
    const verb = options.dryRun ? 'would re-seal' : 're-sealed';
    print(
      `tenants: total ${summary.tenants}, failed ${summary.failed.length} (${output.formatDuration(summary.durationMs)})`,
    );
    print(
      `secrets: total ${summary.total}, ${verb} ${summary.resealed} (${summary.otherKey} on a previous key), unchanged ${summary.total - summary.resealed}`,
    );
    for (const { tenant, error } of summary.failed) print(`  failed ${tenant.slug} (${tenant.schemaName}): ${error}`);
    return summary.failed.length ? 1 : 0;
  } finally {
    await db.close();
  }
}

function report(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`secrets:reseal: ${error.message} (see --help)\n`);
    return 2;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`secrets:reseal: invalid configuration: ${error.problems.join('; ')}\n`);
    return 2;
  }
  process.stderr.write(`secrets:reseal: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => (process.exitCode = report(error)),
);
