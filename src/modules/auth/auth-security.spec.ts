import { SignJWT } from 'jose';
import {
  CustomersDocument,
  LoginDocument,
  MeDocument,
  RegisterDocument,
  RequestPasswordResetDocument,
} from '../../../test/generated/graphql';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { REGISTRATION_FAILED } from './auth.service';

const PASSWORD = 'a perfectly fine passphrase';

const registerInput = (email: string, businessName = 'Security Test Co', password = PASSWORD) => ({
  input: { email, password, firstName: 'Eve', lastName: 'Tester', businessName },
});

describe('access tokens: only a valid HS256 token with our iss/aud, unexpired, is accepted', () => {
  let app: TestApp;
  let claims: { sub: string; sid: string; ev: boolean };
  let validToken: string;

  beforeAll(async () => {
    app = await startTestApp();
    const res = await app.gql(RegisterDocument, registerInput('jwt@example.com'), { admin: false });
    validToken = res.data!.register.accessToken;
    const [, payload] = validToken.split('.');
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  });
  afterAll(() => app.close());

  const secret = () => new TextEncoder().encode(app.config.jwt.secret);
  const sign = (alg: string, overrides: { iss?: string; aud?: string; exp?: number; payload?: object } = {}) =>
    new SignJWT({ ...(overrides.payload ?? { sid: claims.sid, ev: claims.ev }) })
      .setProtectedHeader({ alg })
      .setSubject(claims.sub)
      .setIssuer(overrides.iss ?? app.config.jwt.issuer)
      .setAudience(overrides.aud ?? app.config.jwt.audience)
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? '1h')
      .sign(secret());
  const me = (token: string) => app.gql(MeDocument, {}, { bearer: token });
  const expectRejected = async (token: string, message = 'Invalid access token') => {
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.errors![0]).toMatchObject({ message, extensions: { code: 'UNAUTHENTICATED' } });
    expect(res.data ?? null).toBeNull();
  };

  it('accepts the real token and one signed the same way (the control)', async () => {
    expect((await me(validToken)).data!.me.email).toBe('jwt@example.com');
    expect((await me(await sign('HS256'))).data!.me.email).toBe('jwt@example.com');
  });

  it('rejects alg "none"', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const [, payload] = validToken.split('.');
    await expectRejected(`${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`);
    await expectRejected(`${encode({ alg: 'none', typ: 'JWT' })}.${payload}`);
  });

  it('rejects another algorithm signed with the same secret (HS512)', async () => {
    await expectRejected(await sign('HS512'));
  });

  it('rejects a tampered payload or signature', async () => {
    const [header, payload, signature] = validToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })).toString(
      'base64url',
    );
    await expectRejected(`${header}.${forged}.${signature}`);
    const flipped = signature.slice(0, -2) + (signature.endsWith('AA') ? 'BB' : 'AA');
    await expectRejected(`${header}.${payload}.${flipped}`);
  });

  it('rejects an expired token, saying it expired (the client should refresh)', async () => {
    await expectRejected(await sign('HS256', { exp: Math.floor(Date.now() / 1000) - 3600 }), 'Access token expired');
  });

  it('rejects a token that names no session (issued before tokens carried `sid`): sign in again', async () => {
    await expectRejected(await sign('HS256', { payload: { ev: claims.ev } }));
  });

  it('rejects a wrong audience or issuer', async () => {
    await expectRejected(await sign('HS256', { aud: 'some-other-api' }));
    await expectRejected(await sign('HS256', { iss: 'https://evil.example' }));
  });

  it('rejects garbage, a non-Bearer scheme, and a malformed tq_ key', async () => {
    await expectRejected('not-a-jwt');
    const basic = await app.gql(MeDocument, {}, { admin: false, headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(basic.status).toBe(401);
    const key = await app.gql(MeDocument, {}, { admin: false, headers: { 'x-api-key': 'tq_abc' } });
    expect(key.status).toBe(401);
  });

  it('lets a user act only for organizations they are a member of', async () => {
    const own = await app.gql(CustomersDocument, {}, { bearer: validToken, org: 'security-test-co' });
    expect(own.errors).toBeUndefined();
    const other = await app.createTenant('someone-else');
    const foreign = await app.gql(CustomersDocument, {}, { bearer: validToken, org: other.slug });
    expect(foreign.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    const byId = await app.gql(CustomersDocument, {}, { bearer: validToken, org: other.id });
    expect(byId.errors![0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('no account enumeration; weak passwords refused', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ AUTH_RATE_LIMIT_PER_HOUR: '1000' });
    await app.gql(RegisterDocument, registerInput('known@example.com', 'Known Co'), { admin: false });
  });
  afterAll(() => app.close());

  const withoutPath = (errors: unknown) =>
    JSON.parse(JSON.stringify(errors, (key, value) => (key === 'locations' ? undefined : value)));

  it('login: unknown address and wrong password get the same error', async () => {
    const unknown = await app.gql(
      LoginDocument,
      { input: { email: 'nobody@example.com', password: PASSWORD } },
      { admin: false },
    );
    const wrong = await app.gql(
      LoginDocument,
      { input: { email: 'known@example.com', password: 'not the right one' } },
      { admin: false },
    );
    expect(unknown.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    expect(withoutPath(unknown.errors)).toEqual(withoutPath(wrong.errors));
    expect(unknown.status).toBe(wrong.status);
  });

  it('requestPasswordReset: the same answer for a known and an unknown address; only the known one gets mail', async () => {
    const known = await app.gql(RequestPasswordResetDocument, { email: 'known@example.com' }, { admin: false });
    const unknown = await app.gql(RequestPasswordResetDocument, { email: 'nobody@example.com' }, { admin: false });
    expect(known).toEqual(unknown);
    expect(known.data!.requestPasswordReset).toBe(true);
    await app.services.auth.whenIdle();
    const mails: { to_address: string }[] = await app.dataSource.query(
      `SELECT to_address FROM public.email_outbox WHERE idempotency_key LIKE 'reset:%'`,
    );
    expect(mails.map((m) => m.to_address)).toEqual(['known@example.com']);
  });

  it('register with a taken address: a generic CONFLICT that does not name it, and the holder is told', async () => {
    const res = await app.gql(RegisterDocument, registerInput('KNOWN@example.com', 'Impostor Ltd'), { admin: false });
    expect(res.errors![0]).toMatchObject({
      message: REGISTRATION_FAILED,
      extensions: { code: 'CONFLICT', reason: 'REGISTRATION_FAILED' },
    });
    expect(JSON.stringify(res)).not.toMatch(/known@example\.com/i);
    const notices: { to_address: string; subject: string }[] = await app.dataSource.query(
      `SELECT to_address, subject FROM public.email_outbox WHERE idempotency_key LIKE 'signup-attempt:%'`,
    );
    expect(notices).toEqual([{ to_address: 'known@example.com', subject: 'Sign-up attempt with your tenantql email' }]);
    // Nothing else was created: no second user, no organization for the impostor.
    const [{ users, tenants }] = await app.dataSource.query(
      `SELECT (SELECT count(*)::int FROM public.users) AS users, (SELECT count(*)::int FROM public.tenants WHERE name = 'Impostor Ltd') AS tenants`,
    );
    expect({ users, tenants }).toEqual({ users: 1, tenants: 0 });
  });

  it.each([
    ['too short', 'short7!'],
    ['on the common-password list', 'Password123'],
    ['the email address itself', 'weak@example.com'],
  ])('rejects a password that is %s with WEAK_PASSWORD and creates nothing', async (_case, password) => {
    const res = await app.gql(RegisterDocument, registerInput('weak@example.com', 'Weak Co', password), {
      admin: false,
    });
    expect(res.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'WEAK_PASSWORD' });
    const [{ count }] = await app.dataSource.query(
      `SELECT count(*)::int AS count FROM public.users WHERE email = 'weak@example.com'`,
    );
    expect(count).toBe(0);
  });
});

describe('throttling (rate-limiter-flexible on PostgreSQL)', () => {
  const login = (app: TestApp, email: string, password: string, forwardedFor: string) =>
    app.gql(
      LoginDocument,
      { input: { email, password } },
      { admin: false, headers: { 'x-forwarded-for': forwardedFor } },
    );

  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ TRUST_PROXY: 'loopback', LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: '100' });
      await app.gql(RegisterDocument, registerInput('target@example.com', 'Target Co'), { admin: false });
    });
    afterAll(() => app.close());

    it('locks an account after N failures even when they come from different IPs', async () => {
      for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
        expect((await login(app, 'target@example.com', 'wrong password', ip)).errors![0].extensions.code).toBe(
          'UNAUTHENTICATED',
        );
      }
      // Even the right password, from yet another address, must wait.
      const locked = await login(app, 'target@example.com', PASSWORD, '203.0.113.4');
      expect(locked.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      expect(locked.errors![0].extensions.retryAfter).toBeGreaterThan(0);
      // Other accounts from those addresses are unaffected.
      expect(
        (await login(app, 'someone@example.com', 'whatever it is', '203.0.113.1')).errors![0].extensions.code,
      ).toBe('UNAUTHENTICATED');
    });

    it('throttles an unknown address exactly like a real one (no enumeration through the throttle)', async () => {
      for (let i = 0; i < 3; i++) await login(app, 'ghost@example.com', 'wrong password', `198.51.100.${i}`);
      const locked = await login(app, 'ghost@example.com', 'wrong password', '198.51.100.9');
      expect(locked.errors![0].extensions.code).toBe('RATE_LIMITED');
    });
  });

  describe('without TRUST_PROXY (default)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({
        LOGIN_MAX_FAILURES: '100',
        LOGIN_MAX_FAILURES_PER_IP: '3',
        AUTH_RATE_LIMIT_PER_HOUR: '2',
      });
    });
    afterAll(() => app.close());

    it('ignores X-Forwarded-For: failures for different accounts from one client lock that client', async () => {
      for (let i = 0; i < 3; i++) await login(app, `victim${i}@example.com`, 'wrong password', `192.0.2.${i}`);
      const locked = await login(app, 'victim9@example.com', 'wrong password', '192.0.2.99');
      expect(locked.errors![0].extensions.code).toBe('RATE_LIMITED');
    });

    it('limits registrations per IP', async () => {
      for (const n of [1, 2]) {
        const ok = await app.gql(RegisterDocument, registerInput(`new${n}@example.com`, `New Co ${n}`), {
          admin: false,
        });
        expect(ok.errors).toBeUndefined();
      }
      const third = await app.gql(RegisterDocument, registerInput('new3@example.com', 'New Co 3'), { admin: false });
      expect(third.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
      const [{ count }] = await app.dataSource.query(`SELECT count(*)::int AS count FROM public.users`);
      expect(count).toBe(2);
    });
  });
});
