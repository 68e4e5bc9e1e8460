import { errors, jwtVerify, SignJWT } from 'jose';
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
  try {
    const { payload } = await jwtVerify(token, keyOf(config), {
      algorithms: [config.algorithm],
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ['sub', 'sid', 'exp', 'iat'],
      clockTolerance: 5,
    });
    if (!isUuid(payload.sub!) || typeof payload.sid !== 'string' || !isUuid(payload.sid))
      throw new InvalidAccessTokenError('malformed claims');
    return { kind: 'user', userId: payload.sub!, emailVerified: payload.ev === true, sessionFamilyId: payload.sid };
  } catch (error) {
    if (error instanceof errors.JOSEError || error instanceof InvalidAccessTokenError) {
      throw new InvalidAccessTokenError(error instanceof errors.JWTExpired ? 'expired' : 'invalid');
    }
    throw error;
  }
}
