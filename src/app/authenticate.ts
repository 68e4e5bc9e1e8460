import { GraphQLError } from 'graphql';
import type { AppConfig } from '../core/config/config';
import { ForbiddenError } from '../core/errors/app-error';
import { ErrorCode } from '../core/errors/error-code';
import { matchesAdminSecret } from '../core/http/admin-secret';
import type { Principal, RequestContext } from '../core/http/request-context';
import type { RevocationFeed } from '../core/revocation/revocation-feed';
import { API_KEY_PREFIX, InvalidApiKeyError, type ApiKeyService } from '../modules/api-keys';
import { InvalidAccessTokenError, verifyAccessToken } from '../modules/auth';
import { ProviderSignInError, type ProviderSignIn } from '../modules/identity';

/**
 * What checks credentials beyond a signature: API keys (a lookup per request, so a new key works and a
 * revoked one stops at once) and, when given, ended sessions (in memory, kept current by NOTIFY), so an
 * access token stops with its session. The HTTP app takes both as its `credentials` dependency.
 */
export interface CredentialChecks extends Pick<ApiKeyService, 'authenticate'> {
  endedSessions?: Pick<RevocationFeed, 'isRevoked'>;
  /** Access tokens of trusted OpenID providers (OIDC_ISSUER_URL, OIDC_PROVIDERS); without it only ours are. */
  providerTokens?: Pick<ProviderSignIn, 'claimsProviderIssuer' | 'authenticate'>;
}

/** A request-level failure (before any resolver runs): answered with its HTTP status and a documented code. */
export function requestError(code: ErrorCode, message: string, status: number, extra: Record<string, unknown> = {}) {
  return new GraphQLError(message, { extensions: { code, ...extra, http: { status } } });
}

/** Reads one request header by name (`req.get` over HTTP, the connection params of a WebSocket). */
export type HeaderGetter = (name: string) => string | undefined;

function bearerToken(header: HeaderGetter): string | undefined {
  const value = header('authorization');
  if (value === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(value);
  if (!match) throw requestError(ErrorCode.UNAUTHENTICATED, 'The Authorization header must be "Bearer <token>"', 401);
  return match[1];
}

/**
 * Establishes who is calling from the request headers (or a WebSocket's connection params). A credential that is
 * present but wrong is an error, never a silent fall-back to anonymous.
 */
export async function authenticate(
  header: HeaderGetter,
  config: AppConfig,
  credentials?: CredentialChecks,
): Promise<Principal> {
  const adminSecret = header('x-admin-secret');
  if (adminSecret !== undefined) {
    if (!matchesAdminSecret(adminSecret, config.adminSecret)) {
      throw requestError(ErrorCode.UNAUTHENTICATED, 'Invalid admin secret', 401);
    }
    return { kind: 'platform-admin' };
  }
  const bearer = bearerToken(header);
  // API keys start with `tq_` (a JWT never does), so one Authorization header can carry either.
  const apiKey = header('x-api-key') ?? (bearer?.startsWith(API_KEY_PREFIX) ? bearer : undefined);
  if (apiKey !== undefined) {
    if (!credentials) throw requestError(ErrorCode.UNAUTHENTICATED, 'API keys are not accepted by this server', 401);
    try {
      return await credentials.authenticate(apiKey.trim());
    } catch (error) {
      if (!(error instanceof InvalidApiKeyError)) throw error;
      throw requestError(ErrorCode.UNAUTHENTICATED, error.message, 401, { reason: error.reason });
    }
  }
  // By `iss`: a provider's token is never checked as ours (HS256) nor ours as a provider's.
  if (bearer !== undefined && credentials?.providerTokens?.claimsProviderIssuer(bearer)) {
    return providerPrincipal(bearer, credentials.providerTokens);
  }
  if (bearer !== undefined) {
    let principal;
    try {
      principal = await verifyAccessToken(bearer, config.jwt);
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError)) throw error;
      // "expired" tells a client to use its refresh token; anything else means signing in again.
      throw requestError(
        ErrorCode.UNAUTHENTICATED,
        error.message === 'expired' ? 'Access token expired' : 'Invalid access token',
        401,
      );
    }
    // Logged out, revoked, password reset, refresh token reused, user suspended or deleted.
    if (await credentials?.endedSessions?.isRevoked(principal.sessionFamilyId)) {
      const reason = 'SESSION_ENDED';
      throw requestError(ErrorCode.UNAUTHENTICATED, 'This session has ended: sign in again', 401, { reason });
    }
    return principal;
  }
  return { kind: 'anonymous' };
}

/** A user signed in by an identity provider's access token (see src/modules/identity). */
async function providerPrincipal(
  token: string,
  providerTokens: NonNullable<CredentialChecks['providerTokens']>,
): Promise<Principal> {
  try {
    return await providerTokens.authenticate(token);
  } catch (error) {
    if (!(error instanceof ProviderSignInError)) throw error;
    const code = error.status === 404 ? ErrorCode.NOT_FOUND : ErrorCode.UNAUTHENTICATED;
    throw requestError(code, error.message, error.status, { reason: error.reason });
  }
}

const notAMember = () => new ForbiddenError('You are not a member of this organization', { reason: 'NOT_A_MEMBER' });

/**
 * Whether the principal may act for a tenant; runs inside the tenant's transaction.
 * A user's membership was read by the statement that opened it (`memberUserId`),
 * so this costs no query.
 */
export function tenantAuthorizer(principal: Principal): RequestContext['authorizeTenant'] {
  switch (principal.kind) {
    case 'platform-admin':
      return () => undefined;
    case 'user':
      return (tenant) => {
        if (!tenant.memberRole) throw notAMember();
      };
    case 'api-key':
      // A key acts for its own organization only, whatever X-Organization-ID names.
      return (tenant) => {
        if (tenant.id !== principal.tenantId) {
          throw new ForbiddenError('This API key belongs to another organization', {
            reason: 'API_KEY_OTHER_ORGANIZATION',
          });
        }
      };
    default:
      return () => {
        throw notAMember();
      };
  }
}
