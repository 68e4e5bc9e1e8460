import { errors, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AppConfig } from '../../core/config/config';
import type { Principal } from '../../core/http/request-context';
import { isUuid } from '../../core/tenancy/tenant-schema';

type JwtConfig = AppConfig['jwt'];
/** A user as an access token names them: always with the session it belongs to. */
type SessionPrincipal = Extract<Principal, { kind: 'user' }> & { sessionFamilyId: string };

export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  emailVerified: boolean;
}

const keyOf = (config: JwtConfig) => new TextEncoder().encode(config.secret);

/** Seconds a token stays valid past its `exp` (clock skew between our processes). */
const CLOCK_TOLERANCE_SECONDS = 5;
/** Tokens remembered as verified per process (one small entry each: a busy hour of signed-in users). */
const VERIFIED_TOKENS = 50_000;

/** A token whose signature and claims were checked, until its `exp` (ms) plus the tolerance. */
interface VerifiedToken {
  principal: SessionPrincipal;
  validUntil: number;
}

/**
 * Verified tokens per config (its secret): the HMAC check through WebCrypto costs about as much as the rest of a
 * request. What may change after it is time, checked on every use against `validUntil`, and the session, checked
 * by the caller on every use (ended sessions): nothing else a token says can change.
 */
const verifiedTokens = new WeakMap<JwtConfig, LRUCache<string, VerifiedToken>>();

function verifiedCacheOf(config: JwtConfig): LRUCache<string, VerifiedToken> {
  let cache = verifiedTokens.get(config);
  if (!cache) verifiedTokens.set(config, (cache = new LRUCache({ max: VERIFIED_TOKENS })));
  return cache;
}

/** HS256 access token: `sub` user, `sid` session (refresh-token family), `ev` email verified. */
export async function signAccessToken(
  config: JwtConfig,
  claims: AccessTokenClaims,
): Promise<{ token: string; expiresAt: Date }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAt = issuedAt + config.expirationHours * 3600;
  const token = await new SignJWT({ sid: claims.sessionId, ev: claims.emailVerified })
    .setProtectedHeader({ alg: config.algorithm, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(keyOf(config));
  return { token, expiresAt: new Date(expiresAt * 1000) };
}

export class InvalidAccessTokenError extends Error {}

/**
 * Only the configured algorithm is accepted (`alg: none`, other HMAC sizes and
 * asymmetric algorithms are refused before any signature work), and `exp`,
 * `iss` and `aud` must be present and right. A token without `sid` (none is
 * issued any more) is invalid: its holder signs in again.
 */
export async function verifyAccessToken(token: string, config: JwtConfig): Promise<SessionPrincipal> {
  const cache = verifiedCacheOf(config);
  const known = cache.get(token);
  if (known && Date.now() < known.validUntil) return known.principal;
  try {
    const { payload } = await jwtVerify(token, keyOf(config), {
      algorithms: [config.algorithm],
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    if (!isUuid(payload.sub!) || typeof payload.sid !== 'string' || !isUuid(payload.sid))
      throw new InvalidAccessTokenError('malformed claims');
    const principal: SessionPrincipal = {
      kind: 'user',
      userId: payload.sub!,
      emailVerified: payload.ev === true,
      sessionFamilyId: payload.sid,
    };
    cache.set(token, { principal, validUntil: (payload.exp! + CLOCK_TOLERANCE_SECONDS) * 1000 });
    return principal;
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof InvalidAccessTokenError) {
      throw new InvalidAccessTokenError(error instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
    throw error;
  }
}
