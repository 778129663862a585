/**
 * nclone and rclone (1.60, the Debian package) on the same buckets of the test Ceph RGW,
 * signed with v4 and again with v2: what nclone writes (nanosecond mtimes, one multipart
 * object) rclone lists, hashes and considers up to date, and the other way round.
 * nclone gets the remote `rgw` from NCLONE_CONFIG_RGW_* variables, rclone from a
 * temporary rclone.conf. Needs a build (npx tsc -p .).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import {
  BIG_SIZE,
  NCLONE_MULTIPART,
  RCLONE_MULTIPART,
  SIGNATURES,
  bigFile,
  expectCode,
  expectNoOp,
  expectOk,
  fixtureTree,
  headObject,
  lslLines,
  makeBase,
  makeCli,
  md5Lines,
  md5hex,
  removeBuckets,
  snapshot,
  sortedLines,
  uniqueBucket,
  writeTree,
  type Cli,
  type FileSpec,
} from './helpers-cli.js';

describe.each(SIGNATURES)('nclone and rclone on the same RGW, signature $sig', ({ sig, v2 }) => {
  let base: string;
  let cli: Cli;
  let src: string;
  let files: FileSpec[];
  const nBucket = uniqueBucket(`nclone-wrote-${sig}`);
  const rBucket = uniqueBucket(`rclone-wrote-${sig}`);
  const big = 'sub dir/big #1.bin';
  const md5meta = (f: FileSpec) => Buffer.from(md5hex(f.data), 'hex').toString('base64');

  beforeAll(async () => {
    base = makeBase(`interop-${sig}`);
    cli = makeCli(base, v2);
    src = path.join(base, 'src');
    files = [...fixtureTree(), bigFile(big, v2 ? 4 : 3)];
    await writeTree(src, files);
    expect((await cli.rclone('version')).code).toBe(0);
  });

  afterAll(async () => {
    await removeBuckets([nBucket, rBucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  describe('nclone writes, rclone reads', () => {
    const dst = `rgw:${nBucket}`;

    it('nclone sync uploads the tree, the big file in 3 parts', async () => {
      expectOk(await cli.nclone('sync', src, dst, ...NCLONE_MULTIPART));
      const head = await headObject(nBucket, big);
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/-3"$/);
      expect(head.Metadata?.md5chksum).toBe(md5meta(files.at(-1)!));
    });

    it('rclone lsl shows exactly the lines nclone lsl shows, nanoseconds included', async () => {
      const n = await cli.nclone('lsl', dst);
      const r = await cli.rclone('lsl', dst);
      expectOk(n);
      expectOk(r);
      expect(sortedLines(n.stdout)).toEqual(lslLines(files));
      expect(sortedLines(r.stdout)).toEqual(sortedLines(n.stdout));
    });

    it('rclone md5sum gives the MD5s of the local files (the multipart one from its metadata)', async () => {
      const r = await cli.rclone('md5sum', dst);
      expectOk(r);
      expect(sortedLines(r.stdout)).toEqual(md5Lines(files));
    });

    it('rclone sync sees nothing to do (exit 9), also with --checksum', async () => {
      expectCode(await cli.rclone('sync', src, dst, '--error-on-no-transfer'), 9);
      expectNoOp(await cli.rclone('sync', src, dst, '--error-on-no-transfer', '--checksum', '-v'), files.length);
    });

    it('in a time zone with a half-hour offset both print the same local times', async () => {
      const other = makeCli(base, v2, 'America/St_Johns');
      const [n, r] = await Promise.all([other.nclone('lsl', dst), other.rclone('lsl', dst)]);
      expectOk(n);
      expectOk(r);
      expect(sortedLines(n.stdout)).not.toEqual(lslLines(files));
      expect(sortedLines(r.stdout)).toEqual(sortedLines(n.stdout));
    });

    it('rclone check finds no differences', async () => {
      const r = await cli.rclone('check', src, dst);
      expectOk(r, false);
      expect(r.stderr).toContain('0 differences found');
      expect(r.stderr).toContain(`${files.length} matching files`);
    });
  });

  describe('rclone writes, nclone reads', () => {
    const dst = `rgw:${rBucket}`;

    it('rclone sync uploads the tree, the big file in 3 parts', async () => {
      expectOk(await cli.rclone('sync', src, dst, ...RCLONE_MULTIPART));
      const head = await headObject(rBucket, big);
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/-3"$/);
      expect(head.Metadata?.md5chksum).toBe(md5meta(files.at(-1)!));
    });

    it('nclone lsl shows exactly the lines rclone lsl shows, also with --fast-list', async () => {
      const r = await cli.rclone('lsl', dst);
      expectOk(r);
      expect(sortedLines(r.stdout)).toEqual(lslLines(files));
      for (const flags of [[], ['--fast-list']]) {
        const n = await cli.nclone('lsl', dst, ...flags);
        expectOk(n);
        expect(sortedLines(n.stdout)).toEqual(sortedLines(r.stdout));
      }
    });

    it('nclone sync sees nothing to do (exit 9), also with --checksum', async () => {
      expectNoOp(await cli.nclone('sync', src, dst, '--error-on-no-transfer', '-v'), files.length);
      const sum = await cli.nclone('sync', src, dst, '--error-on-no-transfer', '--checksum', '-v');
      expectNoOp(sum, files.length);
      expect(sum.stderr).not.toMatch(/Copied|Deleted/);
    });

    it('nclone downloads what rclone wrote: same bytes and mtimes (µs)', async () => {
      const down = path.join(base, 'down');
      expectOk(await cli.nclone('sync', dst, down));
      expect(snapshot(down)).toEqual(snapshot(src));
    });

    it('a change nclone syncs onto rclone\'s objects is seen by rclone as up to date', async () => {
      const top = files.find((f) => f.path === 'top.txt')!;
      top.data = Buffer.from('changed by the test\n');
      top.ns = 314159265;
      await writeTree(src, [top]);
      const r = await cli.nclone('sync', src, dst, '-v');
      expectCode(r, 0);
      expect(r.stderr).toMatch(/Transferred:\s+1 \/ 1, 100%/);
      expectCode(await cli.rclone('sync', src, dst, '--error-on-no-transfer', '--checksum'), 9);
      const l = await cli.rclone('lsl', dst);
      expect(sortedLines(l.stdout)).toEqual(lslLines(files));
    });
  });
});
