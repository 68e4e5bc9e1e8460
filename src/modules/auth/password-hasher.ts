import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

/** OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export class PasswordHasher {
  private dummyHash?: Promise<string>;

  hash(password: string): Promise<string> {
    return argon2.hash(password, ARGON2_OPTIONS);
  }

  /**
   * Without a stored hash (unknown account) the password is checked against a
   * throw-away hash anyway, so both answers cost the same time.
   */
  async verify(storedHash: string | undefined, password: string): Promise<boolean> {
    if (!storedHash) {
      this.dummyHash ??= this.hash(randomBytes(32).toString('hex'));
      await argon2.verify(await this.dummyHash, password);
      return false;
    }
    return argon2.verify(storedHash, password);
  }

  /** True when the hash was made with other parameters than today's (upgrade it at the next sign-in). */
  needsRehash(storedHash: string): boolean {
    return argon2.needsRehash(storedHash, ARGON2_OPTIONS);
  }
}
