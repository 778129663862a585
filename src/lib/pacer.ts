import { logDebug } from './log.js';

/**
 * What a backend says about a failed request. The pacer knows nothing of any backend's
 * errors: each backend hands it a classifier.
 */
export interface Verdict {
  /** Trying the same request again may succeed (a 5xx, a reset connection, a timeout). */
  retry: boolean;
  /** The server asked to slow down (503 SlowDown, 429): the pace drops for every request. */
  throttled?: boolean;
  /** The server said when to come back (Retry-After), in milliseconds. */
  afterMs?: number;
}

export type Classifier = (err: unknown) => Verdict;

export interface PacerOptions {
  /** Attempts per request in all, at least 1 (--low-level-retries). */
  attempts: number;
  classify: Classifier;
  /** The pause after a first failure; it doubles with each further one. */
  minSleepMs?: number;
  maxSleepMs?: number;
  /** How fast the pause shrinks again while requests pass: it loses 1/2^decay each time. */
  decay?: number;
  /** Shared by every pacer of the run (--tpslimit is for the whole process). */
  tps?: TpsLimiter;
  /** For tests: the source of jitter. */
  random?: () => number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** False for a request that cannot be sent twice (its body is a stream): paced, never retried. */
  replayable?: boolean;
  /** Names the request in the debug log. */
  what?: string;
}

/**
 * The one door every request of a remote goes through (rclone's lib/pacer with its S3
 * calculator). While requests pass there is no pause at all. A failure the classifier calls
 * retryable sets a pause (minSleep, doubled per consecutive failure up to maxSleep, or what
 * Retry-After asked) that every request of the remote then waits between starts, so a
 * throttling server sees the whole remote slow down, not one request; each passing request
 * shrinks it again. The request that failed is retried after the pause with jitter, up to
 * `attempts` in all. An abort ends any wait at once.
 */
export class Pacer {
  private sleepMs = 0;
  /** When the last request started (monotonic ms: immune to clock steps). */
  private lastStart = -Infinity;
  /** Nothing starts before this: what a Retry-After asked. */
  private notBefore = 0;
  /** When the pause was last raised: requests already under way then do not raise it again. */
  private lastRaise = -Infinity;
  private readonly minSleep: number;
  private readonly maxSleep: number;
  private readonly decay: number;
  private readonly random: () => number;

  constructor(private readonly opts: PacerOptions) {
    this.minSleep = opts.minSleepMs ?? 10;
    this.maxSleep = opts.maxSleepMs ?? 2000;
    this.decay = opts.decay ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** The current pause between request starts, in milliseconds (0 while all is well). */
  get pause(): number {
    return this.sleepMs;
  }

  async call<T>(fn: (attempt: number) => Promise<T>, o: CallOptions = {}): Promise<T> {
    const attempts = Math.max(1, o.replayable === false ? 1 : this.opts.attempts);
    for (let attempt = 1; ; attempt++) {
      const started = await this.begin(o.signal);
      let verdict: Verdict;
      try {
        const out = await fn(attempt);
        this.passed();
        return out;
      } catch (err) {
        if (o.signal?.aborted) throw err;
        verdict = this.opts.classify(err);
        if (!verdict.retry) {
          // Refused, not failed: the server is answering, so the pace is not its problem.
          this.passed();
          throw err;
        }
        this.failed(verdict, started);
        if (attempt >= attempts) throw err;
        logDebug(o.what, `low level retry ${attempt}/${attempts - 1} in ${Math.round(Math.max(this.sleepMs, this.notBefore - now()))} ms: ${(err as Error)?.message ?? String(err)}`);
      }
      // The retry waits the pause with jitter, so many failed requests do not all come back
      // in the same millisecond; begin() then holds it until a Retry-After has passed.
      await sleep(this.sleepMs * (0.5 + this.random() / 2), o.signal);
    }
  }

  /**
   * Waits for this request's turn: no earlier than a Retry-After allows, and a pause after
   * the last start. The wait is checked again after each wake (at least every 250 ms), so a
   * pause that shrank meanwhile shortens it, and of the requests waking together one goes.
   */
  private async begin(signal: AbortSignal | undefined): Promise<number> {
    throwIfAborted(signal);
    for (;;) {
      const t = now();
      const at = Math.max(this.notBefore, this.sleepMs > 0 ? this.lastStart + this.sleepMs : -Infinity);
      if (at <= t) break;
      await sleep(Math.min(at - t, 250), signal);
    }
    this.lastStart = now();
    await this.opts.tps?.take(signal);
    return this.lastStart;
  }

  private passed(): void {
    if (this.sleepMs === 0) return;
    const next = this.sleepMs - this.sleepMs / 2 ** this.decay;
    this.sleepMs = next < this.minSleep ? 0 : next;
  }

  private failed(v: Verdict, started: number): void {
    const t = now();
    // A Retry-After is a one-off gate for the whole remote, not a lasting pace.
    if (v.afterMs !== undefined) this.notBefore = Math.max(this.notBefore, t + Math.min(v.afterMs, MAX_RETRY_AFTER_MS));
    // Requests that were under way together failing together are one event: only a request
    // started after the last raise raises the pause again.
    if (started >= this.lastRaise) {
      this.sleepMs = Math.min(this.maxSleep, this.sleepMs === 0 ? this.minSleep : this.sleepMs * 2);
      this.lastRaise = t;
    }
    if (v.throttled) this.sleepMs = Math.max(this.sleepMs, Math.min(this.maxSleep, this.minSleep * 10));
  }
}

/** The longest Retry-After obeyed: a server asking for more is waited on this long. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

// Not performance.now(): its first use loads perf_hooks, a millisecond or two of every start.
const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * --tpslimit: at most `rate` requests a second over every remote, with up to `burst` at once
 * after a quiet spell (rclone's --tpslimit-burst).
 */
export class TpsLimiter {
  private tokens: number;
  private last = now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly rate: number,
    private readonly burst = 1,
  ) {
    this.tokens = Math.max(1, burst);
  }

  take(signal?: AbortSignal): Promise<void> {
    // One waiter at a time, in arrival order.
    const turn = this.queue.then(() => this.next(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async next(signal?: AbortSignal): Promise<void> {
    const cap = Math.max(1, this.burst);
    const refill = () => {
      const t = now();
      this.tokens = Math.min(cap, this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
    };
    refill();
    if (this.tokens < 1) {
      await sleep(((1 - this.tokens) / this.rate) * 1000, signal);
      refill();
    }
    this.tokens -= 1;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : abortError();
}

function abortError(): Error {
  const e = new Error('interrupted');
  e.name = 'AbortError';
  return e;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Waits ms, or rejects with the signal's reason as soon as it fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : abortError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    // setTimeout fires at once past 2^31-1 ms: longer waits go in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    const t = setTimeout(() => (step < ms ? sleep(ms - step, signal).then(done, fail) : done()), step);
    const fail = (e: unknown) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason instanceof Error ? signal!.reason : abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
