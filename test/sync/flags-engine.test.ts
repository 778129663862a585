/**
 * The engine's flags in process: --order-by, --check-first, --max-backlog (the queue),
 * --no-traverse, --max-duration and --cutoff-mode, --track-renames, --compare-dest.
 * The command-line tests are in flags-cli-*.test.ts.
 */
import * as nfs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/accounting/stream.js';
import { FsError } from '../../src/fs/errors.js';
import { configureLog } from '../../src/lib/log.js';
import type { OperationOptions } from '../../src/operations/context.js';
import { parseOrderBy } from '../../src/sync/order.js';
import { TransferQueue } from '../../src/sync/queue.js';
import { parseRenameStrategy } from '../../src/sync/renames.js';
import { runSync, type SyncRequest } from '../../src/sync/sync.js';
import { T0, FaultyFs, contents, expectCounts, localFs, makeCtx, pair, run, snapshot, tmpDir, useSyncTestEnv, writeTree, type RunResult } from './helpers.js';

const logs = useSyncTestEnv();
beforeEach(() => configureLog({ level: 'DEBUG' }));
afterEach(() => configureLog({ level: 'NOTICE' }));

/** The messages of the log lines that match re, without time and level, in order. */
function lines(re: RegExp): string[] {
  return logs.map((l) => l.replace(/^\S+ \S+ \w+\s*: /, '').trimEnd()).filter((l) => re.test(l));
}

/** Runs the engine with a context the test shapes (a bandwidth limit, extra request fields). */
async function runWith(mode: SyncRequest['mode'], src: string, dst: string, o: Partial<OperationOptions>, extra: Partial<SyncRequest> = {}, rate = 0): Promise<RunResult> {
  const ctx = makeCtx(o);
  if (rate > 0) ctx.bwlimit = new TokenBucket(rate);
  let error: unknown;
  try {
    await runSync(ctx, { fsrc: (await localFs(src)).fs, fdst: (await localFs(dst)).fs, mode, ...extra });
  } catch (err) {
    error = err;
  }
  return { stats: ctx.stats, error };
}

const sized = (n: number, c = 'x') => c.repeat(n);

describe('the transfer queue', () => {
  const collect = (o: { workers: number; backlog: number; compare?: (a: number, b: number) => number; mixed?: number; started: boolean }) => {
    const taken: number[] = [];
    const release: (() => void)[] = [];
    const q = new TransferQueue<number>({
      ...o,
      run: (n) => {
        taken.push(n);
        return new Promise<void>((resolve) => release.push(resolve));
      },
      onError: (err) => {
        throw err;
      },
    });
    return { q, taken, release };
  };

  it('held (--check-first) takes nothing until started, then smallest first', async () => {
    const { q, taken, release } = collect({ workers: 1, backlog: -1, compare: (a, b) => a - b, started: false });
    for (const n of [5, 3, 9, 1, 7]) await q.put(n);
    expect(taken).toEqual([]);
    const done = q.drain();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      release.shift()!();
    }
    await done;
    expect(taken).toEqual([1, 3, 5, 7, 9]);
  });

  it('mixed: the first half of the workers take the smallest, the others the largest', async () => {
    const { q, taken, release } = collect({ workers: 2, backlog: -1, compare: (a, b) => a - b, mixed: 50, started: false });
    for (const n of [4, 1, 6, 3, 2, 5]) await q.put(n);
    q.start();
    expect(taken).toEqual([1, 6]);
    release.shift()!(); // worker 0 again: the smallest left
    await new Promise((r) => setImmediate(r));
    expect(taken).toEqual([1, 6, 2]);
    release.shift()!(); // worker 1 again: the largest left
    await new Promise((r) => setImmediate(r));
    expect(taken).toEqual([1, 6, 2, 5]);
    q.cancel();
  });

  it('put waits while the backlog is full (--max-backlog), and 0 waits until its item is taken', async () => {
    const { q, release } = collect({ workers: 1, backlog: 2, started: false });
    await q.put(1);
    await q.put(2);
    let third = false;
    const p = q.put(3).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    q.start(); // the worker takes 1: room for 3
    await p;
    expect(third).toBe(true);
    q.cancel();
    release.forEach((r) => r());

    const zero = collect({ workers: 1, backlog: 0, started: true });
    await zero.q.put(1); // taken at once by the idle worker
    let second = false;
    const p2 = zero.q.put(2).then(() => (second = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false);
    zero.release.shift()!();
    await p2;
    expect(zero.taken).toEqual([1, 2]);
    zero.q.cancel();
  });

  it('parses --order-by as rclone, and refuses what rclone refuses', () => {
    expect(parseOrderBy('size')).toEqual({ key: 'size', descending: false, mixed: -1 });
    expect(parseOrderBy('Name,DESC')).toEqual({ key: 'name', descending: true, mixed: -1 });
    expect(parseOrderBy('modtime,mixed')).toEqual({ key: 'modtime', descending: false, mixed: 50 });
    expect(parseOrderBy('size,mixed,25')).toEqual({ key: 'size', descending: false, mixed: 25 });
    expect(parseOrderBy('')).toBeUndefined();
    for (const bad of ['age', 'size,up', 'size,asc,1', 'size,mixed,x', 'size,mixed,1,2']) expect(() => parseOrderBy(bad), bad).toThrow(/--order-by/);
    expect(parseRenameStrategy('modtime,leaf,size')).toEqual({ hash: false, modTime: true, leaf: true });
    expect(() => parseRenameStrategy('hash,inode')).toThrow(/unknown strategy "inode"/);
  });
});

describe('--order-by and --check-first', () => {
  const tree = { 'b.txt': { data: sized(300), mtime: T0 + 20 }, 'a.txt': { data: sized(100), mtime: T0 + 30 }, 'c/d.txt': { data: sized(200), mtime: T0 + 10 }, 'e.txt': { data: sized(400), mtime: T0 + 40 } };

  it.each([
    ['size,descending', ['e.txt', 'b.txt', 'c/d.txt', 'a.txt']],
    ['size', ['a.txt', 'c/d.txt', 'b.txt', 'e.txt']],
    ['name,desc', ['e.txt', 'c/d.txt', 'b.txt', 'a.txt']],
    ['modtime,ascending', ['c/d.txt', 'b.txt', 'a.txt', 'e.txt']],
  ])('--order-by %s with --check-first and one transfer copies in that order', async (orderBy, want) => {
    const { src, dst } = pair(tree);
    const r = await run('copy', src, dst, { opt: { orderBy, checkFirst: true, transfers: 1 } });
    expect(r.error).toBeUndefined();
    expect(lines(/Copied \(new\)$/).map((l) => l.split(':')[0])).toEqual(want);
  });

  it('--check-first runs every check before the first transfer, and says so', async () => {
    const { src, dst } = pair({ 'a.txt': 'new a', 'b.txt': 'b', 'c.txt': 'new c', 'd.txt': 'd' }, { 'a.txt': 'old a!', 'b.txt': 'b', 'c.txt': 'old c!', 'd.txt': 'd' });
    const r = await run('copy', src, dst, { opt: { checkFirst: true, transfers: 1, checkers: 1 } });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 2, checks: 4, errors: 0 });
    const events = lines(/Running all checks|Checks finished|Copied|Unchanged skipping|Sizes differ/);
    expect(events[0]).toMatch(/Running all checks before starting transfers$/);
    const finished = events.findIndex((l) => /Checks finished, now starting transfers$/.test(l));
    expect(events.slice(1, finished).sort()).toEqual(['a.txt: Sizes differ (src 5 vs dst 6)', 'b.txt: Unchanged skipping', 'c.txt: Sizes differ (src 5 vs dst 6)', 'd.txt: Unchanged skipping']);
    expect(events.slice(finished + 1)).toEqual(['a.txt: Copied (replaced existing)', 'c.txt: Copied (replaced existing)']);
  });
});

describe('--no-traverse', () => {
  it('copy never lists the destination: each source file is looked up by name', async () => {
    const { src, dst } = pair({ 'same.txt': 'same', 'new.txt': 'new', 'sub/deep.txt': 'deep', 'sub/changed.txt': 'changed!' }, { 'same.txt': 'same', 'sub/changed.txt': 'old', 'other.txt': 'never looked at' });
    let fdst: FaultyFs | undefined;
    const r = await run('copy', src, dst, { opt: { noTraverse: true }, wrapDst: (fs) => (fdst = new FaultyFs(fs)) });
    expect(r.error).toBeUndefined();
    expect(fdst!.listed).toEqual([]);
    expectCounts(r, { transfers: 3, checks: 2, errors: 0 });
    expect(contents(dst)).toEqual({ 'new.txt': 'new', 'other.txt': 'never looked at', 'same.txt': 'same', 'sub/changed.txt': 'changed!', 'sub/deep.txt': 'deep' });
  });

  it('is ignored by sync, which must list the destination to delete (rclone says so at ERROR)', async () => {
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', 'extra.txt': 'x' });
    let fdst: FaultyFs | undefined;
    const r = await run('sync', src, dst, { opt: { noTraverse: true }, wrapDst: (fs) => (fdst = new FaultyFs(fs)) });
    expect(r.error).toBeUndefined();
    expect(lines(/no-traverse/)).toEqual(['Ignoring --no-traverse with sync']);
    expect(fdst!.listed).toEqual(['']);
    expectCounts(r, { transfers: 0, deletes: 1, errors: 0 });
  });
});

describe('--max-duration and --cutoff-mode', () => {
  // 4 files of 100 kB at 50 kB/s, one at a time: the first ends at about 1 s (half of it
  // passes at once, the limiter's burst), the second runs from 1 s to 3 s; the deadline is at 1.5 s.
  const slow = () => pair({ 'f1.bin': sized(100_000, '1'), 'f2.bin': sized(100_000, '2'), 'f3.bin': sized(100_000, '3'), 'f4.bin': sized(100_000, '4') });

  it('hard (the default): at the deadline the transfer under way is cut, nothing is left half-written, and the run fails fatally', async () => {
    const { src, dst } = slow();
    const r = await runWith('sync', src, dst, { maxDuration: 1500, transfers: 1 }, {}, 50_000);
    expect(r.error).toBeInstanceOf(FsError);
    expect((r.error as FsError).message).toBe('max transfer duration reached as set by --max-duration');
    expect((r.error as FsError).retry).toBe('fatal');
    expect(r.stats.transfers).toBe(1);
    expect(lines(/Transfer session HARD deadline: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d$/)).toHaveLength(1);
    // Only the complete file, under its own name: the cut one left nothing behind.
    expect([...snapshot(dst).keys()]).toEqual(['f1.bin']);
    expect(nfs.statSync(join(dst, 'f1.bin')).size).toBe(100_000);
  });

  it('soft: no new transfer starts after the deadline, the one under way finishes', async () => {
    const { src, dst } = slow();
    const r = await runWith('copy', src, dst, { maxDuration: 1500, cutoffMode: 'soft', transfers: 1 }, {}, 50_000);
    expect((r.error as FsError).message).toBe('max transfer duration reached as set by --max-duration');
    // The one running at the deadline (the second) finished.
    expect(r.stats.transfers).toBe(2);
    expect(Object.keys(contents(dst)).sort()).toEqual(['f1.bin', 'f2.bin']);
    expect(lines(/Transfer session SOFT deadline/)).toHaveLength(1);
  });

  it('a run that ends before its deadline is not affected', async () => {
    const { src, dst } = pair({ 'a.txt': 'a' });
    const r = await runWith('copy', src, dst, { maxDuration: 60_000 });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 1, errors: 0 });
  });

  it('--max-transfer with --cutoff-mode soft finishes the transfer under way and starts no other; cautious starts none that could pass the limit', async () => {
    const tree = { 'a.bin': sized(100_000, 'a'), 'b.bin': sized(100_000, 'b'), 'c.bin': sized(100_000, 'c') };
    const soft = pair(tree);
    const r1 = await runWith('copy', soft.src, soft.dst, { maxTransfer: 150_000, cutoffMode: 'soft', transfers: 1 });
    expect((r1.error as FsError).kind).toBe('maxTransferReached');
    expect((r1.error as FsError).retry).toBe('noRetry');
    expect(r1.stats.transfers).toBe(2);
    expect(lines(/stopping transfers/)).toEqual(['max transfer limit reached as set by --max-transfer - stopping transfers']);
    logs.length = 0;
    const cautious = pair(tree);
    const r2 = await runWith('copy', cautious.src, cautious.dst, { maxTransfer: 150_000, cutoffMode: 'cautious', transfers: 1 });
    expect((r2.error as FsError).kind).toBe('maxTransferReached');
    expect(r2.stats.transfers).toBe(1);
    expect(Object.keys(contents(cautious.dst))).toHaveLength(1);
    const hard = pair(tree);
    const r3 = await runWith('copy', hard.src, hard.dst, { maxTransfer: 150_000, transfers: 1 });
    expect((r3.error as FsError).retry).toBe('fatal');
    expect(r3.stats.transfers).toBe(1);
    expect(Object.keys(contents(hard.dst))).toHaveLength(1);
  });
});

describe('--track-renames', () => {
  const big = sized(50_000, 'B');

  it('a renamed or moved file is moved on the destination, not sent again', async () => {
    const { src, dst } = pair({ 'keep.txt': 'keep', 'sub/renamed.bin': big, 'new.txt': 'brand new' }, { 'keep.txt': 'keep', 'old.bin': big, 'gone.txt': 'gone' });
    const r = await run('sync', src, dst, { opt: { trackRenames: true } });
    expect(r.error).toBeUndefined();
    expect(r.stats.renames).toBe(1);
    expectCounts(r, { transfers: 1, deletes: 1, errors: 0 });
    expect(contents(dst)).toEqual({ 'keep.txt': 'keep', 'new.txt': 'brand new', 'sub/renamed.bin': big });
    expect(lines(/Renamed from/)).toEqual(['sub/renamed.bin: Renamed from "old.bin"']);
    expect(lines(/Making map for --track-renames|Finished making map/)).toHaveLength(2);
  });

  it('--track-renames-strategy leaf matches on size and name only: the same name in another directory is moved, different data of the same size too', async () => {
    const same = sized(1000, 'x');
    const other = sized(1000, 'y');
    const { src, dst } = pair({ 'to/a.bin': other, 'b.bin': same }, { 'from/a.bin': same, 'c.bin': same });
    const r = await run('sync', src, dst, { opt: { trackRenames: true, trackRenamesStrategy: 'leaf' } });
    expect(r.error).toBeUndefined();
    // to/a.bin takes from/a.bin's place although their data differ (as in rclone: the strategy
    // asked for size and name only); b.bin has no candidate of its name and is copied.
    expect(lines(/Renamed from/)).toEqual(['to/a.bin: Renamed from "from/a.bin"']);
    expect(contents(dst)).toEqual({ 'b.bin': same, 'to/a.bin': same });
  });

  it('is ignored by copy (an ERROR line says so) and refused with --delete-before', async () => {
    const { src, dst } = pair({ 'new.bin': big }, { 'old.bin': big });
    const r = await run('copy', src, dst, { opt: { trackRenames: true } });
    expect(r.error).toBeUndefined();
    expect(lines(/track-renames/)).toEqual([`${dst}: Ignoring --track-renames as it doesn't work with copy or move, only sync`]);
    expectCounts(r, { transfers: 1, errors: 0 });
    const r2 = await run('sync', src, dst, { opt: { trackRenames: true, deleteMode: 'before' } });
    expect((r2.error as FsError).message).toMatch(/^can't use --delete-before with --track-renames/);
  });

  it('--dry-run names the move and changes nothing', async () => {
    const { src, dst } = pair({ 'new.bin': big }, { 'old.bin': big });
    const before = snapshot(dst);
    const r = await run('sync', src, dst, { opt: { trackRenames: true, dryRun: true } });
    expect(r.error).toBeUndefined();
    expect(snapshot(dst)).toEqual(before);
    expect(lines(/Skipped move|Renamed from/)).toEqual([`old.bin: Skipped move as --dry-run is set (size 50000)`, 'new.bin: Renamed from "old.bin"']);
    expectCounts(r, { transfers: 0, deletes: 0, errors: 0 });
  });
});

describe('--compare-dest', () => {
  it('a file identical in a --compare-dest directory is not copied; one that differs is', async () => {
    const { src, dst } = pair({ 'same.txt': 'same', 'changed.txt': 'changed', 'new.txt': 'new' });
    const cmp = tmpDir('cmp');
    writeTree(cmp, { 'same.txt': 'same', 'changed.txt': 'before' });
    const cmpMtime = nfs.statSync(join(cmp, 'same.txt')).mtimeMs;
    const r = await runWith('copy', src, dst, {}, { altDests: { kind: 'compare', dirs: [(await localFs(cmp)).fs] } });
    expect(r.error).toBeUndefined();
    expect(contents(dst)).toEqual({ 'changed.txt': 'changed', 'new.txt': 'new' });
    expect(lines(/compare-dest/)).toEqual(['same.txt: Destination found in --compare-dest, skipping']);
    expect(nfs.statSync(join(cmp, 'same.txt')).mtimeMs).toBe(cmpMtime);
  });
});
