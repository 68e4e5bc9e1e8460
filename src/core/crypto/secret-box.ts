import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { InternalError } from '../errors/app-error';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[0-9a-f]{8}$/;

/** First 8 hex characters of the key's SHA-256: names the key in stored values without revealing it. */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** A stored value re-sealed with the current key: `resealed` is null when it already was. */
export interface Resealed {
  /** The key the value was sealed with. */
  keyId: string;
  resealed: string | null;
}

/**
 * Secrets at rest (mailbox passwords, WhatsApp tokens): AES-256-GCM with a random 96-bit IV per
 * value, stored as `v1:<key id>:<base64 iv|tag|ciphertext>`. `context` is bound in as associated
 * data (e.g. `email-channel:<tenantId>:password`), so a value copied to another row or tenant
 * does not decrypt there. Values are always sealed with the current key; previous keys
 * (ENCRYPTION_KEY_PREVIOUS) only open what was sealed before a rotation. Values sealed before key
 * ids existed (`v1:<base64>`) name no key: the current key is tried first, then the previous ones.
 */
export class SecretBox {
  /** Current key first: the order legacy values are tried in. */
  private readonly keys: Map<string, Buffer>;
  /** Id of the key `seal` uses. */
  readonly keyId: string;

  private constructor(current: Buffer, previous: Buffer[]) {
    this.keys = new Map([current, ...previous].map((key) => [keyIdOf(key), key]));
    this.keyId = keyIdOf(current);
  }

  /** ENCRYPTION_KEY (32 bytes); development without one uses a fixed, publicly known key. */
  static fromKey(key: Buffer | undefined, isProduction: boolean, previous: Buffer[] = []): SecretBox {
    if (key) return new SecretBox(key, previous);
    if (isProduction) throw new InternalError('ENCRYPTION_KEY is required in production');
    return new SecretBox(
      createHash('sha256').update('tenantql development encryption key (not secret)').digest(),
      previous,
    );
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.keyId)!, iv);
    cipher.setAAD(Buffer.from(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}:${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** Throws when the value was altered, sealed for another context, or under a key not configured. */
  open(sealed: string, context: string): string {
    return this.unseal(sealed, context).plaintext;
  }

  /** For rotation: the value under the current key, with its key id (throws like `open`). */
  reseal(sealed: string, context: string): Resealed {
    const { plaintext, keyId, tagged } = this.unseal(sealed, context);
    return { keyId, resealed: tagged && keyId === this.keyId ? null : this.seal(plaintext, context) };
  }

  private unseal(sealed: string, context: string): { plaintext: string; keyId: string; tagged: boolean } {
    const parts = sealed.split(':');
    if (
      parts[0] !== VERSION ||
      parts.length < 2 ||
      parts.length > 3 ||
      (parts.length === 3 && !KEY_ID.test(parts[1]))
    ) {
      throw new InternalError('Unknown secret format');
    }
    const bytes = Buffer.from(parts[parts.length - 1], 'base64');
    if (parts.length === 3) {
      const keyId = parts[1];
      const key = this.keys.get(keyId);
      if (!key)
        throw new InternalError(
          `A stored secret was sealed with key ${keyId} which is not in ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS`,
        );
      const plaintext = decrypt(key, bytes, context);
      if (plaintext === undefined)
        throw new InternalError(
          'A stored secret could not be decrypted (altered value, or sealed for another context)',
        );
      return { plaintext, keyId, tagged: true };
    }
    // The GCM tag tells which key a legacy value was sealed with.
    for (const [keyId, key] of this.keys) {
      const plaintext = decrypt(key, bytes, context);
      if (plaintext !== undefined) return { plaintext, keyId, tagged: false };
    }
    throw new InternalError(
      'A stored secret could not be decrypted (sealed before key ids, with a key not in ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS, or altered)',
    );
  }
}

/** undefined when the tag does not verify: another key or context, or altered bytes. */
function decrypt(key: Buffer, bytes: Buffer, context: string): string | undefined {
  if (bytes.length < IV_BYTES + TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
