import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const SERVER = path.join(__dirname, 'oidc-provider-server.mjs');
/** The test client of oidc-provider-server.mjs (which may set its tokens' subject and claims). */
const CLIENT = { id: 'tenantql-test', secret: 'tenantql-test-secret-0123456789abcdef' };
export const TEST_OIDC_AUDIENCE = 'https://api.tenantql.test';

export interface ProviderTokenOptions {
  sub: string;
  /** Claims the token carries besides the standard ones (email, organization claims…). */
  claims?: Record<string, unknown>;
  /** `aud` (the resource indicator asked for); default TEST_OIDC_AUDIENCE. */
  audience?: string;
  /** Seconds from now to `exp` (negative: already expired). */
  expiresIn?: number;
}

export interface TestOidcProvider {
  issuer: string;
  /** The current signing key's id. */
  kid: string;
  /** The env that makes the app trust this provider. */
  env: Record<string, string>;
  /** A real RS256 access token from the provider's token endpoint. */
  token(options: ProviderTokenOptions): Promise<string>;
  /** New signing key; the old one leaves the JWKS. */
  rotate(): Promise<string>;
  /** How many times the JWKS has been fetched so far. */
  jwksFetches(): Promise<number>;
  close(): Promise<void>;
}

/** Runs oidc-provider (ESM-only, so in a child process) on a free port. */
export async function startOidcProvider(): Promise<TestOidcProvider> {
  const child = spawn(process.execPath, [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume(); // its Node-version and dev-adapter warnings
  const lines = readline.createInterface({ input: child.stdout });
  const pending: ((value: Record<string, unknown>) => void)[] = [];
  lines.on('line', (line) => pending.shift()?.(JSON.parse(line) as Record<string, unknown>));
  const next = () => new Promise<Record<string, unknown>>((resolve) => pending.push(resolve));
  const command = (name: string) => {
    const answer = next();
    child.stdin.write(`${name}\n`);
    return answer;
  };
  const started = await next();
  const issuer = started.issuer as string;
  const provider: TestOidcProvider = {
    issuer,
    kid: started.kid as string,
    env: { OIDC_ISSUER_URL: issuer, OIDC_AUDIENCE: TEST_OIDC_AUDIENCE, OIDC_CLOCK_SKEW_SECONDS: '5' },
    async token({ sub, claims, audience = TEST_OIDC_AUDIENCE, expiresIn }) {
      const body = new URLSearchParams({ grant_type: 'client_credentials', resource: audience, scope: 'api', sub });
      if (claims) body.set('claims', JSON.stringify(claims));
      if (expiresIn !== undefined) body.set('exp_offset', String(expiresIn));
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
        body,
      });
      const json = (await response.json()) as { access_token?: string };
      if (!json.access_token) throw new Error(`token endpoint: ${JSON.stringify(json)}`);
      return json.access_token;
    },
    async rotate() {
      provider.kid = (await command('rotate')).kid as string;
      return provider.kid;
    },
    async jwksFetches() {
      return (await command('stats')).jwksFetches as number;
    },
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
  return provider;
}
