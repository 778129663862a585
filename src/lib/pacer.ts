import { isRetryable } from '../fs/errors.js';
import { logDebug } from './log.js';

export interface RetryOptions {
  /** Attempts in all, at least 1 (--low-level-retries). */
  attempts: number;
  signal?: AbortSignal;
  /** Names what is being retried in the debug log. */
  what?: string;
  minSleepMs?: number;
  maxSleepMs?: number;
}

/**
 * Runs fn until it succeeds, fails with an error that is not retryable, or runs out of
 * attempts; sleeps with exponential backoff between attempts. The one place retry
 * timing lives: backends only classify their errors.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const min = opts.minSleepMs ?? 10;
  const max = opts.maxSleepMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !isRetryable(err) || opts.signal?.aborted) throw err;
      const sleep = Math.min(max, min * 2 ** (attempt - 1));
      logDebug(opts.what, `low level retry ${attempt}/${opts.attempts - 1} in ${sleep}ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, sleep));
    }
  }
}
