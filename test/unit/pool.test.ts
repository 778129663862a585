/**
 * BoundedPool runs every check of a sync: at most `concurrency` tasks at once, at most
 * `queue` more accepted and waiting, submit() holding the producer back beyond that, tasks
 * started in the order they came, errors to onError without stopping the pool.
 */
import { describe, expect, it } from 'vitest';
import { BoundedPool } from '../../src/lib/pool.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('BoundedPool', () => {
  it('runs at most `concurrency` tasks at once, in the order they were submitted', async () => {
    const pool = new BoundedPool(3, (err) => {
      throw err;
    }, 100);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    for (let i = 0; i < 40; i++) {
      await pool.submit(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await ticks(1 + (i % 3));
        running--;
      });
    }
    await pool.drain();
    expect(most).toBe(3);
    expect(started).toEqual([...Array(40).keys()]);
    expect(running).toBe(0);
  });

  it('accepts concurrency + queue tasks, then holds submit() until one finishes', async () => {
    const pool = new BoundedPool(2, () => undefined, 3);
    const gates = Array.from({ length: 6 }, gate);
    const done: number[] = [];
    for (let i = 0; i < 5; i++) {
      expect(pool.offer(() => gates[i]!.opened.then(() => void done.push(i)))).toBe(true);
    }
    expect(pool.offer(async () => undefined)).toBe(false);
    let accepted = false;
    const sixth = pool.submit(() => gates[5]!.opened.then(() => void done.push(5))).then(() => (accepted = true));
    await ticks();
    expect(accepted).toBe(false);
    gates[1]!.open();
    await sixth;
    expect(accepted).toBe(true);
    expect(done).toEqual([1]);
    let drained = false;
    const drain = pool.drain().then(() => (drained = true));
    for (const i of [0, 2, 3, 4]) gates[i]!.open();
    await ticks();
    expect(drained).toBe(false); // the sixth is still running
    gates[5]!.open();
    await drain;
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('passes a task that throws or rejects to onError and goes on with the rest', async () => {
    const errors: unknown[] = [];
    const pool = new BoundedPool(1, (err) => errors.push(err), 10);
    const ran: string[] = [];
    await pool.submit(() => {
      throw new Error('sync');
    });
    await pool.submit(async () => {
      await ticks(1);
      throw new Error('async');
    });
    await pool.submit(async () => void ran.push('after'));
    await pool.drain();
    expect(errors.map((e) => (e as Error).message)).toEqual(['sync', 'async']);
    expect(ran).toEqual(['after']);
  });

  it('drains only once a task that was waiting for room has run too', async () => {
    const pool = new BoundedPool(1, () => undefined, 0);
    const a = gate();
    const ran: string[] = [];
    await pool.submit(() => a.opened.then(() => void ran.push('a')));
    const waiting = pool.submit(async () => {
      await ticks(2);
      ran.push('b');
    });
    const drained = pool.drain().then(() => ran.push('drained'));
    a.open();
    await Promise.all([waiting, drained]);
    expect(ran).toEqual(['a', 'b', 'drained']);
  });

  it('drains at once when empty, and waits for tasks submitted by running tasks', async () => {
    const pool = new BoundedPool(2, () => undefined, 2);
    await pool.drain();
    const ran: string[] = [];
    await pool.submit(async () => {
      await ticks(1);
      await pool.submit(async () => {
        await ticks(3);
        ran.push('child');
      });
      ran.push('parent');
    });
    await pool.drain();
    expect(ran).toEqual(['parent', 'child']);
  });
});
