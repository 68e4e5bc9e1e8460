import {
  CreateTenantDocument,
  CustomersDocument,
  LoginDocument,
  LogoutAllSessionsDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RequestPasswordResetDocument,
  ResendVerificationEmailDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  SessionsDocument,
  VerifyEmailDocument,
} from '../../../test/generated/graphql';
import { waitFor } from '../../../test/faults/dedicated-postgres';
import { startMailTestApp, TEST_FRONTEND_URL, type MailTestApp } from '../../../test/support/mail-test-app';
import { tokenFromLink, type SmtpTestServer } from '../../../test/support/smtp-test-server';
import type { TestApp } from '../../../test/support/test-app';

const FRONTEND = TEST_FRONTEND_URL;

describe('accounts end to end (HTTP, real PostgreSQL, real SMTP)', () => {
  let app: TestApp;
  let smtp: SmtpTestServer;
  let setup: MailTestApp;

  beforeAll(async () => {
    setup = await startMailTestApp();
    ({ app, smtp } = setup);
  });
  afterAll(() => setup.close());

  /** What the `email.outbox.deliver` job does, run now. */
  const deliverMail = () => app.services.mailOutbox.deliverDue();

  const register = async (email: string, password: string, businessName: string) => {
    const res = await app.gql(
      RegisterDocument,
      { input: { email, password, firstName: 'Ada', lastName: 'Lovelace', businessName } },
      { admin: false },
    );
    expect(res.errors).toBeUndefined();
    return res.data!.register;
  };

  const login = (email: string, password: string) =>
    app.gql(LoginDocument, { input: { email, password } }, { admin: false });
  const refresh = (token: string) => app.gql(RefreshTokenDocument, { token }, { admin: false });

  /** An ended session's access token is refused within 1 s (the ending is heard through NOTIFY). */
  const expectSessionEnded = async (accessToken: string) => {
    const refused = async () => (await app.gql(MeDocument, {}, { bearer: accessToken })).errors?.[0];
    const refusal = await waitFor('the access token refused', refused, 1_000, 20);
    expect(refusal.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' });
  };

  const verifyByMail = async (email: string) => {
    await deliverMail();
    const mail = smtp.to(email).find((m) => m.subject.startsWith('Confirm your email'))!;
    const res = await app.gql(VerifyEmailDocument, { token: tokenFromLink(mail, '/verify-email') }, { admin: false });
    expect(res.data?.verifyEmail).toBe(true);
  };

  it('register → verification mail → verify → login → refresh (rotation; reuse kills the family) → me → logout', async () => {
    const email = 'ada@example.com';
    const password = 'correct horse battery staple';
    const signUp = await register(email, password, 'Analytical Engines Ltd.');
    expect(signUp.user).toMatchObject({ email, firstName: 'Ada', emailVerified: false });
    expect(signUp.tenant).toMatchObject({
      slug: 'analytical-engines-ltd',
      name: 'Analytical Engines Ltd.',
      status: 'ACTIVE',
    });
    expect(new Date(signUp.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);

    // One transaction made the user, the provisioned tenant, the OWNER membership and the mail.
    const me = await app.gql(MeDocument, {}, { bearer: signUp.accessToken });
    expect(me.data!.me.memberships).toEqual([
      {
        role: 'OWNER',
        tenant: { id: signUp.tenant!.id, slug: 'analytical-engines-ltd', name: 'Analytical Engines Ltd.' },
      },
    ]);
    const tenantData = await app.gql(
      CustomersDocument,
      {},
      { bearer: signUp.accessToken, org: 'analytical-engines-ltd' },
    );
    expect(tenantData.errors).toBeUndefined();
    expect(tenantData.data!.customers.totalCount).toBe(0);

    // The verification mail arrives over SMTP with a FRONTEND_URL link that works once.
    expect(await deliverMail()).toEqual({ sent: 1, retried: 0, failed: 0 });
    const [mail] = smtp.to(email);
    expect(mail.subject).toBe('Confirm your email address for Acme Cloud');
    expect(mail.text).toContain(`${FRONTEND}/verify-email?token=`);
    expect(mail.html).toContain(`href="${FRONTEND}/verify-email?token=`);
    const verifyToken = tokenFromLink(mail, '/verify-email');
    expect((await app.gql(VerifyEmailDocument, { token: verifyToken }, { admin: false })).data!.verifyEmail).toBe(true);
    const again = await app.gql(VerifyEmailDocument, { token: verifyToken }, { admin: false });
    expect(again.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TOKEN' });

    const signIn = (await login('ADA@example.com', password)).data!.login;
    expect(signIn.user).toMatchObject({ email, emailVerified: true });
    expect(signIn.tenant!.slug).toBe('analytical-engines-ltd');

    // Each refresh spends the token and hands out the family's next one.
    const first = (await refresh(signIn.refreshToken)).data!.refreshToken;
    expect(first.refreshToken).not.toBe(signIn.refreshToken);
    const second = (await refresh(first.refreshToken)).data!.refreshToken;
    expect(second.user.emailVerified).toBe(true);

    // Replaying a spent token: refused, and the family is revoked, so the newest token dies too.
    const replay = await refresh(signIn.refreshToken);
    expect(replay.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    const newest = await refresh(second.refreshToken);
    expect(newest.errors![0].extensions.code).toBe('UNAUTHENTICATED');

    // The sign-up session is another family and lives on.
    const sessions = (await app.gql(SessionsDocument, {}, { bearer: signUp.accessToken })).data!.sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ current: true, ipAddress: expect.stringContaining('127.0.0.1') });

    // The revoked family's access tokens end with it.
    await expectSessionEnded(second.accessToken);
    const meNow = await app.gql(MeDocument, {}, { bearer: signUp.accessToken });
    expect(meNow.data!.me).toMatchObject({ email, emailVerified: true, emailVerifiedAt: expect.any(String) });

    expect((await app.gql(LogoutDocument, { refreshToken: signUp.refreshToken }, { admin: false })).data!.logout).toBe(
      true,
    );
    expect((await refresh(signUp.refreshToken)).errors![0].extensions.code).toBe('UNAUTHENTICATED');
    await expectSessionEnded(signUp.accessToken);
  });

  it('password reset through the mailed link: old sessions end, a notice is mailed, only the new password works', async () => {
    const email = 'grace@example.com';
    const oldPassword = 'first compiler 1952';
    const newPassword = 'nanoseconds are 30cm of wire';
    const signUp = await register(email, oldPassword, 'Cobol Works');
    const otherDevice = (await login(email, oldPassword)).data!.login;

    expect((await app.gql(RequestPasswordResetDocument, { email }, { admin: false })).data!.requestPasswordReset).toBe(
      true,
    );
    await app.services.auth.whenIdle(); // the lookup and the mail happen after the answer
    await deliverMail();
    const resetMail = smtp.to(email).find((m) => m.subject === 'Reset your Acme Cloud password')!;
    expect(resetMail.text).toContain(`${FRONTEND}/reset-password?token=`);
    const token = tokenFromLink(resetMail, '/reset-password');

    const weak = await app.gql(ResetPasswordDocument, { token, password: 'password123' }, { admin: false });
    expect(weak.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'WEAK_PASSWORD' });
    // A rejected password does not spend the link.
    expect(
      (await app.gql(ResetPasswordDocument, { token, password: newPassword }, { admin: false })).data!.resetPassword,
    ).toBe(true);
    const reused = await app.gql(
      ResetPasswordDocument,
      { token, password: 'yet another fine passphrase' },
      { admin: false },
    );
    expect(reused.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TOKEN' });

    for (const session of [signUp, otherDevice]) {
      expect((await refresh(session.refreshToken)).errors![0].extensions.code).toBe('UNAUTHENTICATED');
      await expectSessionEnded(session.accessToken);
    }
    await deliverMail();
    expect(smtp.to(email).map((m) => m.subject)).toContain('Your Acme Cloud password was changed');

    expect((await login(email, oldPassword)).errors![0].extensions.code).toBe('UNAUTHENTICATED');
    const fresh = await login(email, newPassword);
    expect(fresh.errors).toBeUndefined();
    // Opening the mailed link proved the address as well.
    expect(fresh.data!.login.user.emailVerified).toBe(true);
  });

  it('createTenant by a user: FORBIDDEN EMAIL_NOT_VERIFIED until verified, then the user becomes its OWNER', async () => {
    const email = 'linus@example.com';
    const signUp = await register(email, 'a kernel of truth 1991', 'Kernel Co');
    const input = { name: 'Second Venture', slug: 'second-venture' };

    const refused = await app.gql(CreateTenantDocument, { input }, { bearer: signUp.accessToken });
    expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'EMAIL_NOT_VERIFIED' });

    await verifyByMail(email);
    // The token issued before verification still says "unverified"; the guard checks the database then.
    const created = await app.gql(CreateTenantDocument, { input }, { bearer: signUp.accessToken });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createTenant).toMatchObject({ slug: 'second-venture', status: 'ACTIVE' });
    const me = await app.gql(MeDocument, {}, { bearer: signUp.accessToken });
    expect(me.data!.me.memberships.map((m) => [m.tenant.slug, m.role])).toEqual([
      ['kernel-co', 'OWNER'],
      ['second-venture', 'OWNER'],
    ]);

    const resend = await app.gql(ResendVerificationEmailDocument, {}, { bearer: signUp.accessToken });
    expect(resend.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ALREADY_VERIFIED' });
  });

  it('a resent verification link replaces the previous one; sign-up slugs stay unique', async () => {
    const email = 'barbara@example.com';
    const signUp = await register(email, 'liskov substitution rules', 'Kernel Co');
    expect(signUp.tenant!.slug).toMatch(/^kernel-co-[a-z0-9]{5}$/);

    expect(
      (await app.gql(ResendVerificationEmailDocument, {}, { bearer: signUp.accessToken })).data!
        .resendVerificationEmail,
    ).toBe(true);
    await deliverMail();
    const [firstLink, secondLink] = smtp.to(email).map((m) => tokenFromLink(m, '/verify-email'));
    const stale = await app.gql(VerifyEmailDocument, { token: firstLink }, { admin: false });
    expect(stale.errors![0].extensions.reason).toBe('INVALID_TOKEN');
    expect((await app.gql(VerifyEmailDocument, { token: secondLink }, { admin: false })).data!.verifyEmail).toBe(true);
  });

  it('sessions can be listed and revoked one by one or all at once', async () => {
    const email = 'edsger@example.com';
    const password = 'goto considered harmful';
    const signUp = await register(email, password, 'Shortest Path');
    const laptop = (await login(email, password)).data!.login;

    const listed = (await app.gql(SessionsDocument, {}, { bearer: signUp.accessToken })).data!.sessions;
    expect(listed.map((s) => s.current).sort()).toEqual([false, true]);
    const laptopSession = listed.find((s) => !s.current)!;

    expect(
      (await app.gql(RevokeSessionDocument, { id: laptopSession.id }, { bearer: signUp.accessToken })).data!
        .revokeSession,
    ).toBe(true);
    expect((await refresh(laptop.refreshToken)).errors![0].extensions.code).toBe('UNAUTHENTICATED');
    await expectSessionEnded(laptop.accessToken);

    // Someone else's session is not yours to end: it is simply not found.
    const stranger = await register('tony@example.com', 'hoare triples all day', 'Quicksort Inc');
    const mine = listed.find((s) => s.current)!;
    const foreign = await app.gql(RevokeSessionDocument, { id: mine.id }, { bearer: stranger.accessToken });
    expect(foreign.errors![0].extensions.code).toBe('NOT_FOUND');
    const stillAlive = await refresh(signUp.refreshToken);
    expect(stillAlive.errors).toBeUndefined();

    expect((await app.gql(LogoutAllSessionsDocument, {}, { bearer: signUp.accessToken })).data!.logoutAllSessions).toBe(
      true,
    );
    expect((await refresh(stillAlive.data!.refreshToken.refreshToken)).errors![0].extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    await expectSessionEnded(signUp.accessToken);
    await expectSessionEnded(stillAlive.data!.refreshToken.accessToken);
  });
});
