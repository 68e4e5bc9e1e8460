import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, exportJWK } from 'jose';
import { signUp } from '../../../test/support/accounts';
import { startOidcProvider, TEST_OIDC_AUDIENCE, type TestOidcProvider } from '../../../test/support/oidc-provider';
import { startTestApp, type TestApp } from '../../../test/support/test-app';

const ME = '{ me { id email emailVerified } }';
const MEMBERS = '{ members { userId role } }';
const API_KEYS = '{ apiKeys { id } }';
const CREATE_TENANT = `mutation ($input: CreateTenantInput!) {
  createTenant(input: $input) { id slug externalOrganizationId }
}`;

type Gql = Awaited<ReturnType<TestApp['gql']>>;
const codeOf = (res: Gql) => res.errors?.[0]?.extensions.code;
const reasonOf = (res: Gql) => res.errors?.[0]?.extensions.reason;

describe('sign-in through an OpenID provider (real oidc-provider issuing RS256 tokens, real PostgreSQL)', () => {
  let provider: TestOidcProvider;
  let app: TestApp;
  let tenantA: { id: string; slug: string };
  let tenantB: { id: string; slug: string };
  /** When the app first fetched the JWKS: jose fetches again for an unknown kid at most every 10 s. */
  let firstVerifiedAt = 0;

  const asProvider = (token: string, query: string, org?: string) => app.gql(query, {}, { bearer: token, org });
  const token = (sub: string, claims: Record<string, unknown> = {}) => provider.token({ sub, claims });

  beforeAll(async () => {
    provider = await startOidcProvider();
    app = await startTestApp(provider.env);
    const created = await Promise.all(
      ['a', 'b'].map((x) =>
        app.gql(CREATE_TENANT, { input: { name: `Org ${x}`, slug: `org-${x}`, externalOrganizationId: `org_${x}X` } }),
      ),
    );
    [tenantA, tenantB] = created.map((res) => {
      expect(res.errors).toBeUndefined();
      return (res.data as { createTenant: { id: string; slug: string } }).createTenant;
    });
  });
  afterAll(async () => {
    await app?.close();
    await provider?.close();
  });

  it('creates the user on first sight and lets them into the mapped organization with the mapped role', async () => {
    const alice = await token('user_alice', {
      email: 'alice@a.test',
      email_verified: true,
      given_name: 'Alice',
      org_id: 'org_aX',
      org_role: 'org:admin',
    });
    const me = await asProvider(alice, ME);
    firstVerifiedAt = Date.now();
    expect(me.errors).toBeUndefined();
    const user = (me.data as { me: { id: string; email: string; emailVerified: boolean } }).me;
    expect(user).toMatchObject({ email: 'alice@a.test', emailVerified: true });
    const [identity] = await app.dataSource.query(
      'SELECT user_id, email_verified FROM public.external_identities WHERE provider = $1 AND subject = $2',
      [provider.issuer, 'user_alice'],
    );
    expect(identity).toEqual({ user_id: user.id, email_verified: true });

    // X-Organization-ID: the provider's id, our slug or our id all name the same tenant.
    for (const org of ['org_aX', tenantA.slug, tenantA.id]) {
      const members = await asProvider(alice, MEMBERS, org);
      expect(members.data).toEqual({ members: [{ userId: user.id, role: 'ADMIN' }] });
    }
    expect((await asProvider(alice, API_KEYS, 'org_aX')).errors).toBeUndefined(); // ADMIN-only
    expect(await asProvider(alice, ME)).toMatchObject({ data: { me: { id: user.id } } }); // same account again
  });

  it('maps Clerk v2 claims (o.id / o.rol): a member is not an admin, and is nobody in another organization', async () => {
    const bob = await token('user_bob', {
      email: 'bob@b.test',
      email_verified: true,
      o: { id: 'org_aX', rol: 'member' },
    });
    const members = await asProvider(bob, MEMBERS, 'org_aX');
    expect(members.errors).toBeUndefined();
    expect(members.data).toMatchObject({
      members: expect.arrayContaining([expect.objectContaining({ role: 'MEMBER' })]),
    });
    const keys = await asProvider(bob, API_KEYS, 'org_aX');
    expect(codeOf(keys)).toBe('FORBIDDEN');
    const elsewhere = await asProvider(bob, MEMBERS, tenantB.slug);
    expect(codeOf(elsewhere)).toBe('FORBIDDEN');
    expect(reasonOf(elsewhere)).toBe('NOT_A_MEMBER');
  });

  it('refuses an organization that has no tenant yet with NOT_FOUND ORGANIZATION_NOT_PROVISIONED', async () => {
    const res = await asProvider(await token('user_zed', { org_id: 'org_nowhere', org_role: 'org:admin' }), ME);
    expect(res.status).toBe(404);
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(reasonOf(res)).toBe('ORGANIZATION_NOT_PROVISIONED');
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM public.tenants WHERE external_organization_id = 'org_nowhere'`,
    );
    expect(count).toBe(0);
  });

  it('refuses untrusted issuers, wrong audiences, expired tokens, unknown keys and HS256 made with the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = (issuer: string, kid: string) =>
      new SignJWT({ org_id: 'org_aX', org_role: 'org:admin' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('user_alice')
        .setIssuer(issuer)
        .setAudience(TEST_OIDC_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    // The provider's own public key (from its JWKS) as an HMAC secret: the classic algorithm confusion.
    const jwks = (await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: Record<string, string>[] };
    const providerPublicPem = createPublicKey({ key: jwks.keys[0], format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: provider.kid })
      .setSubject('user_alice')
      .setIssuer(provider.issuer)
      .setAudience(TEST_OIDC_AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(providerPublicPem));
    const cases: [string, string, string | undefined][] = [
      ['untrusted issuer', await forged('https://evil.example', 'evil-key'), undefined],
      [
        'unknown key',
        await forged(provider.issuer, (await exportJWK(publicKey)).n!.slice(0, 12)),
        'UNKNOWN_SIGNING_KEY',
      ],
      [
        'wrong audience',
        await provider.token({ sub: 'user_alice', audience: 'https://other.example' }),
        'WRONG_AUDIENCE',
      ],
      ['expired', await provider.token({ sub: 'user_alice', expiresIn: -60 }), 'TOKEN_EXPIRED'],
      ['algorithm confusion', confused, 'UNSUPPORTED_ALGORITHM'],
    ];
    for (const [what, bad, reason] of cases) {
      const res = await asProvider(bad, ME);
      expect({ what, status: res.status, code: codeOf(res) }).toEqual({ what, status: 401, code: 'UNAUTHENTICATED' });
      if (reason) expect({ what, reason: reasonOf(res) }).toEqual({ what, reason });
    }
  });

  it('keeps built-in accounts working beside it, and never confuses the two kinds of token', async () => {
    const builtIn = await signUp(app, 'carol@c.test', 'Carol Co');
    const me = await asProvider(builtIn.token, ME);
    expect(me.data).toEqual({ me: { id: builtIn.userId, email: 'carol@c.test', emailVerified: true } });
    // The same HS256 secret used by someone who claims the provider's issuer: refused before any key lookup.
    const forgedWithOurSecret = await new SignJWT({ sid: builtIn.userId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(builtIn.userId)
      .setIssuer(provider.issuer)
      .setAudience(TEST_OIDC_AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(app.config.jwt.secret));
    expect(codeOf(await asProvider(forgedWithOurSecret, ME))).toBe('UNAUTHENTICATED');
  });

  it('links a built-in account only through an email the provider says is verified', async () => {
    const owner = await signUp(app, 'dave@d.test', 'Dave Co');
    const unverified = await asProvider(
      await token('user_mallory', { email: 'dave@d.test', email_verified: false }),
      ME,
    );
    const mallory = (unverified.data as { me: { id: string; email: string } }).me;
    expect(mallory.id).not.toBe(owner.userId);
    expect(mallory.email).toMatch(/@external\.invalid$/);
    const [account] = await app.dataSource.query('SELECT email FROM public.users WHERE id = $1', [owner.userId]);
    expect(account.email).toBe('dave@d.test');
    expect((await asProvider(owner.token, MEMBERS, owner.tenant.slug)).errors).toBeUndefined();

    const verified = await asProvider(await token('user_dave', { email: 'DAVE@d.test', email_verified: true }), ME);
    expect(verified.data).toMatchObject({ me: { id: owner.userId } });
  });

  it('picks up a rotated signing key without restart, refuses the rotated-out one, and caches the JWKS', async () => {
    const beforeRotation = await token('user_alice', { org_id: 'org_aX', org_role: 'org:admin' });
    const fetchesBefore = await provider.jwksFetches();
    for (let i = 0; i < 10; i++) expect((await asProvider(beforeRotation, ME)).errors).toBeUndefined();
    expect(await provider.jwksFetches()).toBe(fetchesBefore); // not fetched per request

    const oldKid = provider.kid;
    expect(await provider.rotate()).not.toBe(oldKid);
    // jose refetches for an unknown kid at most every 10 s.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, firstVerifiedAt + 10_500 - Date.now())));
    const afterRotation = await token('user_alice', { org_id: 'org_aX', org_role: 'org:admin' });
    expect((await asProvider(afterRotation, ME)).errors).toBeUndefined();
    const rotatedOut = await asProvider(beforeRotation, ME);
    expect(codeOf(rotatedOut)).toBe('UNAUTHENTICATED');
    expect(reasonOf(rotatedOut)).toBe('UNKNOWN_SIGNING_KEY');
  }, 30_000);

  it('refuses a suspended account', async () => {
    const sam = await token('user_sam', { email: 'sam@s.test', email_verified: true });
    const me = await asProvider(sam, ME);
    const { id } = (me.data as { me: { id: string } }).me;
    await app.dataSource.query('UPDATE public.users SET suspended_at = now() WHERE id = $1', [id]);
    const refused = await asProvider(sam, ME);
    expect({ status: refused.status, code: codeOf(refused), reason: reasonOf(refused) }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
      reason: 'ACCOUNT_SUSPENDED',
    });
  });

  it('counts verifications by outcome on /metrics', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    expect(text).toMatch(/tenantql_oidc_verifications_total\{outcome="success"\} [1-9]/);
    expect(text).toMatch(/tenantql_oidc_verifications_total\{outcome="wrong_audience"\} [1-9]/);
  });

  describe('createTenant by a platform admin', () => {
    it('puts the organization on a plan (no trial) with its first OWNER: an existing account at once', async () => {
      const erin = await signUp(app, 'erin@e.test', 'Erin Co');
      const res = await app.gql(CREATE_TENANT, {
        input: {
          name: 'Erin Two',
          slug: 'erin-two',
          externalOrganizationId: 'org_erin',
          plan: 'STARTER',
          ownerEmail: 'erin@e.test',
        },
      });
      expect(res.errors).toBeUndefined();
      const { id } = (res.data as { createTenant: { id: string } }).createTenant;
      const [subscription] = await app.dataSource.query(
        'SELECT plan, status, trial_ends_at FROM public.subscriptions WHERE tenant_id = $1',
        [id],
      );
      expect(subscription).toEqual({ plan: 'STARTER', status: 'ACTIVE', trial_ends_at: null });
      expect(
        await app.dataSource.query('SELECT user_id, role FROM public.memberships WHERE tenant_id = $1', [id]),
      ).toEqual([{ user_id: erin.userId, role: 'OWNER' }]);
    });

    it('invites an owner who has no account yet, and refuses a taken external organization id', async () => {
      const res = await app.gql(CREATE_TENANT, {
        input: { name: 'Fay', slug: 'fay-co', ownerEmail: 'fay@f.test' },
      });
      expect(res.errors).toBeUndefined();
      const { id } = (res.data as { createTenant: { id: string } }).createTenant;
      const [invitation] = await app.dataSource.query(
        'SELECT email, role FROM public.invitations WHERE tenant_id = $1',
        [id],
      );
      expect(invitation).toEqual({ email: 'fay@f.test', role: 'OWNER' });

      const taken = await app.gql(CREATE_TENANT, {
        input: { name: 'Dup', slug: 'dup-co', externalOrganizationId: 'org_aX' },
      });
      expect(codeOf(taken)).toBe('CONFLICT');
      expect(reasonOf(taken)).toBe('EXTERNAL_ORGANIZATION_TAKEN');
    });

    it('keeps plan, owner and external id to platform admins', async () => {
      const user = await signUp(app, 'gus@g.test', 'Gus Co');
      const res = await app.gql(
        CREATE_TENANT,
        { input: { name: 'Gus Two', slug: 'gus-two', plan: 'ENTERPRISE' } },
        { bearer: user.token },
      );
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(reasonOf(res)).toBe('PLATFORM_ADMIN_REQUIRED');
    });
  });
});
