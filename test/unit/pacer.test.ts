/**
 * The pacer: the one retry and pacing layer every backend request goes through.
 * Time is real but small (milliseconds); assertions leave wide margins.
 */
import { describe, expect, it } from 'vitest';
import { Pacer, TpsLimiter, sleep, type Verdict } from '../../src/lib/pacer.js';

class Failure extends Error {
  constructor(readonly verdict: Verdict) {
    super(`failure ${JSON.stringify(verdict)}`);
  }
}

const classify = (err: unknown): Verdict => (err instanceof Failure ? err.verdict : { retry: false });

/** A call that fails `times` times with verdict v, then returns 'ok'; records when each attempt started. */
function flaky(times: number, v: Verdict) {
  const starts: number[] = [];
  const fn = async () => {
    starts.push(Date.now());
    if (starts.length <= times) throw new Failure(v);
    return 'ok';
  };
  return { fn, starts };
}

describe('Pacer', () => {
  it('retries a retryable failure until it passes, within the attempts', async () => {
    const p = new Pacer({ attempts: 5, classify, minSleepMs: 1, maxSleepMs: 4 });
    const { fn, starts } = flaky(3, { retry: true });
    await expect(p.call(fn)).resolves.toBe('ok');
    expect(starts).toHaveLength(4);
  });

  it('gives up after the attempts, with the last error', async () => {
    const p = new Pacer({ attempts: 3, classify, minSleepMs: 1, maxSleepMs: 2 });
    const { fn, starts } = flaky(10, { retry: true });
    await expect(p.call(fn)).rejects.toBeInstanceOf(Failure);
    expect(starts).toHaveLength(3);
  });

  it('does not retry what the classifier refuses, nor a request that cannot be replayed', async () => {
    const p = new Pacer({ attempts: 5, classify, minSleepMs: 1 });
    const refused = flaky(1, { retry: false });
    await expect(p.call(refused.fn)).rejects.toBeInstanceOf(Failure);
    expect(refused.starts).toHaveLength(1);
    const stream = flaky(1, { retry: true });
    await expect(p.call(stream.fn, { replayable: false })).rejects.toBeInstanceOf(Failure);
    expect(stream.starts).toHaveLength(1);
  });

  it('backs off exponentially: each pause at least half the doubled one before (jitter), up to maxSleep', async () => {
    const p = new Pacer({ attempts: 6, classify, minSleepMs: 20, maxSleepMs: 80, random: () => 0 });
    const { fn, starts } = flaky(5, { retry: true });
    await p.call(fn);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // pauses 20, 40, 80, 80, 80 with jitter factor 0.5: at least 10, 20, 40, 40, 40
    const floor = [10, 20, 40, 40, 40];
    gaps.forEach((g, i) => expect(g, `gap ${i}`).toBeGreaterThanOrEqual(floor[i]! - 2));
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!);
  });

  it('honours Retry-After', async () => {
    const p = new Pacer({ attempts: 2, classify, minSleepMs: 1, random: () => 1 });
    const { fn, starts } = flaky(1, { retry: true, afterMs: 150 });
    await p.call(fn);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(145);
  });

  it('slows every request of the remote after throttling, then decays back to no pause', async () => {
    const p = new Pacer({ attempts: 3, classify, minSleepMs: 5, maxSleepMs: 1000, random: () => 1 });
    await p.call(flaky(1, { retry: true, throttled: true }).fn);
    // Throttling sets at least 10 x minSleep (50 ms); the retry that passed took a quarter off.
    const throttledPause = p.pause;
    expect(throttledPause).toBeGreaterThanOrEqual(37);
    // Other requests now start at least the pause apart.
    const t0 = Date.now();
    await Promise.all([p.call(async () => 1), p.call(async () => 2), p.call(async () => 3)]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(Math.min(throttledPause, 30));
    for (let i = 0; i < 30 && p.pause > 0; i++) await p.call(async () => i);
    expect(p.pause).toBe(0);
  });

  it('treats a Retry-After as a one-off gate, not a lasting pace: concurrent requests are not spaced by it', async () => {
    const p = new Pacer({ attempts: 3, classify, minSleepMs: 5, maxSleepMs: 50, random: () => 1 });
    let failedOnce = false;
    const t0 = performance.now();
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        p.call(async () => {
          if (i === 0 && !failedOnce) {
            failedOnce = true;
            throw new Failure({ retry: true, throttled: true, afterMs: 300 });
          }
          await sleep(20);
          done.push(performance.now() - t0);
        }),
      ),
    );
    // The failed request comes back after the 300 ms; nothing waits 300 ms per request.
    expect(Math.max(...done)).toBeGreaterThanOrEqual(290);
    expect(Math.max(...done)).toBeLessThan(1500);
  });

  it('raises the pause once for requests that fail together, not once per request', async () => {
    const p = new Pacer({ attempts: 1, classify, minSleepMs: 10, maxSleepMs: 10_000 });
    let open!: () => void;
    const gate = { promise: new Promise<void>((r) => (open = r)) };
    const calls = Array.from({ length: 8 }, () =>
      p
        .call(async () => {
          await gate.promise;
          throw new Failure({ retry: true });
        })
        .catch(() => undefined),
    );
    open();
    await Promise.all(calls);
    expect(p.pause).toBe(10);
  });

  it('ends a pause at once when the signal fires, with the signal reason', async () => {
    const p = new Pacer({ attempts: 5, classify, minSleepMs: 5000, random: () => 1 });
    const ac = new AbortController();
    const { fn, starts } = flaky(5, { retry: true });
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('stopped by the test')), 50);
    await expect(p.call(fn, { signal: ac.signal })).rejects.toThrow('stopped by the test');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(starts).toHaveLength(1);
  });

  it('does not start a request once the signal has fired', async () => {
    const p = new Pacer({ attempts: 5, classify });
    const ac = new AbortController();
    ac.abort(new Error('already stopped'));
    let ran = false;
    await expect(p.call(async () => (ran = true), { signal: ac.signal })).rejects.toThrow('already stopped');
    expect(ran).toBe(false);
  });
});

describe('TpsLimiter', () => {
  it('lets `rate` requests a second through after the burst', async () => {
    const tps = new TpsLimiter(50, 1);
    const t0 = Date.now();
    for (let i = 0; i < 11; i++) await tps.take();
    // 1 at once, then 10 more at 50/s: at least ~200 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
  });

  it('allows a burst at once after a quiet spell', async () => {
    const tps = new TpsLimiter(5, 4);
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await tps.take();
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it('paces requests through a Pacer', async () => {
    const p = new Pacer({ attempts: 1, classify, tps: new TpsLimiter(40, 1) });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 9 }, (_, i) => p.call(async () => i)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
  });
});

describe('sleep', () => {
  it('rejects at once when already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(sleep(10_000, ac.signal)).rejects.toThrow();
  });
});
