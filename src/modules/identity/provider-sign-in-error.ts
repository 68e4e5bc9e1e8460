/**
 * Why a provider token does not sign anyone in. `status` 401 (UNAUTHENTICATED), or 404 (NOT_FOUND) for an
 * organization with no tenant yet; `reason` is the documented `extensions.reason`.
 */
export class ProviderSignInError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly status: 401 | 404 = 401,
  ) {
    super(message);
  }
}
