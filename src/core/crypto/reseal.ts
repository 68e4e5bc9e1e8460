import type { SecretBox } from './secret-box';

/** What re-sealing (or, on a dry run, checking) stored secrets found. */
export interface ResealCount {
  /** Sealed values looked at. */
  total: number;
  /** Sealed with a key other than ENCRYPTION_KEY: they still need ENCRYPTION_KEY_PREVIOUS. */
  otherKey: number;
  /** Rewritten with ENCRYPTION_KEY (on a dry run: would be). */
  resealed: number;
}

/** One stored value, and how its module writes the re-sealed form back. */
export interface StoredSecret {
  sealed: string;
  context: string;
  write(resealed: string): Promise<void>;
}

export const noSecrets = (): ResealCount => ({ total: 0, otherKey: 0, resealed: 0 });

export const addCounts = (a: ResealCount, b: ResealCount): ResealCount => ({
  total: a.total + b.total,
  otherKey: a.otherKey + b.otherKey,
  resealed: a.resealed + b.resealed,
});

/**
 * Re-seals each value with the current key, writing only those that change (nothing on a dry
 * run). Throws on the first value no configured key opens: the caller's transaction rolls back.
 */
export async function resealStoredSecrets(
  secrets: SecretBox,
  values: StoredSecret[],
  dryRun: boolean,
): Promise<ResealCount> {
  const count = noSecrets();
  for (const value of values) {
    const { keyId, resealed } = secrets.reseal(value.sealed, value.context);
    count.total += 1;
    if (keyId !== secrets.keyId) count.otherKey += 1;
    if (resealed === null) continue;
    count.resealed += 1;
    if (!dryRun) await value.write(resealed);
  }
  return count;
}
