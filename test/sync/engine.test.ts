/** More sync engine tests: --fast-list, --max-depth, low-level retries, large and empty files. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T0, FaultyFs, ListRFs, contents, dirs, expectCounts, expectFsError, expectMtime, expectSameTree, pair, run, snapshot, tmpDir, useSyncTestEnv, writeTree } from './helpers.js';

const logs = useSyncTestEnv();

describe('--fast-list', () => {
  it('syncs from and to a backend that lists recursively in pages without directory entries', async () => {
    const { src, dst } = pair(
      { 'a.txt': { data: 'a new', mtime: T0 + 1 }, 'd1/b.txt': 'b', 'd1/d2/c.txt': 'c', 'd3/e.txt': 'e', 'd3/f.txt': 'f' },
      { 'a.txt': 'old', 'stale.txt': 's', 'd1/stale2.txt': 's', 'gone/deep/x.txt': 'x' },
    );
    const wrapped: ListRFs[] = [];
    const wrap = (fs: ConstructorParameters<typeof ListRFs>[0]) => {
      const f = new ListRFs(fs);
      wrapped.push(f);
      return f;
    };
    const r1 = await run('sync', src, dst, { opt: { fastList: true }, wrapSrc: wrap, wrapDst: wrap });
    expect(r1.error).toBeUndefined();
    expectCounts(r1, { transfers: 5, checks: 1, deletes: 3, deletedDirs: 2, errors: 0 });
    expectSameTree(dst, src);
    for (const f of wrapped) expect(f.listed).toEqual(['listR:']);

    const r2 = await run('sync', src, dst, { opt: { fastList: true }, wrapSrc: wrap, wrapDst: wrap });
    expectCounts(r2, { transfers: 0, checks: 5, deletes: 0, errors: 0 });
  });

  it('treats a destination that does not exist yet as empty', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'd/b.txt': 'b' });
    const r = await run('copy', src, dst, { opt: { fastList: true, dryRun: true }, wrapDst: (fs) => new ListRFs(fs) });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 2, checks: 0, errors: 0 });
    expect(snapshot(dst).size).toBe(0);
  });
});

describe('--max-depth', () => {
  it('only looks that many levels down, and never deletes what it did not list', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'sub/b.txt': 'b' }, { 'stale.txt': 's', 'sub/c.txt': 'c', 'gone/d.txt': 'd' });
    const r = await run('sync', src, dst, { opt: { maxDepth: 1 } });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 1, deletes: 1, deletedDirs: 0, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'gone/d.txt': 'd', 'sub/c.txt': 'c' });
  });
});

describe('low-level retries', () => {
  it('a source that fails to open twice with a retryable error is retried and copied', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'b.txt': 'b' }, { 'stale.txt': 's' });
    const flakyOpen = { 'a.txt': 2 };
    const r = await run('sync', src, dst, { wrapSrc: (fs) => new FaultyFs(fs, { flakyOpen }) });
    expect(flakyOpen['a.txt']).toBe(0);
    expectCounts(r, { transfers: 2, deletes: 1, errors: 0 });
    expectSameTree(dst, src);
  });

  it('once the retries run out the error is counted as retryable and nothing is deleted', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'b.txt': 'b' }, { 'stale.txt': 's' });
    const r = await run('sync', src, dst, { opt: { lowLevelRetries: 2 }, wrapSrc: (fs) => new FaultyFs(fs, { flakyOpen: { 'a.txt': 5 } }) });
    expectCounts(r, { transfers: 1, deletes: 0, errors: 1 });
    expect(r.stats.retryable).toBe(true);
    expect(contents(dst)).toEqual({ 'b.txt': 'b', 'stale.txt': 's' });
    expect(logs.join('')).toContain('connection reset');
  });
});

describe('file sizes', () => {
  it('copies an empty file and a file of several read chunks exactly, then re-syncs as a no-op', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 1);
    const { src, dst } = pair({ empty: '', 'big.bin': { data: big, mtime: T0 + 1 } }, { 'big.bin': 'short' });
    const r1 = await run('sync', src, dst);
    expectCounts(r1, { transfers: 2, checks: 1, errors: 0, bytes: big.length });
    expectSameTree(dst, src);

    writeTree(src, { empty: { data: '', mtime: T0 + 9 } });
    const r2 = await run('sync', src, dst);
    expectCounts(r2, { transfers: 0, checks: 2, errors: 0, bytes: 0 });
    expectSameTree(dst, src);
    expect(dirs(dst)).toEqual([]);
  });
});

describe('failed writes', () => {
  it('a destination that refuses a write: the error is counted, the source file is closed, nothing is deleted', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const { src, dst } = pair({ 'a.txt': big, 'b.txt': 'b' }, { 'stale.txt': 's' });
    const fsrc: FaultyFs[] = [];
    const r = await run('sync', src, dst, {
      wrapSrc: (fs) => (fsrc[0] = new FaultyFs(fs)),
      wrapDst: (fs) => new FaultyFs(fs, { put: ['a.txt'] }),
    });
    expectCounts(r, { transfers: 1, deletes: 0, errors: 1 });
    expect(contents(dst)).toEqual({ 'b.txt': 'b', 'stale.txt': 's' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fsrc[0]!.opened).toHaveLength(2);
    for (const s of fsrc[0]!.opened) expect((s as unknown as { closed: boolean }).closed).toBe(true);
  });
});

describe('--backup-dir on a backend without server-side move', () => {
  const SRC = { 'a.txt': { data: 'a new', mtime: T0 + 5 } };
  const DST = { 'a.txt': 'a old', 'gone.txt': 'gone' };

  it('copies into the backup, then removes the original', async () => {
    const { src, dst } = pair(SRC, DST);
    const backup = tmpDir('backup');
    const r = await run('sync', src, dst, { backupDir: backup, opt: { suffix: '.1' }, wrapBackup: (fs) => new FaultyFs(fs) });
    expectCounts(r, { transfers: 1, deletes: 1, errors: 0 });
    expectSameTree(dst, src);
    expect(contents(backup)).toEqual({ 'a.txt.1': 'a old', 'gone.txt.1': 'gone' });
    expectMtime(backup, 'a.txt.1', T0);
  });

  it('a failed backup write keeps the original in place and closes it', async () => {
    const big = randomBytes(2 * 1024 * 1024);
    const { src, dst } = pair(SRC, { ...DST, 'a.txt': big });
    const backup = tmpDir('backup');
    const fdst: FaultyFs[] = [];
    const r = await run('sync', src, dst, {
      backupDir: backup,
      wrapDst: (fs) => (fdst[0] = new FaultyFs(fs)),
      wrapBackup: (fs) => new FaultyFs(fs, { put: ['a.txt'] }),
    });
    expectCounts(r, { transfers: 0, deletes: 0, errors: 1 });
    expect(readFileSync(join(dst, 'a.txt')).equals(big)).toBe(true);
    expect(contents(dst)['gone.txt']).toBe('gone');
    expect(contents(backup)).toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fdst[0]!.opened).toHaveLength(1);
    expect((fdst[0]!.opened[0] as unknown as { closed: boolean }).closed).toBe(true);
  });
});

describe('missing source', () => {
  it('a source directory that does not exist is dirNotFound and deletes nothing', async () => {
    const { dst } = pair({}, { 'keep.txt': 'k' });
    const r = await run('sync', join(tmpDir('nosrc'), 'missing'), dst);
    expectFsError(r.error, 'dirNotFound');
    expectCounts(r, { transfers: 0, deletes: 0 });
    expect(contents(dst)).toEqual({ 'keep.txt': 'k' });
  });

  it('an empty source directory empties the destination with --allow-empty-source', async () => {
    const { src, dst } = pair({}, { 'x.txt': 'x', 'd/y.txt': 'y' });
    const r = await run('sync', src, dst, { opt: { allowEmptySource: true } });
    expectCounts(r, { transfers: 0, deletes: 2, deletedDirs: 1, errors: 0 });
    expect(snapshot(dst).size).toBe(0);
  });
});
