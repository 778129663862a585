/**
 * The sync engine's batched deletes, against the local backend behind a test Fs that adds
 * removeMany (each object's real remove(), with the batch sizes recorded): batches of up to
 * 1,000 in every --delete-* mode, and one by one wherever an object must be handled on its
 * own (--dry-run, -i, --backup-dir); the limits, errors and a stop between batches.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { fsError } from '../../src/fs/errors.js';
import type { CallOptions, Obj, RemoveFailure } from '../../src/fs/types.js';
import { configureLog } from '../../src/lib/log.js';
import { Interactive, ScriptedLineSource } from '../../src/operations/interactive.js';
import type { OperationOptions } from '../../src/operations/context.js';
import { runSync } from '../../src/sync/sync.js';
import { contents, dirs, expectFsError, FaultyFs, localFs, makeCtx, pair, run, tmpDir, useSyncTestEnv, type FileSpec } from './helpers.js';

const logs = useSyncTestEnv();
beforeEach(() => configureLog({ level: 'INFO' }));
afterAll(() => configureLog({ level: 'NOTICE' }));

interface BatchFaults {
  /** Objects removeMany reports as not deleted (permission denied). */
  refuse?: Set<string>;
  /** removeMany throws (the outcome of the whole batch unknown). */
  lose?: boolean;
  /** Called once each batch is done, with its number (1, 2, ...). */
  afterBatch?: (n: number) => void;
}

/** The local Fs with a removeMany that calls remove() on each object and records each batch. */
class BatchFs extends FaultyFs {
  readonly batches: string[][] = [];
  readonly signals: (AbortSignal | undefined)[] = [];
  constructor(
    inner: FaultyFs['inner'],
    readonly batchFaults: BatchFaults = {},
  ) {
    super(inner);
  }

  async removeMany(objs: readonly Obj[], options?: CallOptions): Promise<RemoveFailure[]> {
    this.batches.push(objs.map((o) => o.remote));
    this.signals.push(options?.signal);
    if (this.batchFaults.lose) throw fsError('other', 'the answer was lost (injected)', { retry: 'retryable' });
    const failures: RemoveFailure[] = [];
    for (const obj of objs) {
      if (obj.fs !== this) throw new Error(`${obj.remote} is not an object of this Fs`);
      if (this.batchFaults.refuse?.has(obj.remote)) failures.push({ obj, err: fsError('permission', `remove ${obj.remote}: access denied (injected)`, { retry: 'noRetry' }) });
      else await obj.remove(options);
    }
    this.batchFaults.afterBatch?.(this.batches.length);
    return failures;
  }
}

/** n extra files spread over five directories, plus what the source has. */
function extras(n: number, size = 1): Record<string, FileSpec> {
  const out: Record<string, FileSpec> = {};
  for (let i = 0; i < n; i++) out[`x/d${i % 5}/f${String(i).padStart(5, '0')}.txt`] = 'x'.repeat(size);
  return out;
}

const SRC = { 'keep.txt': 'k' };

async function sync(n: number, opt: Partial<OperationOptions> = {}, faults: BatchFaults = {}, more: { backupDir?: string; signal?: AbortSignal } = {}) {
  const { src, dst } = pair(SRC, { ...SRC, ...extras(n) });
  let fs: BatchFs | undefined;
  const r = await run('sync', src, dst, { opt, wrapDst: (inner) => (fs = new BatchFs(inner, faults)), ...more });
  return { r, dst, fs: fs!, left: Object.keys(contents(dst)).filter((k) => k !== 'keep.txt') };
}

const deletedLines = () => logs.filter((l) => / INFO {2}: x\/d\d\/f\d+\.txt: Deleted$/.test(l.trimEnd()));

describe('batched deletes', () => {
  for (const mode of ['after', 'before', 'during'] as const) {
    const batches = mode === 'during' ? [] : [1000, 1000, 500];
    it(`--delete-${mode}: 2,500 extra files go ${mode === 'during' ? 'one by one (a batch would be decided before a transfer error it must yield to)' : 'in batches of 1,000, 1,000 and 500'}, each logged and counted`, async () => {
      const { r, dst, fs, left } = await sync(2500, { deleteMode: mode });
      expect(r.error).toBeUndefined();
      expect(fs.batches.map((b) => b.length)).toEqual(batches);
      expect(new Set(fs.batches.flat()).size).toBe(batches.length ? 2500 : 0);
      // A batch under way is not cut off by the run's signal (it would delete unlogged).
      for (const s of fs.signals) expect(s).toBeUndefined();
      expect(r.stats.deletes).toBe(2500);
      expect(r.stats.errors).toBe(0);
      expect(left).toEqual([]);
      expect(deletedLines()).toHaveLength(2500);
      // The emptied directories go too, as with single deletes.
      expect(dirs(dst)).toEqual([]);
    });
  }

  it('a handful of extra files is one batch', async () => {
    const { r, fs, left } = await sync(7);
    expect(r.error).toBeUndefined();
    expect(fs.batches.map((b) => b.length)).toEqual([7]);
    expect(left).toEqual([]);
  });

  it('objects the backend could not delete are each an error, not counted as deleted; the rest are deleted', async () => {
    const refuse = new Set(['x/d1/f00001.txt', 'x/d3/f01503.txt']);
    const { r, fs, left } = await sync(2000, {}, { refuse });
    expect(fs.batches.map((b) => b.length)).toEqual([1000, 1000]);
    expect(r.stats.deletes).toBe(1998);
    expect(r.stats.errors).toBe(2);
    expect(left.sort()).toEqual([...refuse].sort());
    const errors = logs.filter((l) => l.includes('ERROR'));
    expect(errors.some((l) => l.includes('x/d1/f00001.txt: remove x/d1/f00001.txt: access denied (injected)'))).toBe(true);
    expect(errors.some((l) => l.includes('x/d3/f01503.txt'))).toBe(true);
    expect(deletedLines()).toHaveLength(1998);
  });

  it('a batch whose outcome is unknown counts each of its objects as an error', async () => {
    const { r, fs, left } = await sync(1200, {}, { lose: true });
    expect(fs.batches.map((b) => b.length)).toEqual([1000, 200]);
    expect(r.stats.deletes).toBe(0);
    expect(r.stats.errors).toBe(1200);
    expect(left).toHaveLength(1200);
  });

  it('a stop while the first batch is under way sends no further batch', async () => {
    const stop = new AbortController();
    const afterBatch = (n: number) => void (n === 1 && stop.abort(fsError('other', 'interrupted (test)', { retry: 'fatal' })));
    const { r, fs, left } = await sync(3000, { checkers: 1 }, { afterBatch }, { signal: stop.signal });
    expect(fs.batches).toHaveLength(1);
    expect((r.error as Error).message).toBe('interrupted (test)');
    // The one batch sent was already under way: its objects are gone, no others.
    expect(left).toHaveLength(2000);
    expect(r.stats.errors).toBe(1);
  });

  it('nothing is sent after a transfer error', async () => {
    const { src, dst } = pair({ ...SRC, 'bad.txt': 'b' }, { ...SRC, ...extras(1500) });
    let fs: BatchFs | undefined;
    const r = await run('sync', src, dst, { wrapSrc: (inner) => new FaultyFs(inner, { open: ['bad.txt'] }), wrapDst: (inner) => (fs = new BatchFs(inner)) });
    expect(r.stats.errors).toBe(1);
    expect(fs!.batches).toEqual([]);
    expect(Object.keys(contents(dst))).toHaveLength(1 + 1500);
    expect(logs.join('')).toContain('not deleting files or directories as there were IO errors');
  });
});

describe('batched deletes and the limits', () => {
  for (const mode of ['after', 'before'] as const) {
    it(`--delete-${mode}: --max-delete one short of the extras sends nothing`, async () => {
      const { r, fs, left } = await sync(2500, { maxDelete: 2499, deleteMode: mode });
      expectFsError(r.error, 'maxDeleteReached');
      expect((r.error as Error).message).toMatch(/--max-delete threshold \(2499\) reached: 2500 files to delete, so none were deleted/);
      expect(fs.batches).toEqual([]);
      expect(r.stats.deletes).toBe(0);
      expect(r.stats.errors).toBe(1);
      expect(left).toHaveLength(2500);
    });

    it(`--delete-${mode}: --max-delete-size one byte short sends nothing; exactly the size sends all`, async () => {
      const short = await sync(1100, { maxDeleteSize: 1099, deleteMode: mode });
      expectFsError(short.r.error, 'maxDeleteReached');
      expect(short.fs.batches).toEqual([]);
      expect(short.left).toHaveLength(1100);
      const exact = await sync(1100, { maxDeleteSize: 1100, deleteMode: mode });
      expect(exact.r.error).toBeUndefined();
      expect(exact.fs.batches.map((b) => b.length)).toEqual([1000, 100]);
      expect(exact.left).toEqual([]);
    });
  }

  // One by one, deletes still waiting in the pool when the limit is hit are not sent (the
  // run has an error by then): never more than the limit, and every delete counted.
  it('--delete-during: --max-delete deletes up to the limit and no more, each counted, then stops with the error', async () => {
    const { r, fs, left } = await sync(2500, { maxDelete: 1500, deleteMode: 'during' });
    expectFsError(r.stats.lastError, 'maxDeleteReached');
    expect(r.stats.errors).toBe(1);
    expect(fs.batches).toEqual([]);
    expect(r.stats.deletes).toBeLessThanOrEqual(1500);
    expect(r.stats.deletes).toBeGreaterThan(1400);
    expect(left).toHaveLength(2500 - r.stats.deletes);
  });

  it('--delete-during: --max-delete-size likewise', async () => {
    const { r, fs, left } = await sync(1200, { maxDeleteSize: 1050, deleteMode: 'during' });
    expectFsError(r.stats.lastError, 'maxDeleteReached');
    expect(fs.batches).toEqual([]);
    expect(r.stats.deletes).toBeLessThanOrEqual(1050);
    expect(r.stats.deletes).toBeGreaterThan(950);
    expect(left).toHaveLength(1200 - r.stats.deletes);
  });
});

describe('deletes that stay one by one', () => {
  it('--dry-run sends nothing and names each file it would delete', async () => {
    const { r, fs, left } = await sync(1200, { dryRun: true });
    expect(r.error).toBeUndefined();
    expect(fs.batches).toEqual([]);
    expect(logs.filter((l) => /NOTICE: x\/d\d\/f\d+\.txt: Skipped delete as --dry-run is set/.test(l))).toHaveLength(1200);
    expect(r.stats.deletes).toBe(1200);
    expect(left).toHaveLength(1200);
  });

  it('--backup-dir moves each file aside instead of deleting it in a batch', async () => {
    const backup = tmpDir('backup');
    const { r, fs, left } = await sync(30, {}, {}, { backupDir: backup });
    expect(r.error).toBeUndefined();
    expect(fs.batches).toEqual([]);
    expect(left).toEqual([]);
    expect(Object.keys(contents(backup))).toHaveLength(30);
  });

  it('-i asks about each file, and deletes only those answered yes', async () => {
    const { src, dst } = pair(SRC, { ...SRC, ...extras(4) });
    const io = new ScriptedLineSource(['y', 'n', 'y', 'n']);
    const gate = new Interactive(io, () => undefined);
    const fdst = new BatchFs((await localFs(dst)).fs);
    const ctx = { ...makeCtx({ interactive: true, transfers: 1, checkers: 1 }), interactive: gate };
    await runSync(ctx, { fsrc: (await localFs(src)).fs, fdst, mode: 'sync' });
    expect(fdst.batches).toEqual([]);
    expect(io.written.join('').split('\n').filter((l) => l.startsWith('nclone: delete '))).toHaveLength(4);
    expect(ctx.stats.deletes).toBe(2);
    expect(Object.keys(contents(dst))).toHaveLength(1 + 2);
  });
});
