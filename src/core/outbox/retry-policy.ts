/** How a queue retries: exponential back-off from `baseMs`, doubling per failed attempt up to `maxMs`. */
export interface RetryPolicy {
  /** Attempts before a row is given up (dead letter: status FAILED, kept with its last error). */
  maxAttempts: number;
  /** First retry delay (default 30 s). */
  baseMs?: number;
  /** Longest delay (default one hour). */
  maxMs?: number;
}

/** The wait after the `attempts`-th failed attempt. */
export function retryDelayMs(policy: RetryPolicy, attempts: number): number {
  return Math.min(policy.maxMs ?? 3_600_000, (policy.baseMs ?? 30_000) * 2 ** Math.max(0, attempts - 1));
}

/** An error as stored in `last_error`: its message, bounded. */
export const errorText = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, 1000);
