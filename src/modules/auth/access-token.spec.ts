import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../../core/config/config';
import { InvalidAccessTokenError, signAccessToken, verifyAccessToken } from './access-token';

const jwtConfig = (secret = randomBytes(32).toString('hex')): AppConfig['jwt'] => ({
  secret,
  algorithm: 'HS256',
  expirationHours: 1,
  refreshExpirationDays: 30,
  issuer: 'tenantql-test',
  audience: 'tenantql-test',
});

const claims = {
  userId: '0b7e4f52-3f36-4d2e-9a61-6f1c5a3d2e01',
  sessionId: '5c9d1e77-8a2b-4c3d-b4e5-f6a7b8c9d0e1',
  emailVerified: true,
};

describe('verifyAccessToken (verified tokens are remembered until they expire)', () => {
  afterEach(() => jest.useRealTimers());

  /** Only the clock moves (jose's `new Date()` and our `Date.now()` alike); timers and ticks stay real. */
  const setClock = (ms: number) => {
    jest.useFakeTimers({
      now: ms,
      doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval'],
    });
  };

  it('answers the same principal again, and refuses the token once its exp (plus 5 s) has passed', async () => {
    const config = jwtConfig();
    const { token, expiresAt } = await signAccessToken(config, claims);
    const principal = {
      kind: 'user',
      userId: claims.userId,
      emailVerified: true,
      sessionFamilyId: claims.sessionId,
    };
    expect(await verifyAccessToken(token, config)).toEqual(principal);
    expect(await verifyAccessToken(token, config)).toEqual(principal);

    // Control: 4 s past exp is within the clock tolerance.
    setClock(expiresAt.getTime() + 4_000);
    expect(await verifyAccessToken(token, config)).toEqual(principal);
    setClock(expiresAt.getTime() + 6_000);
    await expect(verifyAccessToken(token, config)).rejects.toEqual(new InvalidAccessTokenError('expired'));
  });

  it('does not accept a token verified under another secret', async () => {
    const signedWith = jwtConfig();
    const { token } = await signAccessToken(signedWith, claims);
    expect((await verifyAccessToken(token, signedWith)).kind).toBe('user');
    await expect(verifyAccessToken(token, jwtConfig())).rejects.toEqual(new InvalidAccessTokenError('invalid'));
  });
});
