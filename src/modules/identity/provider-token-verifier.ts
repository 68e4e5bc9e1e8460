import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { OidcProviderConfig } from '../../core/config/config';
import { metrics } from '../../core/observability/metrics';
import { discoverProvider } from './provider-discovery';
import { ProviderSignInError } from './provider-sign-in-error';

/** Asymmetric only: an HMAC (`HS*`) or `none` token claiming a provider's issuer is refused before any key lookup. */
export const PROVIDER_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** An unknown `kid` makes jose fetch the JWKS again, at most this often (key rotation without a restart). */
const JWKS_COOLDOWN_MS = 10_000;
const JWKS_TIMEOUT_MS = 5_000;

export interface VerifiedProviderToken {
  provider: OidcProviderConfig;
  payload: JWTPayload & { sub: string };
}

/** jose's error → the refusal's reason (also the metric's outcome). */
function reasonOf(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'TOKEN_EXPIRED';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'WRONG_AUDIENCE';
    if (error.claim === 'nbf') return 'TOKEN_NOT_YET_VALID';
    if (error.claim === 'iss') return 'UNTRUSTED_ISSUER';
    return 'INVALID_CLAIMS';
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return 'UNKNOWN_SIGNING_KEY';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'INVALID_SIGNATURE';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'UNSUPPORTED_ALGORITHM';
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return 'PROVIDER_UNAVAILABLE';
  if (error instanceof errors.JOSEError) return 'INVALID_TOKEN';
  return undefined;
}

const MESSAGES: Record<string, string> = {
  TOKEN_EXPIRED: 'Access token expired',
  PROVIDER_UNAVAILABLE: 'The identity provider cannot be reached to check this token; retry',
};

/**
 * Checks access tokens of the trusted OpenID providers (resource-server mode): signature against the
 * provider's JWKS (discovered once, cached by jose, fetched again only for an unknown `kid`), `iss`, `aud`,
 * `exp` and `nbf` with the configured clock skew. Which provider is decided by the token's `iss`.
 */
export class ProviderTokenVerifier {
  private readonly byIssuer: Map<string, OidcProviderConfig>;
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(
    providers: OidcProviderConfig[],
    private readonly clockSkewSeconds: number,
  ) {
    this.byIssuer = new Map(providers.map((provider) => [provider.issuer, provider]));
  }

  get configured(): boolean {
    return this.byIssuer.size > 0;
  }

  /** Whether the token claims to come from a trusted provider (decoded only: nothing is verified yet). */
  claimsProviderIssuer(token: string): boolean {
    if (!this.byIssuer.size) return false;
    try {
      const { iss } = decodeJwt(token);
      return iss !== undefined && this.byIssuer.has(iss);
    } catch {
      return false;
    }
  }

  async verify(token: string): Promise<VerifiedProviderToken> {
    try {
      const verified = await this.check(token);
      metrics.oidcVerifications.inc({ outcome: 'success' });
      return verified;
    } catch (error) {
      const reason = error instanceof ProviderSignInError ? error.reason : reasonOf(error);
      if (!reason) throw error;
      metrics.oidcVerifications.inc({ outcome: reason.toLowerCase() });
      throw new ProviderSignInError(reason, MESSAGES[reason] ?? 'Invalid access token');
    }
  }

  private async check(token: string): Promise<VerifiedProviderToken> {
    const { alg } = decodeProtectedHeader(token);
    if (!alg || !PROVIDER_ALGORITHMS.includes(alg))
      throw new ProviderSignInError('UNSUPPORTED_ALGORITHM', 'Invalid access token');
    const provider = this.byIssuer.get(decodeJwt(token).iss ?? '');
    if (!provider) throw new ProviderSignInError('UNTRUSTED_ISSUER', 'Invalid access token');
    const keySet = await this.keySet(provider);
    try {
      const { payload } = await jwtVerify(token, keySet, {
        algorithms: PROVIDER_ALGORITHMS,
        issuer: provider.issuer,
        audience: provider.audience,
        clockTolerance: this.clockSkewSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      return { provider, payload: payload as VerifiedProviderToken['payload'] };
    } catch (error) {
      if (error instanceof errors.JOSEError) throw error;
      // Fetching the JWKS failed (network): not the token's fault.
      throw new ProviderSignInError('PROVIDER_UNAVAILABLE', String(error));
    }
  }

  /** Discovery once per provider; a failed one is tried again by the next request. */
  private keySet(provider: OidcProviderConfig): Promise<JWTVerifyGetKey> {
    let keySet = this.keySets.get(provider.issuer);
    if (!keySet) {
      keySet = discoverProvider(provider.issuer, JWKS_TIMEOUT_MS).then(
        ({ jwksUri }) =>
          createRemoteJWKSet(new URL(jwksUri), {
            cooldownDuration: JWKS_COOLDOWN_MS,
            timeoutDuration: JWKS_TIMEOUT_MS,
          }),
        (error: unknown) => {
          this.keySets.delete(provider.issuer);
          throw new ProviderSignInError('PROVIDER_UNAVAILABLE', `discovery failed: ${String(error)}`);
        },
      );
      this.keySets.set(provider.issuer, keySet);
    }
    return keySet;
  }
}
