import type { Client } from 'pg';
import { freePort, startDedicatedPostgres, waitFor, type DedicatedPostgres } from '../faults/dedicated-postgres';
import {
  CustomersDocument,
  DeleteTenantDocument,
  DeleteUserDocument,
  LoginDocument,
  LogoutAllSessionsDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  RegisterDocument,
  ReinstateUserDocument,
  RemoveMemberDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  RevokeSessionDocument,
  SuspendUserDocument,
} from '../generated/graphql';
import { TEST_PASSWORD } from '../support/accounts';
import { startSmtpTestServer, tokenFromLink, type SmtpTestServer } from '../support/smtp-test-server';
import { TEST_ADMIN_SECRET } from '../support/test-app';
import { AppProcessGroup, sharedProcessEnv, type ApiProcess } from './app-process';

/**
 * Ending a session ends its access token in every API process: each way a session ends is
 * done on API 1, and API 2 (a process of its own, the same database) must refuse the old
 * access token within 1 s. Also a process started afterwards, and one whose listener dropped.
 */

const REFUSAL_WITHIN_MS = 1_000;
const bearer = (token: string, org?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(org ? { 'x-organization-id': org } : {}),
});
const admin = { 'x-admin-secret': TEST_ADMIN_SECRET };
/** The session an access token names (its `sid` claim). */
const sessionOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).sid;

describe('session revocation across API processes', () => {
  let postgres: DedicatedPostgres;
  let check: Client;
  let smtp: SmtpTestServer;
  let api1: ApiProcess;
  let api2: ApiProcess;
  let env: Record<string, string>;
  const processes = new AppProcessGroup();
  /** Every access token a test ended, for the process started last. */
  const ended: { what: string; token: string }[] = [];

  beforeAll(async () => {
    [postgres, smtp] = await Promise.all([startDedicatedPostgres(), startSmtpTestServer()]);
    check = await postgres.connect();
    env = sharedProcessEnv(postgres.url, smtp.env, {
      FRONTEND_URL: 'https://app.revocation.test',
      RATE_LIMIT_MAX: '10000',
      EMAIL_OUTBOX_INTERVAL: '1 second',
    });
    const [port1, port2] = [await freePort(), await freePort()];
    // API 1 also runs the jobs (the mail outbox); API 2 only serves.
    [api1, api2] = await Promise.all([
      processes.startApi('api-1', port1, env),
      processes.startApi('api-2', port2, { ...env, JOBS_ENABLED: 'false' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await processes.killAll();
    await check?.end().catch(() => undefined);
    await smtp?.close();
    await postgres?.destroy();
  }, 30_000);

  let accounts = 0;
  const register = async () => {
    const email = `user${++accounts}@revocation.test`;
    const names = { firstName: 'Rev', lastName: 'Oked', businessName: `Revocation ${accounts}` };
    const input = { email, password: TEST_PASSWORD, ...names };
    const res = await api1.gql(RegisterDocument, { input }, {});
    expect(res.errors).toBeUndefined();
    return { email, ...res.data!.register };
  };
  const login = async (email: string) => {
    const res = await api1.gql(LoginDocument, { input: { email, password: TEST_PASSWORD } }, {});
    expect(res.errors).toBeUndefined();
    return res.data!.login;
  };

  const expectAccepted = async (api: ApiProcess, token: string) => {
    const me = await api.gql(MeDocument, {}, bearer(token));
    expect({ api: api.name, errors: me.errors }).toEqual({ api: api.name, errors: undefined });
  };

  /** Polls `me` on `api` for up to 1 s after the session ended; it must flip to the documented refusal. */
  const expectRefusedWithinASecond = async (api: ApiProcess, token: string, what: string) => {
    const endedAt = Date.now();
    let answer;
    do {
      answer = await api.gql(MeDocument, {}, bearer(token));
    } while (!answer.errors && Date.now() - endedAt < REFUSAL_WITHIN_MS);
    const refusedAfterMs = Date.now() - endedAt;
    console.log(`[revocation] ${what}: refused by ${api.name} after ${refusedAfterMs} ms`);
    expect({ what, status: answer.status, extensions: answer.errors?.[0].extensions }).toEqual({
      what,
      status: 401,
      extensions: expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'SESSION_ENDED' }),
    });
    ended.push({ what, token });
  };

  it('logoutAllSessions on API 1: every access token of the user is refused by API 2', async () => {
    const user = await register();
    const other = await login(user.email);
    await expectAccepted(api2, user.accessToken);
    await expectAccepted(api2, other.accessToken);
    const logout = await api1.gql(LogoutAllSessionsDocument, {}, bearer(user.accessToken));
    expect(logout.data?.logoutAllSessions).toBe(true);
    await expectRefusedWithinASecond(api2, user.accessToken, 'logoutAllSessions (this session)');
    await expectRefusedWithinASecond(api2, other.accessToken, 'logoutAllSessions (other session)');
  });

  it('logout and revokeSession on API 1: that session is refused by API 2, the others still work', async () => {
    const user = await register();
    const phone = await login(user.email);
    const tablet = await login(user.email);
    await expectAccepted(api2, phone.accessToken);
    const phoneSession = { id: sessionOf(phone.accessToken) };
    const revoked = await api1.gql(RevokeSessionDocument, phoneSession, bearer(user.accessToken));
    expect(revoked.data?.revokeSession).toBe(true);
    await expectRefusedWithinASecond(api2, phone.accessToken, 'revokeSession');
    await expectAccepted(api2, user.accessToken);

    expect((await api1.gql(LogoutDocument, { refreshToken: tablet.refreshToken }, {})).data?.logout).toBe(true);
    await expectRefusedWithinASecond(api2, tablet.accessToken, 'logout');
    await expectAccepted(api2, user.accessToken);
  });

  it('resetPassword on API 1: the other sessions are refused by API 2', async () => {
    const user = await register();
    await expectAccepted(api2, user.accessToken);
    const requested = await api1.gql(RequestPasswordResetDocument, { email: user.email }, {});
    expect(requested.data?.requestPasswordReset).toBe(true);
    const resetMail = async () => smtp.to(user.email).find((m) => m.subject.startsWith('Reset your'));
    const token = tokenFromLink(await waitFor('the reset mail', resetMail, 20_000), '/reset-password');
    const reset = await api1.gql(ResetPasswordDocument, { token, password: 'a brand new passphrase 42' }, {});
    expect(reset.data?.resetPassword).toBe(true);
    await expectRefusedWithinASecond(api2, user.accessToken, 'resetPassword');
  });

  it('refresh-token reuse on API 1: the whole family, newest access token included, is refused by API 2', async () => {
    const user = await register();
    const rotated = (await api1.gql(RefreshTokenDocument, { token: user.refreshToken }, {})).data!.refreshToken;
    await expectAccepted(api2, rotated.accessToken);
    const replay = await api1.gql(RefreshTokenDocument, { token: user.refreshToken }, {});
    expect(replay.errors?.[0].extensions.code).toBe('UNAUTHENTICATED');
    await expectRefusedWithinASecond(api2, rotated.accessToken, 'refresh-token reuse (newest token)');
    await expectRefusedWithinASecond(api2, user.accessToken, 'refresh-token reuse (first token)');
  });

  it('a suspended user is refused by API 2 and cannot sign in until reinstated', async () => {
    const user = await register();
    await expectAccepted(api2, user.accessToken);
    const suspended = await api1.gql(SuspendUserDocument, { id: user.user.id, reason: 'chargeback' }, admin);
    expect(suspended.data?.suspendUser.suspendedAt).toEqual(expect.any(String));
    await expectRefusedWithinASecond(api2, user.accessToken, 'suspendUser');
    const refused = await api2.gql(LoginDocument, { input: { email: user.email, password: TEST_PASSWORD } }, {});
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'ACCOUNT_SUSPENDED' });

    const reinstated = await api2.gql(ReinstateUserDocument, { id: user.user.id }, admin);
    expect(reinstated.data?.reinstateUser.suspendedAt).toBeNull();
    await expectAccepted(api2, (await login(user.email)).accessToken);
  });

  it('a deleted user is refused by API 2 (the last owner of an organization is deleted only after it)', async () => {
    const user = await register();
    await expectAccepted(api2, user.accessToken);
    const blocked = await api1.gql(DeleteUserDocument, { id: user.user.id }, admin);
    expect(blocked.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'LAST_OWNER' });
    await expectAccepted(api2, user.accessToken);
    expect((await api1.gql(DeleteTenantDocument, { id: user.tenant!.id }, admin)).errors).toBeUndefined();
    expect((await api1.gql(DeleteUserDocument, { id: user.user.id }, admin)).data?.deleteUser).toBe(true);
    await expectRefusedWithinASecond(api2, user.accessToken, 'deleteUser');
  });

  it('a removed member is refused the organization by API 2 at once (the membership is read per request)', async () => {
    const owner = await register();
    const member = await register();
    const org = owner.tenant!;
    await check.query(`INSERT INTO public.memberships (tenant_id, user_id, role) VALUES ($1, $2, 'MEMBER')`, [
      org.id,
      member.user.id,
    ]);
    const read = () => api2.gql(CustomersDocument, {}, bearer(member.accessToken, org.slug));
    expect((await read()).errors).toBeUndefined();
    const asOwner = bearer(owner.accessToken, org.slug);
    const removed = await api1.gql(RemoveMemberDocument, { userId: member.user.id }, asOwner);
    expect(removed.data?.removeMember).toBe(true);
    expect((await read()).errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_A_MEMBER' });
    await expectAccepted(api2, member.accessToken); // still a user, of their own organization
  });

  it('a dropped listener: API 2 reconnects and reloads, and refuses what ended meanwhile within 1 s', async () => {
    const user = await register();
    await expectAccepted(api2, user.accessToken);
    const reconnects = () => api2.logs.filter((l) => l.msg === 'revocation listener reconnected and reloaded').length;
    const before = reconnects();
    // Every API's listener is cut; the session ends before any could listen again.
    await check.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE application_name = 'tenantql-revocations'`);
    const logout = await api1.gql(LogoutAllSessionsDocument, {}, bearer(user.accessToken));
    expect(logout.data?.logoutAllSessions).toBe(true);
    await expectRefusedWithinASecond(api2, user.accessToken, 'logoutAllSessions while the listener was down');
    await waitFor('API 2 to log its reconnect', async () => (reconnects() > before ? true : undefined), 5_000);
  });

  it('an API process started after the sessions ended refuses their tokens from its first request', async () => {
    const api3 = await processes.startApi('api-3', await freePort(), { ...env, JOBS_ENABLED: 'false' });
    expect(ended.length).toBeGreaterThanOrEqual(9);
    for (const { what, token } of ended) {
      const { errors } = await api3.gql(MeDocument, {}, bearer(token));
      expect({ what, reason: errors?.[0].extensions.reason }).toEqual({ what, reason: 'SESSION_ENDED' });
    }
  }, 120_000);
});
