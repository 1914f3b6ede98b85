/** Bounded retries with exponential backoff and jitter, for transient failures only. */
import { toBillingClientError, type BillingClientError } from "./errors";

/** How transient failures are retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (so at most `maxRetries + 1` attempts); default 2. */
  maxRetries?: number;
  /** Delay before the first retry, doubled at each one; default 250 ms. */
  baseDelayMs?: number;
  /** Upper bound of one delay; default 4000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY: Required<RetryPolicy> = { maxRetries: 2, baseDelayMs: 250, maxDelayMs: 4_000 };

/** The delay before retry number `retry` (1-based): half fixed, half random, so clients spread out. */
export function backoffMs(retry: number, policy: Required<RetryPolicy>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails with a code that is not transient, or the retries run
 * out. `attempt` receives its 1-based number. The error thrown carries the number of attempts.
 */
export async function withRetry<T>(
  policy: Required<RetryPolicy>,
  attempt: (n: number) => Promise<T>,
  onRetry?: (error: BillingClientError, n: number) => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (thrown) {
      const error = toBillingClientError(thrown);
      error.attempts = n;
      if (!error.transient || n > policy.maxRetries) throw error;
      onRetry?.(error, n);
      await sleep(backoffMs(n, policy));
    }
  }
}
