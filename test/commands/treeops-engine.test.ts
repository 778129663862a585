/**
 * The paths of move and purge that no shipped backend takes from the command line: a move
 * between Fs without a server-side move (copy, then delete the source), a source and
 * destination that are one object (never deleted as "moved"), and purge on an Fs without
 * its own purge (delete every file, then every directory). Run in-process on local trees
 * wrapped in the engine tests' FaultyFs, which has neither move nor purge.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLog } from '../../src/lib/log.js';
import { runSync } from '../../src/sync/sync.js';
import { purgeDir } from '../../src/operations/purge.js';
import { FaultyFs, T0, contents, dirs, expectMtime, localFs, makeCtx, pair, tmpDir, useSyncTestEnv, writeTree } from '../sync/helpers.js';

const logs = useSyncTestEnv();
beforeAll(() => configureLog({ level: 'INFO' }));
afterAll(() => configureLog({ level: 'NOTICE' }));

/** The log lines of the test, without time stamps and line ends. */
function messages(): string[] {
  return logs.map((l) => l.trimEnd().replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
}

describe('move without a server-side move', () => {
  it('copies each file (mtime kept), then deletes its source; a refused write keeps its source', async () => {
    const { src, dst } = pair({ 'a.txt': { data: 'a', mtime: T0 + 1 }, 'sub/b.txt': { data: 'b', mtime: T0 + 2 }, 'sub/c.txt': 'c' });
    const fsrc = new FaultyFs((await localFs(src)).fs);
    const fdst = new FaultyFs((await localFs(dst)).fs, { put: ['sub/c.txt'] });
    const ctx = makeCtx();
    await runSync(ctx, { fsrc, fdst, mode: 'move', deleteEmptySrcDirs: true });
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    expectMtime(dst, 'sub/b.txt', T0 + 2);
    expect(contents(src)).toEqual({ 'sub/c.txt': 'c' });
    expect({ transfers: ctx.stats.transfers, deletes: ctx.stats.deletes, renames: ctx.stats.renames, errors: ctx.stats.errors }).toEqual({ transfers: 2, deletes: 2, renames: 2, errors: 1 });
    expect(messages()).toEqual(expect.arrayContaining(['INFO  : sub/b.txt: Copied (new)', 'INFO  : sub/b.txt: Deleted', 'ERROR : not deleting directories as there were IO errors']));
    expect(dirs(src)).toEqual(['sub']);
  });

  it('a source that is the destination object itself is never deleted', async () => {
    const dir = tmpDir('same');
    writeTree(dir, { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const ctx = makeCtx();
    await runSync(ctx, { fsrc: (await localFs(dir)).fs, fdst: (await localFs(dir)).fs, mode: 'move' });
    expect(contents(dir)).toEqual({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    expect(ctx.stats.deletes).toBe(0);
    expect(messages().sort()).toEqual([
      'NOTICE: a.txt: Not removing source file as it is the same file as the destination',
      'NOTICE: sub/b.txt: Not removing source file as it is the same file as the destination',
    ]);
  });
});

describe('purge without the backend purge', () => {
  it('--dry-run says it would purge the directory and removes nothing', async () => {
    const dir = tmpDir('purge');
    writeTree(dir, { 'a.txt': 'a', 'x/y/b.txt': 'b', 'e/': '' });
    const ctx = makeCtx({ dryRun: true });
    await purgeDir(ctx, new FaultyFs((await localFs(dir)).fs));
    expect(contents(dir)).toEqual({ 'a.txt': 'a', 'x/y/b.txt': 'b' });
    expect(dirs(dir)).toEqual(['e', 'x', 'x/y']);
    expect(messages()).toEqual([`NOTICE: faulty(${dir}): Skipped purge directory as --dry-run is set`]);
  });

  it('deletes every file, then every directory deepest first, then the directory itself', async () => {
    const parent = tmpDir('purge');
    const dir = path.join(parent, 'p');
    writeTree(dir, { 'a.txt': 'a', 'x/y/b.txt': 'b', 'e/': '' });
    const ctx = makeCtx();
    await purgeDir(ctx, new FaultyFs((await localFs(dir)).fs));
    expect(nfs.existsSync(dir)).toBe(false);
    expect({ deletes: ctx.stats.deletes, deletedDirs: ctx.stats.deletedDirs, errors: ctx.stats.errors }).toEqual({ deletes: 2, deletedDirs: 4, errors: 0 });
  });
});
