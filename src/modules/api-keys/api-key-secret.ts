import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** Every key starts with this: recognisable in logs, configs and by secret scanners. */
export const API_KEY_PREFIX = 'tq_';
/** `tq_live_` keys are made by production deployments, `tq_test_` ones by every other. */
export type ApiKeyEnvironment = 'live' | 'test';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 30 base62 characters: 30 × log2(62) ≈ 178 bits of entropy. */
const RANDOM_LENGTH = 30;
/** CRC32 in base62 (62^6 > 2^32), as GitHub does for its tokens. */
const CHECKSUM_LENGTH = 6;
/** What is stored and shown to tell keys apart: `tq_live_` and the first 6 random characters. */
const VISIBLE_RANDOM_CHARACTERS = 6;
const KEY_PATTERN = new RegExp(`^${API_KEY_PREFIX}(live|test)_[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 × 62: dropping the bytes above keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksumOf(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** A new key: the secret (shown once), its SHA-256 (stored) and its visible prefix (stored, shown in listings). */
export function generateApiKeySecret(environment: ApiKeyEnvironment): { secret: string; hash: Buffer; prefix: string } {
  const body = `${API_KEY_PREFIX}${environment}_${randomBase62(RANDOM_LENGTH)}`;
  const secret = body + checksumOf(body);
  return {
    secret,
    hash: hashApiKeySecret(secret),
    prefix: secret.slice(0, body.length - RANDOM_LENGTH + VISIBLE_RANDOM_CHARACTERS),
  };
}

/** Shape and checksum, checked offline: look-alikes and typos are refused without a database lookup. */
export function isWellFormedApiKey(candidate: string): boolean {
  if (!KEY_PATTERN.test(candidate)) return false;
  const body = candidate.slice(0, -CHECKSUM_LENGTH);
  return checksumOf(body) === candidate.slice(-CHECKSUM_LENGTH);
}
