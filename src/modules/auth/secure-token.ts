import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer tokens (refresh tokens, email links): 256 random bits. Only the
 * SHA-256 is stored; with that much entropy a slow hash adds nothing.
 */
export function newSecureToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashSecureToken(token) };
}

export function hashSecureToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
