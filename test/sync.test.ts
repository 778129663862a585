import * as nfs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Filter } from '../src/filter/filter.js';
import { fsError } from '../src/fs/errors.js';
import type { Fs } from '../src/fs/types.js';
import {
  FaultyFs,
  T0,
  contents,
  dirs,
  expectCounts,
  expectFsError,
  expectMtime,
  expectSameTree,
  pair,
  run,
  snapshot,
  tmpDir,
  useSyncTestEnv,
  writeTree,
  type FileSpec,
} from './sync/helpers.js';

const logs = useSyncTestEnv();

const BASIC: Record<string, FileSpec> = {
  'a.txt': { data: 'alpha', mtime: T0 + 1 },
  'dir/b.txt': { data: 'bravo!', mtime: T0 + 2 },
  'dir/sub/c.txt': { data: 'charlie charlie', mtime: T0 + 3 },
};

describe('copy and sync basics', () => {
  it('copies into an empty destination, and a re-run is a no-op', async () => {
    const { src, dst } = pair(BASIC);
    const r1 = await run('copy', src, dst);
    expect(r1.error).toBeUndefined();
    expectSameTree(dst, src);
    expectCounts(r1, { transfers: 3, checks: 0, deletes: 0, errors: 0, bytes: 26 });
    expect(r1.stats.totalTransfers).toBe(3);

    const before = snapshot(dst);
    const r2 = await run('copy', src, dst);
    expectCounts(r2, { transfers: 0, checks: 3, deletes: 0, errors: 0, bytes: 0 });
    expect(r2.stats.totalChecks).toBe(3);
    expect(snapshot(dst)).toEqual(before);
  });

  it('re-copies a file whose size and mtime changed, and copy never deletes', async () => {
    const { src, dst } = pair(BASIC, { ...BASIC, 'extra.txt': 'keep me', 'old/x.txt': 'me too', 'emptydir/': '' });
    writeTree(src, { 'a.txt': { data: 'alpha v2', mtime: T0 + 100 } });
    const r = await run('copy', src, dst);
    expectCounts(r, { transfers: 1, checks: 3, deletes: 0, deletedDirs: 0, errors: 0, bytes: 8 });
    expect(contents(dst)).toEqual({ 'a.txt': 'alpha v2', 'dir/b.txt': 'bravo!', 'dir/sub/c.txt': 'charlie charlie', 'extra.txt': 'keep me', 'old/x.txt': 'me too' });
    expectMtime(dst, 'a.txt', T0 + 100);
    expect(dirs(dst)).toEqual(['dir', 'dir/sub', 'emptydir', 'old']);
  });

  it('sync deletes destination-only files and directories, deepest first, and keeps nothing extra', async () => {
    const { src, dst } = pair(BASIC, {
      ...BASIC,
      'extra.txt': 'x',
      'dir/extra.txt': 'x',
      'gone/y.txt': 'y',
      'gone/deep/deeper/x.txt': 'x',
      'emptydir/': '',
      'dir/sub/emptysub/': '',
    });
    const r = await run('sync', src, dst);
    expect(r.error).toBeUndefined();
    expectSameTree(dst, src);
    expectCounts(r, { transfers: 0, checks: 3, deletes: 4, deletedDirs: 5, errors: 0 });
  });

  it('a file on one side and a directory of the same name on the other is an error, and nothing is deleted', async () => {
    const { src, dst } = pair({ 'x/inner.txt': 'in', 'b.txt': 'b' }, { x: 'a file', 'stale.txt': 's' });
    const r = await run('sync', src, dst);
    expectCounts(r, { transfers: 1, deletes: 0, errors: 1 });
    expect(contents(dst)).toEqual({ 'b.txt': 'b', 'stale.txt': 's', x: 'a file' });
  });
});

describe('deciding what to transfer', () => {
  it('same size and mtime but different content: skipped by default, copied with --checksum', async () => {
    const { src, dst } = pair({ 'a.txt': 'aaaa' }, { 'a.txt': 'bbbb' });
    const r1 = await run('copy', src, dst);
    expectCounts(r1, { transfers: 0, checks: 1, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'bbbb' });

    const r2 = await run('copy', src, dst, { opt: { checksum: true } });
    expectCounts(r2, { transfers: 1, checks: 1, errors: 0, bytes: 4 });
    expectSameTree(dst, src);
  });

  it('same size and content but different mtime: not transferred, the destination mtime is corrected', async () => {
    const { src, dst } = pair(
      { 'same.txt': { data: 'same', mtime: T0 + 50 }, 'other.txt': { data: 'new!', mtime: T0 + 50 } },
      { 'same.txt': 'same', 'other.txt': 'old!' },
    );
    const r = await run('copy', src, dst);
    expectCounts(r, { transfers: 1, checks: 2, errors: 0, bytes: 4 });
    expectSameTree(dst, src);
    expect(r.stats.transferring.size).toBe(0);
  });

  it('--size-only compares sizes alone and leaves mtimes alone', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'xxxx', mtime: T0 + 10 }, 'b.txt': 'longer' }, { 'a.txt': 'yyyy', 'b.txt': 'short' });
    const r = await run('copy', src, dst, { opt: { sizeOnly: true } });
    expectCounts(r, { transfers: 1, checks: 2, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'yyyy', 'b.txt': 'longer' });
    expectMtime(dst, 'a.txt', T0);
  });

  it('--ignore-size: equal times are enough, different times fall back to hashes', async () => {
    const { src, dst } = pair({ 'a.txt': 'abc', 'b.txt': { data: 'new', mtime: T0 + 5 } }, { 'a.txt': 'abcdef', 'b.txt': 'older!' });
    const r = await run('copy', src, dst, { opt: { ignoreSize: true } });
    expectCounts(r, { transfers: 1, checks: 2, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'abcdef', 'b.txt': 'new' });
  });

  it('--ignore-times transfers identical files anyway', async () => {
    const { src, dst } = pair({ 'a.txt': 'same' }, { 'a.txt': 'same' });
    expectCounts(await run('copy', src, dst), { transfers: 0, checks: 1 });
    expectCounts(await run('copy', src, dst, { opt: { ignoreTimes: true } }), { transfers: 1, checks: 1, bytes: 4 });
    expectSameTree(dst, src);
  });

  it('--ignore-existing never touches a file already in the destination', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'changed', mtime: T0 + 9 }, 'b.txt': 'new' }, { 'a.txt': 'old' });
    const r = await run('copy', src, dst, { opt: { ignoreExisting: true } });
    expectCounts(r, { transfers: 1, checks: 1, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'old', 'b.txt': 'new' });
    expectMtime(dst, 'a.txt', T0);
  });

  it('--update skips files newer in the destination and copies older ones', async () => {
    const { src, dst } = pair(
      { 'newer.txt': 'src', 'older.txt': { data: 'src', mtime: T0 + 10 }, 'sametime.txt': 'src', 'sizediff.txt': 'src' },
      { 'newer.txt': { data: 'dst', mtime: T0 + 10 }, 'older.txt': 'dst', 'sametime.txt': 'dst', 'sizediff.txt': 'dst!' },
    );
    const r = await run('copy', src, dst, { opt: { update: true } });
    expectCounts(r, { transfers: 2, checks: 4, errors: 0 });
    expect(contents(dst)).toEqual({ 'newer.txt': 'dst', 'older.txt': 'src', 'sametime.txt': 'dst', 'sizediff.txt': 'src' });
    expectMtime(dst, 'newer.txt', T0 + 10);
    expectMtime(dst, 'older.txt', T0 + 10);
  });

  it('--modify-window treats close mtimes as equal', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'one!', mtime: T0 + 1 } }, { 'a.txt': 'two!' });
    const r1 = await run('copy', src, dst, { opt: { modifyWindow: 2_000_000_000n } });
    expectCounts(r1, { transfers: 0, checks: 1 });
    expect(contents(dst)).toEqual({ 'a.txt': 'two!' });
    const r2 = await run('copy', src, dst);
    expectCounts(r2, { transfers: 1, checks: 1 });
    expectSameTree(dst, src);
  });
});

describe('--dry-run', () => {
  it('changes nothing on disk but reports what it would do', async () => {
    const { src, dst } = pair(
      { ...BASIC, 'touch.txt': { data: 'same', mtime: T0 + 7 }, 'newdir/n.txt': 'n', 'emptysrc/': '' },
      { ...BASIC, 'a.txt': 'changed!', 'touch.txt': 'same', 'stale.txt': 's', 'gone/x.txt': 'x' },
    );
    const before = [snapshot(src), snapshot(dst)];
    const r = await run('sync', src, dst, { opt: { dryRun: true, createEmptySrcDirs: true } });
    expect(r.error).toBeUndefined();
    expect([snapshot(src), snapshot(dst)]).toEqual(before);
    expectCounts(r, { transfers: 2, checks: 4, deletes: 2, errors: 0 });
  });

  it('does not even create a missing destination root', async () => {
    const { src, dst } = pair(BASIC);
    const r = await run('sync', src, dst, { opt: { dryRun: true } });
    expectCounts(r, { transfers: 3, errors: 0 });
    expect(nfs.existsSync(dst)).toBe(false);
  });
});

describe('--max-delete', () => {
  const extras = { 'x1.txt': '1', 'x2.txt': '2', 'x3.txt': '3' };

  it('--delete-after over the limit deletes nothing and fails with maxDeleteReached', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'b.txt': 'b' }, { 'a.txt': 'a', ...extras });
    const r = await run('sync', src, dst, { opt: { maxDelete: 2 } });
    expectFsError(r.error, 'maxDeleteReached');
    expect(r.stats.errors).toBe(1);
    expect(r.stats.deletes).toBe(0);
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'b.txt': 'b', ...extras });
  });

  it('--delete-after within the limit deletes', async () => {
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...extras });
    const r = await run('sync', src, dst, { opt: { maxDelete: 3 } });
    expect(r.error).toBeUndefined();
    expectCounts(r, { deletes: 3, errors: 0 });
    expectSameTree(dst, src);
  });

  it('--delete-during stops at the limit', async () => {
    const many = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x${i}.txt`, String(i)]));
    const { src, dst } = pair({ 'a.txt': 'a' }, { 'a.txt': 'a', ...many });
    const r = await run('sync', src, dst, { opt: { maxDelete: 2, deleteMode: 'during' } });
    expect(r.stats.deletes).toBe(2);
    expect(r.stats.errors).toBe(1);
    expectFsError(r.stats.lastError, 'maxDeleteReached');
    expect(Object.keys(contents(dst))).toHaveLength(1 + 8 - 2);
  });
});

describe('errors withhold deletes', () => {
  const SRC = { 'good1.txt': 'g1', 'good2.txt': 'g2', 'bad.txt': 'bad', 'dir/ok.txt': 'ok' };
  const DST = { 'stale.txt': 's', 'staledir/x.txt': 'x', 'dir/stale.txt': 'd' };

  it('an unreadable source file: the good files are copied, nothing is deleted', async () => {
    const { src, dst } = pair(SRC, DST);
    const r = await run('sync', src, dst, { wrapSrc: (fs) => new FaultyFs(fs, { open: ['bad.txt'] }) });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 3, deletes: 0, deletedDirs: 0, errors: 1 });
    expect(contents(dst)).toEqual({ 'good1.txt': 'g1', 'good2.txt': 'g2', 'dir/ok.txt': 'ok', ...DST });
    expect(logs.join('')).toContain('not deleting');
  });

  it.each(['before', 'after'] as const)('an unlistable source directory prevents deletes (--delete-%s)', async (deleteMode) => {
    const { src, dst } = pair(SRC, DST);
    const r = await run('sync', src, dst, { opt: { deleteMode }, wrapSrc: (fs) => new FaultyFs(fs, { list: ['dir'] }) });
    expect(r.stats.errors).toBe(1);
    expect(r.stats.deletes).toBe(0);
    const got = contents(dst);
    for (const [k, v] of Object.entries(DST)) expect(got[k]).toBe(v);
    expect(got['dir/ok.txt']).toBeUndefined();
  });

  it('an unlistable destination directory: no deletes, and its files are not overwritten blindly', async () => {
    const { src, dst } = pair({ ...SRC, 'dir/ok.txt': { data: 'ok-new', mtime: T0 + 5 } }, { ...DST, 'dir/ok.txt': 'ok-old' });
    const backup = tmpDir('backup');
    const r = await run('sync', src, dst, { backupDir: backup, wrapDst: (fs) => new FaultyFs(fs, { list: ['dir'] }) });
    expect(r.stats.errors).toBe(1);
    expectCounts(r, { transfers: 3, deletes: 0 });
    expect(contents(dst)).toEqual({ 'good1.txt': 'g1', 'good2.txt': 'g2', 'bad.txt': 'bad', ...DST, 'dir/ok.txt': 'ok-old' });
    expect(contents(backup)).toEqual({});
  });
});

describe('cancellation', () => {
  it('a run cancelled through ctx.signal rejects with the reason, deletes nothing and detaches', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'zz/b.txt': 'b' }, { 'a.txt': 'a', 'stale.txt': 's' });
    const ac = new AbortController();
    const reason = fsError('other', 'interrupted by SIGINT', { retry: 'fatal' });
    const onList = (dir: string) => dir === 'zz' && ac.abort(reason);
    const r = await run('sync', src, dst, { signal: ac.signal, wrapSrc: (fs) => new FaultyFs(fs, { onList }) });
    expect(r.error).toBe(reason);
    expect(r.stats.errors).toBe(1);
    expect(r.stats.lastError).toBe(reason);
    expectCounts(r, { deletes: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'stale.txt': 's' });
  });

  it('a finished run leaves no listener on the caller signal and no MaxListeners warning', async () => {
    const spec = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}.txt`, 'x'.repeat(i + 1)]));
    const { src, dst } = pair(spec);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const ac = new AbortController();
    try {
      const r = await run('sync', src, dst, { signal: ac.signal, opt: { transfers: 16 } });
      expectCounts(r, { transfers: 40, errors: 0 });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});

describe('delete modes', () => {
  it.each(['before', 'during', 'after'] as const)('--delete-%s gives the same final tree', async (deleteMode) => {
    const { src, dst } = pair(
      { ...BASIC, 'new/n.txt': { data: 'n', mtime: T0 + 4 } },
      { ...BASIC, 'a.txt': 'old', 'x.txt': 'x', 'dir/x.txt': 'x', 'gone/deep/x.txt': 'x' },
    );
    const r = await run('sync', src, dst, { opt: { deleteMode } });
    expect(r.error).toBeUndefined();
    expectSameTree(dst, src);
    expectCounts(r, { transfers: 2, checks: 3, deletes: 3, deletedDirs: 2, errors: 0 });
  });
});

describe('filters', () => {
  it('--exclude: excluded files are neither copied nor deleted; --delete-excluded deletes them', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'b.log': 'b', 'sub/c.log': 'c' }, { 'old.log': 'o', 'b.log': 'old b', 'd.txt': 'd', 'logs/x.log': 'x' });
    const filter = await Filter.create({ exclude: ['*.log'] });
    const r1 = await run('sync', src, dst, { filter });
    expectCounts(r1, { transfers: 1, deletes: 1, deletedDirs: 0, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'b.log': 'old b', 'logs/x.log': 'x', 'old.log': 'o' });

    const r2 = await run('sync', src, dst, { filter, opt: { deleteExcluded: true } });
    expectCounts(r2, { transfers: 0, checks: 1, deletes: 3, deletedDirs: 1, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a' });
    expect(dirs(dst)).toEqual([]);
  });

  it('a directory exclude prunes the walk on both sides', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'skip/x.txt': 'x', 'skip/deep/y.txt': 'y' }, { 'skip/old.txt': 'o' });
    const filter = await Filter.create({ exclude: ['skip/**'] });
    const wrapped: FaultyFs[] = [];
    const wrap = (fs: Fs) => {
      const f = new FaultyFs(fs);
      wrapped.push(f);
      return f;
    };
    const r = await run('sync', src, dst, { filter, wrapSrc: wrap, wrapDst: wrap });
    expectCounts(r, { transfers: 1, deletes: 0, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'skip/old.txt': 'o' });
    for (const f of wrapped) expect(f.listed).toEqual(['']);
  });

  it('--files-from copies exactly the listed files', async () => {
    const { src, dst } = pair({ 'a.txt': 'a', 'b.txt': 'b', 'dir/c.txt': 'c', 'dir/d.txt': 'd', 'other/e.txt': 'e' }, { 'z.txt': 'z' });
    const list = path.join(tmpDir('list'), 'files.txt');
    nfs.writeFileSync(list, '# wanted\na.txt\ndir/c.txt\n');
    const r = await run('sync', src, dst, { filter: await Filter.create({ filesFrom: [list] }) });
    expectCounts(r, { transfers: 2, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'dir/c.txt': 'c', 'z.txt': 'z' });
  });

  it('--min-size and --max-size', async () => {
    const spec = { 'tiny.txt': 'abc', 'big.txt': '0123456789' };
    const a = pair(spec, { 'small-old.txt': 'ab' });
    const r1 = await run('sync', a.src, a.dst, { filter: await Filter.create({ minSize: 5 }) });
    expectCounts(r1, { transfers: 1, deletes: 0, errors: 0 });
    expect(contents(a.dst)).toEqual({ 'big.txt': '0123456789', 'small-old.txt': 'ab' });

    const b = pair(spec);
    const r2 = await run('copy', b.src, b.dst, { filter: await Filter.create({ maxSize: 5 }) });
    expectCounts(r2, { transfers: 1, errors: 0 });
    expect(contents(b.dst)).toEqual({ 'tiny.txt': 'abc' });
  });
});

describe('directories, backups, limits and single files', () => {
  const TREE = { 'a.txt': 'a', 'empty/': '', 'nested/e1/e2/': '', 'full/f.txt': 'f' };

  it('--create-empty-src-dirs creates empty source directories; without it they are not created', async () => {
    const without = pair(TREE);
    expectCounts(await run('copy', without.src, without.dst), { transfers: 2, errors: 0 });
    expect(dirs(without.dst)).toEqual(['full']);

    const withFlag = pair(TREE);
    expectCounts(await run('copy', withFlag.src, withFlag.dst, { opt: { createEmptySrcDirs: true } }), { transfers: 2, errors: 0 });
    expectSameTree(withFlag.dst, withFlag.src);
  });

  it('--backup-dir with --suffix keeps every replaced and deleted file', async () => {
    const { src, dst } = pair(
      { 'a.txt': { data: 'a new', mtime: T0 + 5 }, 'same.txt': 'same', 'dir/b.txt': { data: 'b new', mtime: T0 + 5 } },
      { 'a.txt': 'a old', 'same.txt': 'same', 'dir/b.txt': 'b old', 'gone.txt': 'gone', 'dir/gone2.txt': 'gone2' },
    );
    const backup = tmpDir('backup');
    const before = snapshot(dst);
    expectCounts(await run('sync', src, dst, { backupDir: backup, opt: { suffix: '.bak', dryRun: true } }), { transfers: 2, deletes: 2, errors: 0 });
    expect(snapshot(dst)).toEqual(before);
    expect(snapshot(backup).size).toBe(0);

    const r = await run('sync', src, dst, { backupDir: backup, opt: { suffix: '.bak' } });
    expect(r.error).toBeUndefined();
    expectCounts(r, { transfers: 2, checks: 3, deletes: 2, errors: 0 });
    expectSameTree(dst, src);
    expect(contents(backup)).toEqual({ 'a.txt.bak': 'a old', 'dir/b.txt.bak': 'b old', 'dir/gone2.txt.bak': 'gone2', 'gone.txt.bak': 'gone' });
    expectMtime(backup, 'a.txt.bak', T0);
  });

  it('--suffix without --backup-dir renames replaced files beside themselves', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'a new', mtime: T0 + 5 } }, { 'a.txt': 'a old' });
    const r = await run('copy', src, dst, { suffixInPlace: true, opt: { suffix: '~' } });
    expectCounts(r, { transfers: 1, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a new', 'a.txt~': 'a old' });
  });

  it('--max-transfer stops after about that many bytes and leaves no partial files', async () => {
    const KiB = 1024;
    const spec = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}.bin`, randomBytes(100 * KiB)]));
    const { src, dst } = pair(spec);
    const r = await run('copy', src, dst, { opt: { maxTransfer: 250 * KiB } });
    expectFsError(r.error, 'maxTransferReached');
    expect(r.stats.errors).toBe(1);
    expect(r.stats.bytes).toBeLessThanOrEqual(250 * KiB);
    const snap = snapshot(dst);
    expect([...snap.keys()].filter((k) => !/^f\d\.bin$/.test(k))).toEqual([]);
    expect(snap.size).toBe(r.stats.transfers);
    expect(snap.size).toBeLessThanOrEqual(2);
    for (const [k, v] of snap) expect(v.kind === 'file' && Buffer.from(v.data, 'latin1').equals(spec[k]!)).toBe(true);
  });

  it('a single-file source copies only that file and never deletes', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'a', mtime: T0 + 3 }, 'b.txt': 'b' }, { 'extra.txt': 'e', 'dir/y.txt': 'y' });
    const r1 = await run('sync', path.join(src, 'a.txt'), dst);
    expect(r1.error).toBeUndefined();
    expectCounts(r1, { transfers: 1, deletes: 0, errors: 0 });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'dir/y.txt': 'y', 'extra.txt': 'e' });
    expectMtime(dst, 'a.txt', T0 + 3);
    expectCounts(await run('sync', path.join(src, 'a.txt'), dst), { transfers: 0, checks: 1, deletes: 0, errors: 0 });
  });
});

describe('names and scale', () => {
  it('awkward names sync and re-sync as a no-op', async () => {
    const names = ['with space.txt', 'hash#1.txt', 'pct%20.txt', '100%', 'ünïcödé/ファイル.txt', 'dir with space/a b#c%d.txt', 'emoji 😀.txt', '-dash', "quote'.txt"];
    const { src, dst } = pair(Object.fromEntries(names.map((n, i) => [n, { data: `data ${i}`, mtime: T0 + i }])), { 'stale %.txt': 's' });
    const r1 = await run('sync', src, dst);
    expectCounts(r1, { transfers: names.length, deletes: 1, errors: 0 });
    expectSameTree(dst, src);
    const r2 = await run('sync', src, dst);
    expectCounts(r2, { transfers: 0, checks: names.length, deletes: 0, errors: 0 });
  });

  it('a tree of 3000 files in 30 directories syncs, then re-syncs as a no-op', async () => {
    const spec: Record<string, FileSpec> = {};
    for (let d = 0; d < 30; d++) for (let f = 0; f < 100; f++) spec[`d${d}/f${f}.txt`] = { data: `${d}/${f}`, mtime: T0 + f };
    const { src, dst } = pair(spec);
    const r1 = await run('sync', src, dst, { opt: { transfers: 8 } });
    expectCounts(r1, { transfers: 3000, checks: 0, errors: 0 });
    expectSameTree(dst, src);
    const r2 = await run('sync', src, dst);
    expectCounts(r2, { transfers: 0, checks: 3000, deletes: 0, errors: 0 });
  }, 120_000);
});
