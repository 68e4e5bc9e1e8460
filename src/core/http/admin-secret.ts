import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time comparison (hashing first makes lengths equal); always false when no secret is configured. */
export function matchesAdminSecret(presented: string, configured: string | undefined): boolean {
  if (!configured) return false;
  return timingSafeEqual(digest(presented), digest(configured));
}
