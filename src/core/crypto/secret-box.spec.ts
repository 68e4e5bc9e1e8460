import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { keyIdOf, SecretBox } from './secret-box';

/** A value as stored before key ids existed: `v1:<base64 iv|tag|ciphertext>`. */
function legacySeal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

describe('SecretBox (AES-256-GCM)', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const box = SecretBox.fromKey(keyA, true);

  it('round-trips, with a fresh IV each time and the key id in the value', () => {
    const a = box.seal('hunter2', 'email-channel:t1:password');
    const b = box.seal('hunter2', 'email-channel:t1:password');
    const kid = createHash('sha256').update(keyA).digest('hex').slice(0, 8);
    expect(box.keyId).toBe(kid);
    expect(keyIdOf(keyA)).toBe(kid);
    expect(a).toMatch(new RegExp(`^v1:${kid}:[A-Za-z0-9+/=]+$`));
    expect(a).not.toEqual(b);
    expect(a).not.toContain('hunter2');
    expect(box.open(a, 'email-channel:t1:password')).toBe('hunter2');
  });

  it('refuses another context, an unknown key and an altered value', () => {
    const sealed = box.seal('token', 'whatsapp:t1:accessToken');
    expect(() => box.open(sealed, 'whatsapp:t2:accessToken')).toThrow(/could not be decrypted/);
    expect(() => SecretBox.fromKey(keyB, true).open(sealed, 'whatsapp:t1:accessToken')).toThrow(
      `A stored secret was sealed with key ${keyIdOf(keyA)} which is not in ENCRYPTION_KEY or ENCRYPTION_KEY_PREVIOUS`,
    );
    const [, kid, payload] = sealed.split(':');
    const bytes = Buffer.from(payload, 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => box.open(`v1:${kid}:${bytes.toString('base64')}`, 'whatsapp:t1:accessToken')).toThrow(
      /could not be decrypted/,
    );
    expect(() => box.open('v2:abc', 'whatsapp:t1:accessToken')).toThrow(/Unknown secret format/);
    expect(() => box.open(`v1:NOTAKEY!:${payload}`, 'whatsapp:t1:accessToken')).toThrow(/Unknown secret format/);
  });

  it('reads values stored before key ids, with the current key or a previous one', () => {
    const legacy = legacySeal(keyA, 'old password', 'email-channel:t1:password');
    expect(box.open(legacy, 'email-channel:t1:password')).toBe('old password');
    const rotated = SecretBox.fromKey(keyB, true, [keyA]);
    expect(rotated.open(legacy, 'email-channel:t1:password')).toBe('old password');
    expect(() => SecretBox.fromKey(keyB, true).open(legacy, 'email-channel:t1:password')).toThrow(
      /sealed before key ids, with a key not in ENCRYPTION_KEY/,
    );
    expect(() => rotated.open(legacy, 'email-channel:t2:password')).toThrow(/could not be decrypted/);
  });

  it('after a rotation: opens values of the previous key, seals with the new one, re-seals only what is not on it', () => {
    const rotated = SecretBox.fromKey(keyB, true, [keyA]);
    const old = box.seal('token', 'whatsapp:t1:appSecret');
    expect(rotated.open(old, 'whatsapp:t1:appSecret')).toBe('token');
    expect(rotated.seal('x', 'c')).toMatch(new RegExp(`^v1:${keyIdOf(keyB)}:`));

    const { keyId, resealed } = rotated.reseal(old, 'whatsapp:t1:appSecret');
    expect(keyId).toBe(keyIdOf(keyA));
    expect(resealed).toMatch(new RegExp(`^v1:${keyIdOf(keyB)}:`));
    // The new value needs only the new key, and re-sealing it again changes nothing.
    expect(SecretBox.fromKey(keyB, true).open(resealed!, 'whatsapp:t1:appSecret')).toBe('token');
    expect(rotated.reseal(resealed!, 'whatsapp:t1:appSecret')).toEqual({ keyId: keyIdOf(keyB), resealed: null });
    // A legacy value under the current key gets its key id.
    const legacy = rotated.reseal(legacySeal(keyB, 'p', 'c'), 'c');
    expect(legacy.keyId).toBe(keyIdOf(keyB));
    expect(legacy.resealed).toMatch(new RegExp(`^v1:${keyIdOf(keyB)}:`));
  });

  it('needs ENCRYPTION_KEY in production only', () => {
    expect(() => SecretBox.fromKey(undefined, true)).toThrow(/ENCRYPTION_KEY/);
    const dev = SecretBox.fromKey(undefined, false);
    expect(dev.open(dev.seal('x', 'c'), 'c')).toBe('x');
  });
});
