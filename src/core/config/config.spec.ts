import { ConfigError, loadConfig } from './config';

describe('configuration', () => {
  it('works with no environment at all (development defaults)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 4000, maxRequestSize: '1mb', database: { url: undefined } });
    expect(config.graphql.sandbox).toBe(true);
    expect(config.jwt.algorithm).toBe('HS256');
  });

  it('lists every invalid value in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', ENCRYPTION_KEY: 'short', MAX_REQUEST_SIZE: 'huge', FRONTEND_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'ENCRYPTION_KEY', 'MAX_REQUEST_SIZE', 'FRONTEND_URL']) expect(problems).toContain(name);
  });

  it('refuses weak or missing secrets in production and turns the sandbox off', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET_KEY[\s\S]*ENCRYPTION_KEY/);
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'short', ENCRYPTION_KEY: 'a'.repeat(64) })).toThrow(/256 bits/);
    const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 's'.repeat(40), ENCRYPTION_KEY: 'a'.repeat(64) });
    expect(config.jwt.secret).toBe('s'.repeat(40)); // empty JWT_SECRET_KEY falls back to SECRET_KEY
    expect(config.graphql.sandbox).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: 's'.repeat(40), ENCRYPTION_KEY: 'a'.repeat(64), GRAPHQL_SANDBOX: 'true' }).graphql.sandbox).toBe(true);
  });
});
