import { ConfigError, loadConfig } from '../../core/config/config';

const load = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env });
const problemsOf = (env: Record<string, string>) => {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('OIDC configuration', () => {
  it('reads the primary provider, then OIDC_PROVIDERS, with the claim settings', () => {
    const { oidc, clerk } = load({
      OIDC_ISSUER_URL: 'https://app.clerk.accounts.dev',
      OIDC_AUDIENCE: 'https://api.example.com',
      OIDC_OWNER_ROLE: 'org:owner',
      OIDC_PROVIDERS: JSON.stringify([
        { issuer: 'https://sso.example.com/realms/a', audience: 'tenantql-api', orgClaim: 'tenant.id' },
      ]),
      OIDC_AUTO_PROVISION: 'true',
      CLERK_WEBHOOK_SECRET: 'whsec_abc',
    });
    expect(oidc).toEqual({
      providers: [
        { issuer: 'https://app.clerk.accounts.dev', audience: 'https://api.example.com', ownerRole: 'org:owner' },
        { issuer: 'https://sso.example.com/realms/a', audience: 'tenantql-api', orgClaim: 'tenant.id' },
      ],
      clockSkewSeconds: 30,
      autoProvision: true,
    });
    expect(clerk).toEqual({ webhookSecret: 'whsec_abc' });
    expect(load({}).oidc.providers).toEqual([]);
  });

  it('refuses half a provider, a malformed list, a repeated issuer and our own issuer', () => {
    expect(problemsOf({ OIDC_ISSUER_URL: 'https://a.example' })).toEqual([
      'OIDC_ISSUER_URL and OIDC_AUDIENCE go together',
    ]);
    expect(problemsOf({ OIDC_PROVIDERS: '[{"issuer":"not a url"}]' })[0]).toMatch(
      /^OIDC_PROVIDERS: must be a JSON list/,
    );
    expect(
      problemsOf({
        OIDC_ISSUER_URL: 'https://a.example',
        OIDC_AUDIENCE: 'x',
        OIDC_PROVIDERS: '[{"issuer":"https://a.example","audience":"y"}]',
      }),
    ).toEqual(['OIDC providers: each issuer once']);
    expect(
      problemsOf({ JWT_ISSUER: 'https://a.example', OIDC_ISSUER_URL: 'https://a.example', OIDC_AUDIENCE: 'x' }),
    ).toEqual(['OIDC providers: an issuer equal to JWT_ISSUER would confuse provider and built-in tokens']);
  });
});
