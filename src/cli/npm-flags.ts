/** A CLI's own flags: the name without dashes, and whether it takes a value. */
export type FlagSpec = Record<string, 'value' | 'boolean'>;

/**
 * `npm run doctor --json` passes no flag to the script: npm takes `--json` as its own config and
 * exposes it as `npm_config_json`, and the value of `--tenant acme` becomes a stray argument. A CLI
 * that ran anyway would do the wrong thing (`secrets:reseal --dry-run` re-sealed for real), so it
 * looks for its own flag names there and returns the command line that does pass them (only under
 * npm: `npm_lifecycle_event` names the script). Only the CLI's flags are matched; npm sets many others.
 */
export function npmSwallowedFlags(flags: FlagSpec, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const script = env.npm_lifecycle_event;
  if (!script) return undefined;
  const swallowed = Object.keys(flags).filter((name) => env[`npm_config_${name.replace(/-/g, '_')}`] !== undefined);
  if (!swallowed.length) return undefined;
  const args = swallowed.map((name) => {
    const value = env[`npm_config_${name.replace(/-/g, '_')}`];
    if (flags[name] === 'boolean') return `--${name}`;
    return `--${name} ${value && value !== 'true' ? value : '<value>'}`;
  });
  return (
    `npm took ${swallowed.map((n) => `--${n}`).join(', ')} for itself and passed nothing to the script; ` +
    `options go after "--": npm run ${script} -- ${args.join(' ')}`
  );
}

/** Writes the refusal on stderr; true when the CLI must stop (with exit code 2). */
export function refuseNpmSwallowedFlags(cli: string, flags: FlagSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  const problem = npmSwallowedFlags(flags, env);
  if (problem) process.stderr.write(`${cli}: ${problem}\n`);
  return !!problem;
}
