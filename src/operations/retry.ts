import { isRetryable } from '../fs/errors.js';
import { logDebug } from '../lib/log.js';
import { sleep } from '../lib/pacer.js';

export interface RetryOptions {
  /** Attempts in all, at least 1 (--low-level-retries). */
  attempts: number;
  signal?: AbortSignal;
  /** Names what is being retried in the log. */
  what?: string;
}

/**
 * The per-file layer (rclone's operations.Copy loop): a transfer that failed in a way the
 * backend called retryable starts again from a fresh stream, after a short pause. Requests
 * inside it have already been retried by the remote's pacer; this is for failures no single
 * request can repeat (a stream cut halfway, data that failed verification).
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= opts.attempts || !isRetryable(err) || opts.signal?.aborted) throw err;
      const pause = Math.min(2000, 10 * 2 ** (attempt - 1));
      logDebug(opts.what, `transfer retry ${attempt}/${opts.attempts - 1} in ${pause} ms: ${(err as Error).message}`);
      await sleep(pause, opts.signal);
    }
  }
}
