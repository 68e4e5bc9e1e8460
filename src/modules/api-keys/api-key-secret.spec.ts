import { generateApiKeySecret, hashApiKeySecret, isWellFormedApiKey } from './api-key-secret';

describe('API key secrets', () => {
  it('have a recognisable prefix, ≥ 160 bits of randomness, a checksum, and a short visible prefix', () => {
    const live = generateApiKeySecret('live');
    // 30 random base62 characters (30 × log2 62 ≈ 178 bits) and a 6-character checksum.
    expect(live.secret).toMatch(/^tq_live_[0-9A-Za-z]{36}$/);
    expect(live.prefix).toBe(live.secret.slice(0, 14));
    expect(live.hash).toEqual(hashApiKeySecret(live.secret));
    expect(isWellFormedApiKey(live.secret)).toBe(true);
    expect(generateApiKeySecret('test').secret).toMatch(/^tq_test_/);
  });

  it('are all different', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateApiKeySecret('test').secret));
    expect(secrets.size).toBe(1000);
  });

  it('reject any single changed character, a swapped environment and look-alikes offline', () => {
    const { secret } = generateApiKeySecret('live');
    for (let i = 0; i < secret.length; i++) {
      const replacement = secret[i] === 'a' ? 'b' : 'a';
      expect(isWellFormedApiKey(secret.slice(0, i) + replacement + secret.slice(i + 1))).toBe(false);
    }
    expect(isWellFormedApiKey(secret.replace('tq_live_', 'tq_test_'))).toBe(false);
    for (const lookAlike of [
      'tq_abc',
      `${secret}x`,
      secret.slice(0, -1),
      `tq_live_${'A'.repeat(36)}`,
      secret.replace(/.$/, '!'),
    ]) {
      expect(isWellFormedApiKey(lookAlike)).toBe(false);
    }
  });
});
