import { ConfigError, loadConfig } from './config';

const production = {
  NODE_ENV: 'production',
  SECRET_KEY: 's'.repeat(40),
  ENCRYPTION_KEY: 'a'.repeat(64),
  DATABASE_URL: 'postgres://db.internal/tenantql',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('works with no environment at all (development defaults)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      maxRequestSize: '1mb',
      database: { url: undefined },
    });
    expect(config.graphql.sandbox).toBe(true);
    expect(config.jwt.algorithm).toBe('HS256');
  });

  it('lists every invalid value in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'mysql://x',
        ENCRYPTION_KEY: 'short',
        MAX_REQUEST_SIZE: 'huge',
        FRONTEND_URL: 'not a url',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'ENCRYPTION_KEY', 'MAX_REQUEST_SIZE', 'FRONTEND_URL'])
      expect(problems).toContain(name);
  });

  it('refuses weak or missing secrets in production and turns the sandbox off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET_KEY[\s\S]*ENCRYPTION_KEY/);
    expect(() => loadConfig({ ...production, SECRET_KEY: 'short' })).toThrow(/256 bits/);
    const config = loadConfig({ ...production, JWT_SECRET_KEY: '' });
    expect(config.jwt.secret).toBe('s'.repeat(40)); // empty JWT_SECRET_KEY falls back to SECRET_KEY
    expect(config.graphql.sandbox).toBe(false);
    expect(config.migrateOnStart).toBe(false);
    expect(loadConfig({ ...production, GRAPHQL_SANDBOX: 'true' }).graphql.sandbox).toBe(true);
  });

  it('reports malformed values and production rules in one error', () => {
    const env = { NODE_ENV: 'production', PORT: 'eighty', ADMIN_SECRET: 'short', METRICS_TOKEN: 'tiny' };
    const problems = problemsOf(env);
    expect(problems).toEqual([
      'PORT: Expected number, received nan',
      'JWT_SECRET_KEY: required in production, at least 32 bytes (256 bits)',
      'ENCRYPTION_KEY: required in production (32 bytes hex)',
      'METRICS_TOKEN: must be at least 24 characters in production',
      'ADMIN_SECRET: must be at least 24 characters in production',
      expect.stringMatching(/^DATABASE_URL: required in production .*ALLOW_EMBEDDED_DATABASE=true/),
    ]);
    // A malformed secret is reported once, as malformed.
    const malformed = problemsOf({ ...production, ENCRYPTION_KEY: 'xyz' });
    expect(malformed).toEqual(['ENCRYPTION_KEY: must be 32 bytes as 64 hex characters']);
  });

  it('refuses production without DATABASE_URL unless the embedded database is allowed explicitly', () => {
    const { DATABASE_URL: _url, ...embedded } = production;
    expect(problemsOf(embedded)).toEqual([expect.stringMatching(/^DATABASE_URL: required in production/)]);
    expect(problemsOf({ ...embedded, ALLOW_EMBEDDED_DATABASE: 'maybe' })).toEqual([
      expect.stringMatching(/^ALLOW_EMBEDDED_DATABASE: /),
      expect.stringMatching(/^DATABASE_URL: required in production/),
    ]);
    const allowed = loadConfig({ ...embedded, ALLOW_EMBEDDED_DATABASE: 'true' });
    // Nobody else migrates a database private to this process.
    expect(allowed).toMatchObject({ database: { url: undefined }, migrateOnStart: true });
  });

  it('waits SHUTDOWN_READY_DELAY_MS with /ready at 503 before it stops accepting (default 1 s)', () => {
    expect(loadConfig({}).shutdownReadyDelayMs).toBe(1000);
    expect(loadConfig({ SHUTDOWN_READY_DELAY_MS: '0' }).shutdownReadyDelayMs).toBe(0);
    const negative = problemsOf({ SHUTDOWN_READY_DELAY_MS: '-1' });
    expect(negative).toEqual([expect.stringMatching(/^SHUTDOWN_READY_DELAY_MS: /)]);
  });
});
