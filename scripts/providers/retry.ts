// Retries of model calls: exponential backoff with full jitter and the server's retry-after, transient errors.
import { setTimeout as delay } from 'node:timers/promises';
import { isTransient } from '../core/errors.ts';
import { ProviderError } from './errors.ts';

/** How the call layer retries. The SDKs' own retries are switched off, so there is one layer only. */
export interface RetryPolicy {
  /** Retries after the first try. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  random?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 1000, maxDelayMs: 30_000 };

/**
 * Calls `attempt` until it succeeds or fails for good: transient errors (the core's
 * `TRANSIENT_CLASSES`: `rate_limit`, `server`, `timeout`, `network`; a provider never answers `race`) are retried with exponential backoff and full jitter, honouring the server's
 * retry-after; anything else (auth, bad request, bad output) fails at once. `onRetry` hears of
 * each retry before its wait; an abort of `signal` ends the wait with the last error.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  policy: RetryPolicy,
  options: { signal?: AbortSignal; onRetry?: (error: unknown, retry: number, delayMs: number) => void } = {},
): Promise<T> {
  const { signal } = options;
  const random = policy.random ?? Math.random;
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!isTransient(error) || n >= policy.maxRetries || signal?.aborted) throw error;
      const asked = error instanceof ProviderError ? error.retryAfterMs : undefined;
      const backoff = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      const wait = asked !== undefined ? Math.min(asked, policy.maxDelayMs * 4) : backoff;
      options.onRetry?.(error, n + 1, wait);
      await delay(wait, undefined, signal ? { signal } : undefined).catch(() => {
        throw error;
      });
    }
  }
}
