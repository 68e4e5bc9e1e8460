/** Back-off of replies and webhook events alike: 30 s, doubling with each failed attempt, at most an hour. */
export interface RetryPolicy {
  maxAttempts: number;
  baseMs?: number;
  maxMs?: number;
}

export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs ?? 3_600_000, (policy.baseMs ?? 30_000) * 2 ** Math.max(0, attempts - 1));
}

export const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, 1000);
