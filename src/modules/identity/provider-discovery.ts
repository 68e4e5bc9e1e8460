/** What this API reads from a provider's discovery document. */
export interface ProviderMetadata {
  issuer: string;
  jwksUri: string;
}

/**
 * `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4): its `issuer` must be
 * exactly the configured one, and it must name a `jwks_uri`.
 */
export async function discoverProvider(issuer: string, timeoutMs: number): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
  if (document.issuer !== issuer) throw new Error(`${url} names issuer ${JSON.stringify(document.issuer)}`);
  if (typeof document.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
  return { issuer, jwksUri: document.jwks_uri };
}

/** For `doctor`: discovery answers and the JWKS it names holds at least one key. */
export async function checkProvider(issuer: string, timeoutMs: number): Promise<{ jwksUri: string; keys: number }> {
  const { jwksUri } = await discoverProvider(issuer, timeoutMs);
  const response = await fetch(jwksUri, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${jwksUri} answered ${response.status}`);
  const { keys } = (await response.json()) as { keys?: unknown };
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${jwksUri} holds no keys`);
  return { jwksUri, keys: keys.length };
}
