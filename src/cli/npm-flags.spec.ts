import { runCli, runCommand } from '../../test/support/run-cli';
import { npmSwallowedFlags } from './npm-flags';

/** The real `npm run <script> <args>`, as an operator types it. */
const npmRun = (args: string[], env: Record<string, string>) =>
  runCommand('npm', ['run', ...args], { ...process.env, ...env });

// The npm scripts build first (tsc, incremental): slow on a busy machine.
jest.setTimeout(240_000);

describe('flags npm swallowed are refused', () => {
  // Nothing may be reached: a reseal that ran would need this database.
  const env = { DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:1/nothing', npm_config_loglevel: 'silent' };

  it('npm run secrets:reseal --dry-run and npm run doctor --json stop with exit 2 and the right command line', async () => {
    const reseal = await npmRun(['secrets:reseal', '--dry-run'], env);
    expect(reseal.code).toBe(2);
    expect(reseal.stderr).toContain(
      'secrets:reseal: npm took --dry-run for itself and passed nothing to the script; options go after "--": ' +
        'npm run secrets:reseal -- --dry-run\n',
    );
    const doctor = await npmRun(['doctor', '--json'], env);
    expect(doctor.code).toBe(2);
    expect(doctor.stderr).toContain('doctor: npm took --json for itself');
    expect(doctor.stderr).toContain('npm run doctor -- --json\n');
  });

  it('every CLI checks its own flags (as npm exposes them), and only those', async () => {
    const under = (script: string, flags: Record<string, string>) => ({ npm_lifecycle_event: script, ...flags });
    const runs = await Promise.all([
      runCli('src/cli/migrate.ts', ['up'], {
        ...env,
        ...under('migrate', { npm_config_tenant: 'true', npm_config_concurrency: '3' }),
      }),
      runCli('src/cli/tenant-backup.ts', [], { ...env, ...under('tenant:backup', { npm_config_tenant: 'true' }) }),
      runCli('src/cli/tenant-restore.ts', [], { ...env, ...under('tenant:restore', { npm_config_file: 'true' }) }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(runs[0].stderr).toContain('npm run migrate -- --concurrency 3 --tenant <value>\n');
    expect(runs[1].stderr).toContain('npm run tenant:backup -- --tenant <value>\n');
    expect(runs[2].stderr).toContain('npm run tenant:restore -- --file <value>\n');
  });

  it('ignores npm configs that are not the CLI flags, and runs outside npm untouched', () => {
    const npmOwn = {
      npm_lifecycle_event: 'doctor',
      npm_config_cache: '/root/.npm',
      npm_config_yes: '',
      npm_config_loglevel: 'silent',
    };
    expect(npmSwallowedFlags({ json: 'boolean' }, npmOwn)).toBeUndefined();
    expect(npmSwallowedFlags({ json: 'boolean' }, { npm_config_json: 'true' })).toBeUndefined();
    expect(npmSwallowedFlags({ 'dry-run': 'boolean' }, { ...npmOwn, npm_config_dry_run: 'true' })).toMatch(
      /npm run doctor -- --dry-run$/,
    );
  });
});
