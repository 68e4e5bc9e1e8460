import { startOidcProvider, TEST_OIDC_AUDIENCE, type TestOidcProvider } from '../../../test/support/oidc-provider';
import { runCli } from '../../../test/support/run-cli';

describe('npm run doctor: identity providers (real oidc-provider)', () => {
  let provider: TestOidcProvider;

  beforeAll(async () => (provider = await startOidcProvider()));
  afterAll(() => provider.close());

  it('checks each provider’s discovery and JWKS, naming the one that does not answer', async () => {
    const dead = 'http://127.0.0.1:9/realms/gone';
    const run = await runCli(
      'src/cli/doctor.ts',
      ['--timeout-ms', '3000', '--json'],
      {
        NODE_ENV: 'development',
        ...provider.env,
        OIDC_PROVIDERS: JSON.stringify([{ issuer: dead, audience: TEST_OIDC_AUDIENCE }]),
      },
      { isolated: true },
    );
    const report = JSON.parse(run.stdout) as { checks: { name: string; status: string; details?: string[] }[] };
    const check = report.checks.find((c) => c.name === 'identity providers');
    expect(check).toMatchObject({ status: 'fail' });
    expect(check!.details).toEqual([
      expect.stringMatching(
        new RegExp(`^${provider.issuer}: discovery and JWKS reachable \\(.*/jwks, 1 key\\(s\\)\\)$`),
      ),
      expect.stringMatching(new RegExp(`^${dead}: `)),
    ]);
  });
});
