/**
 * Issue 8 items 4 and 7 on the real RGW: folder markers (zero-byte keys ending in "/", what
 * the AWS console's "Create folder" makes) are the directory they name, never an object, so a
 * folder holding only its marker lists as empty. A path with no key under it and no marker
 * lists as empty (as rclone), but as a sync source it is "directory not found" (exit 3),
 * so a typo never makes sync empty the destination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { SIGNATURES, expectCode, makeBase, makeCli, putObject, removeBuckets, sortedLines, uniqueBucket, type Cli } from './helpers-cli.js';
import { filesUnder, localTree } from './helpers-faults.js';

describe.each(SIGNATURES)('folder markers and empty prefixes, signature $sig', ({ sig, v2 }) => {
  const bucket = uniqueBucket(`nclone-markers-${sig}`);
  let base: string;
  let cli: Cli;

  beforeAll(async () => {
    base = makeBase(`markers-${sig}`);
    cli = makeCli(base, v2);
    expectCode(await cli.nclone('mkdir', `rgw:${bucket}`), 0);
    await putObject(bucket, 'top.txt', 'top\n');
    await putObject(bucket, 'photos/', ''); // an empty folder made in the console
    await putObject(bucket, 'docs/', ''); // a folder marker with a file in it
    await putObject(bucket, 'docs/d.txt', 'doc\n');
    await putObject(bucket, 'deep/sub/', ''); // a marker whose parent has no marker
  });

  afterAll(async () => {
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  for (const fastList of [false, true]) {
    const flags = fastList ? ['--fast-list'] : [];
    it(`syncs a bucket with folder markers: markers are directories, never files${fastList ? ' (--fast-list)' : ''}`, async () => {
      const dst = path.join(base, `dst-${fastList}`);
      localTree(dst);
      const r = await cli.nclone('sync', `rgw:${bucket}`, dst, ...flags);
      expectCode(r, 0);
      expect(filesUnder(dst)).toEqual(['docs/d.txt', 'top.txt']);
      const ls = await cli.nclone('ls', `rgw:${bucket}`, ...flags);
      expectCode(ls, 0);
      expect(sortedLines(ls.stdout)).toEqual(['        4 docs/d.txt', '        4 top.txt']);
      const lsd = await cli.nclone('lsd', `rgw:${bucket}`, ...flags);
      expect(sortedLines(lsd.stdout).map((l) => l.split(' ').at(-1))).toEqual(['deep', 'docs', 'photos']);
    });
  }

  it('lists a directory that holds only its folder marker as empty (exit 0)', async () => {
    for (const p of ['photos', 'deep/sub', 'deep']) {
      const r = await cli.nclone('ls', `rgw:${bucket}/${p}`);
      expectCode(r, 0);
      expect(r.stdout).toBe('');
    }
  });

  it('syncs from a folder marker as from an empty directory that exists (emptying the destination only with --allow-empty-source)', async () => {
    const dst = path.join(base, 'from-marker');
    const before = localTree(dst, 2);
    expectCode(await cli.nclone('sync', `rgw:${bucket}/photos`, dst), 11);
    expect(filesUnder(dst)).toEqual(before);
    expectCode(await cli.nclone('sync', `rgw:${bucket}/photos`, dst, '--allow-empty-source'), 0);
    expect(filesUnder(dst)).toEqual([]);
  });

  it('lists a path with nothing under it as empty (exit 0, as rclone), but sync refuses it as a source and deletes nothing', async () => {
    for (const cmd of ['ls', 'lsl', 'lsd']) {
      for (const flags of [[], ['--fast-list']]) {
        const ls = await cli.nclone(cmd, `rgw:${bucket}/typo`, ...flags);
        expectCode(ls, 0);
        expect(ls.stdout + ls.stderr).toBe('');
      }
    }
    for (const flags of [[], ['--fast-list']]) {
      const dst = path.join(base, `typo-${flags.length}`);
      const before = localTree(dst);
      const r = await cli.nclone('sync', `rgw:${bucket}/typo`, dst, ...flags);
      expectCode(r, 3);
      expect(filesUnder(dst)).toEqual(before);
    }
  });

  it('refuses a bucket that does not exist with exit 3', async () => {
    const r = await cli.nclone('ls', `rgw:${uniqueBucket('nclone-absent')}`);
    expectCode(r, 3);
    expect(r.stderr).toContain('bucket not found');
  });
});
