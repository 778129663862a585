/**
 * The command line against a real S3 server (the test Ceph RGW): bin/nclone with the
 * remote `rgw` defined by NCLONE_CONFIG_RGW_* variables, signed with v4 and again with v2.
 * Local -> S3 sync and its no-op, change, delete, --dry-run and --checksum runs; the
 * download round trip; S3 -> S3 server-side copies; --fast-list; exit codes and lsd;
 * a multipart upload. Needs a build (npx tsc -p .).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import {
  BIG_SIZE,
  NCLONE_MULTIPART,
  SIGNATURES,
  bigFile,
  expectCode,
  expectNoOp,
  expectOk,
  fixtureTree,
  headObject,
  lsLines,
  lslLines,
  makeBase,
  makeCli,
  md5hex,
  putObject,
  removeBuckets,
  snapshot,
  sortedLines,
  touch,
  uniqueBucket,
  writeTree,
  type Cli,
  type FileSpec,
} from './helpers-cli.js';

/** Log lines without their timestamps, minus the ones that vary between runs (rates, elapsed time). */
function logMessages(stderr: string): string[] {
  return sortedLines(stderr.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /gm, '')).filter((l) => !/^Elapsed time:|B\/s|^INFO\s+:\s*$/.test(l));
}

describe.each(SIGNATURES)('nclone and S3, signature $sig', ({ sig, v2 }) => {
  let base: string;
  let cli: Cli;
  let src: string;
  let files: FileSpec[];
  const bucket = uniqueBucket(`nclone-sync-${sig}`);
  const bucket2 = uniqueBucket(`nclone-sync2-${sig}`);
  const dryBucket = uniqueBucket(`nclone-dry-${sig}`);
  const dst = `rgw:${bucket}/dir`;
  const startedAt = Date.now();

  beforeAll(async () => {
    base = makeBase(`sync-${sig}`);
    cli = makeCli(base, v2);
    src = path.join(base, 'src');
    files = fixtureTree();
    await writeTree(src, files);
  });

  afterAll(async () => {
    await removeBuckets([bucket, bucket2, dryBucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  describe('local -> S3', () => {
    it('copies a tree with awkward names; ls and lsl of the bucket equal those of the local tree', async () => {
      const local = await cli.nclone('lsl', src);
      expectOk(local);
      expect(sortedLines(local.stdout)).toEqual(lslLines(files));

      expectOk(await cli.nclone('sync', src, dst));
      const lsl = await cli.nclone('lsl', dst);
      expectOk(lsl);
      expect(sortedLines(lsl.stdout)).toEqual(sortedLines(local.stdout));
      const ls = await cli.nclone('ls', dst);
      expectOk(ls);
      expect(sortedLines(ls.stdout)).toEqual(sortedLines((await cli.nclone('ls', src)).stdout));
      expect(sortedLines(ls.stdout)).toEqual(lsLines(files));
      // The objects are stored under their plain names, not an encoded form.
      const head = await headObject(bucket, 'dir/odd/a b/c#d%2Fe+f=g?.dat');
      expect(head.ContentLength).toBe(5);
    });

    it('a second sync is a no-op (--error-on-no-transfer exits 9), also with --checksum', async () => {
      for (const extra of [[], ['--checksum']]) {
        const r = await cli.nclone('sync', src, dst, '--error-on-no-transfer', '-v', ...extra);
        expectCode(r, 9);
        expect(r.stderr).toMatch(new RegExp(`Checks:\\s+${files.length} / ${files.length}, 100%`));
        expect(r.stderr).not.toMatch(/Copied|Deleted|Transferred:\s+\d+ \/ \d+, 100%/);
      }
    });

    it('--dry-run reports a changed, an added, a removed file and an extra object, and changes nothing', async () => {
      const top = files.find((f) => f.path === 'top.txt')!;
      top.data = Buffer.from('hello, changed\n');
      top.ns = 111;
      const added: FileSpec = { path: 'dir one/nested/added file #2.txt', data: Buffer.from('added\n'), sec: top.sec + 5, ns: 222222222 };
      files.push(added);
      await writeTree(src, [top, added]);
      const removed = files.splice(files.findIndex((f) => f.path === 'odd/hash#pct%plus+.txt'), 1)[0]!;
      nfs.rmSync(path.join(src, removed.path));
      await putObject(bucket, 'dir/ünïcödé/extra object.txt', 'not in the source');

      const before = await cli.nclone('lsl', dst);
      expectOk(before);
      expect(before.stdout).toContain('extra object.txt');
      const r = await cli.nclone('sync', src, dst, '--dry-run', '-v');
      expectCode(r, 0);
      expect(r.stderr).toContain('top.txt: Skipped copy as --dry-run is set');
      expect(r.stderr).toContain('dir one/nested/added file #2.txt: Skipped copy as --dry-run is set');
      expect(r.stderr).toContain('odd/hash#pct%plus+.txt: Skipped delete as --dry-run is set');
      expect(r.stderr).toContain('ünïcödé/extra object.txt: Skipped delete as --dry-run is set');
      const after = await cli.nclone('lsl', dst);
      expect(sortedLines(after.stdout)).toEqual(sortedLines(before.stdout));
      // Nor does a trial run into a new bucket create it.
      expectCode(await cli.nclone('sync', src, `rgw:${dryBucket}/x`, '--dry-run'), 0);
      expectCode(await cli.nclone('ls', `rgw:${dryBucket}`), 3);
    });

    it('sync copies the changed and added files and deletes the removed file and the extra object', async () => {
      const r = await cli.nclone('sync', src, dst, '-v');
      expectCode(r, 0);
      expect(r.stderr).toContain('top.txt: Copied (replaced existing)');
      expect(r.stderr).toContain('dir one/nested/added file #2.txt: Copied (new)');
      expect(r.stderr).toContain('odd/hash#pct%plus+.txt: Deleted');
      expect(r.stderr).toContain('ünïcödé/extra object.txt: Deleted');
      expect(r.stderr).toMatch(/Transferred:\s+2 \/ 2, 100%/);
      expect(r.stderr).toMatch(/Deleted:\s+2 \(files\)/);
      const lsl = await cli.nclone('lsl', dst);
      expect(sortedLines(lsl.stdout)).toEqual(lslLines(files));
      expect(sortedLines(lsl.stdout)).toEqual(sortedLines((await cli.nclone('lsl', src)).stdout));
    });

    it('an mtime-only change updates the object in place: no transfer, new mtime', async () => {
      const f = files.find((x) => x.path === 'dir one/with space & más.txt')!;
      f.sec += 1234;
      f.ns = 876543210;
      await touch(path.join(src, f.path), f);
      const r = await cli.nclone('sync', src, dst, '-v', '--error-on-no-transfer');
      expectCode(r, 9);
      expect(r.stderr).toContain('dir one/with space & más.txt: Updated modification time in destination');
      expect(sortedLines((await cli.nclone('lsl', dst)).stdout)).toEqual(lslLines(files));
    });

    it('after that, sync and sync --checksum are no-ops', async () => {
      expectCode(await cli.nclone('sync', src, dst, '--error-on-no-transfer'), 9);
      expectNoOp(await cli.nclone('sync', src, dst, '--error-on-no-transfer', '--checksum', '-v'), files.length);
    });
  });

  it('S3 -> local download gives the same bytes and mtimes (µs) as the original tree', async () => {
    const down = path.join(base, 'down');
    expectOk(await cli.nclone('sync', dst, down));
    const got = snapshot(down);
    expect(got).toEqual(snapshot(src));
    expect(Object.keys(got)).toHaveLength(files.length);
    expect(got['top.txt']!.md5).toBe(md5hex(Buffer.from('hello, changed\n')));
    expectCode(await cli.nclone('sync', dst, down, '--error-on-no-transfer'), 9);
  });

  let serverSide = '';
  const totalKiB = () => `${(files.reduce((n, f) => n + f.data.length, 0) / 1024).toFixed(3).replace(".", "\\.")} KiB`;

  it('S3 -> S3 sync between two buckets copies server-side and gives the same lsl', async () => {
    const copy = `rgw:${bucket2}/copy`;
    const r = await cli.nclone('sync', dst, copy, '-v');
    serverSide = r.stderr;
    expectCode(r, 0);
    const a = await cli.nclone('lsl', dst);
    const b = await cli.nclone('lsl', copy);
    expectOk(b);
    expect(sortedLines(b.stdout)).toEqual(sortedLines(a.stdout));
    expect(sortedLines(b.stdout)).toEqual(lslLines(files));
    expect(r.stderr).toMatch(new RegExp(`Server Side Copies:\\s+${files.length} @ ${totalKiB()}\\n`));
    expect(r.stderr.match(/Copied \(server-side copy\)/g) ?? []).toHaveLength(files.length);
    expect(r.stderr).toMatch(new RegExp(`Transferred:\\s+${files.length} / ${files.length}, 100%`));
    expectCode(await cli.nclone('sync', dst, copy, '--error-on-no-transfer'), 9);
  });

  it('the summary counts server-side copied bytes as transferred, as rclone does', () => {
    expect(serverSide).toMatch(new RegExp(`Transferred:\\s+${totalKiB()} / ${totalKiB()}, 100%`));
  });

  describe('--fast-list', () => {
    it('ls and lsl give the same output with and without it', async () => {
      const cases = ['ls', 'lsl'].flatMap((cmd) => [`rgw:${bucket}`, dst, `${dst}/odd`, `rgw:${bucket2}`].map((where) => [cmd, where] as const));
      await Promise.all(
        cases.map(async ([cmd, where]) => {
          const [slow, fast] = await Promise.all([cli.nclone(cmd, where), cli.nclone(cmd, '--fast-list', where)]);
          expectOk(slow);
          expectOk(fast);
          expect(slow.stdout).not.toBe('');
          expect(sortedLines(fast.stdout), `${cmd} ${where}`).toEqual(sortedLines(slow.stdout));
        }),
      );
    });

    it('sync gives the same result with and without it', async () => {
      const outs: string[][] = [];
      for (const [prefix, flags] of [['fast', ['--fast-list']], ['slow', []]] as const) {
        // The same stale state in both: an outdated file, and objects the source lacks.
        await putObject(bucket2, `${prefix}/top.txt`, 'stale');
        await putObject(bucket2, `${prefix}/stale.txt`, 'stale');
        await putObject(bucket2, `${prefix}/dir one/nested/stale.txt`, 'stale');
        const r = await cli.nclone('sync', src, `rgw:${bucket2}/${prefix}`, '-v', ...flags);
        expectCode(r, 0);
        expect(r.stderr).toMatch(/Deleted:\s+2 \(files\)/);
        outs.push(logMessages(r.stderr));
        const lsl = await cli.nclone('lsl', `rgw:${bucket2}/${prefix}`, ...flags);
        expect(sortedLines(lsl.stdout)).toEqual(lslLines(files));
        expectCode(await cli.nclone('sync', src, `rgw:${bucket2}/${prefix}`, '--error-on-no-transfer', ...flags), 9);
      }
      expect(outs[0]).toEqual(outs[1]);
    });
  });

  describe('exit codes and lsd', () => {
    it('ls of a missing bucket exits 3 with one line on stderr', async () => {
      const r = await cli.nclone('ls', 'rgw:no-such-bucket-xyz');
      expectCode(r, 3);
      expect(r.stdout).toBe('');
      expect(sortedLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain('no-such-bucket-xyz');
      expect(r.stderr).not.toMatch(/^\s+at /m);
    });

    it('ls of a directory with nothing in it lists nothing (exit 0, as rclone); copy from it exits 3 with one line naming it', async () => {
      expectOk(await cli.nclone('ls', `rgw:${bucket}/no/such dir`));
      const r = await cli.nclone('copy', `rgw:${bucket}/no/such dir`, path.join(cli.base, 'never'));
      expectCode(r, 3);
      expect(r.stdout).toBe('');
      expect(sortedLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`${bucket}/no/such dir`);
    });

    it('lsd rgw: lists the buckets with their creation dates', async () => {
      const r = await cli.nclone('lsd', 'rgw:');
      expectOk(r);
      for (const b of [bucket, bucket2]) {
        const line = sortedLines(r.stdout).find((l) => l.endsWith(` ${b}`));
        expect(line, r.stdout).toMatch(new RegExp(`^ {10}-1 (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) {8}-1 ${b}$`));
        const created = Date.parse(`${line!.trim().split(/\s+/).slice(1, 3).join('T')}Z`);
        expect(created).toBeGreaterThanOrEqual(startedAt - 300_000);
        expect(created).toBeLessThanOrEqual(Date.now() + 300_000);
      }
    });
  });

  describe('multipart upload', () => {
    let bigSrc: string;
    let big: FileSpec;
    const where = () => `rgw:${bucket}/big`;

    beforeAll(async () => {
      bigSrc = path.join(base, 'bigsrc');
      big = bigFile('big.bin', v2 ? 2 : 1);
      await writeTree(bigSrc, [big]);
    });

    it('a 12 MiB file goes up in 3 parts with its MD5 in X-Amz-Meta-Md5chksum', async () => {
      expectOk(await cli.nclone('sync', bigSrc, where(), ...NCLONE_MULTIPART));
      const head = await headObject(bucket, 'big/big.bin');
      expect(head.ContentLength).toBe(BIG_SIZE);
      expect(head.ETag).toMatch(/-3"$/);
      expect(head.Metadata?.md5chksum).toBe(Buffer.from(md5hex(big.data), 'hex').toString('base64'));
      const lsl = await cli.nclone('lsl', where());
      expect(sortedLines(lsl.stdout)).toEqual(lslLines([big]));
    });

    it('a resync with --checksum is a no-op', async () => {
      const r = await cli.nclone('sync', bigSrc, where(), ...NCLONE_MULTIPART, '--checksum', '--error-on-no-transfer', '-v');
      expectCode(r, 9);
      expect(r.stderr).toMatch(/Checks:\s+1 \/ 1, 100%/);
    });

    it('--checksum finds a same-size, same-mtime change through the stored MD5', async () => {
      big.data[BIG_SIZE - 1000] ^= 0xff;
      await writeTree(bigSrc, [big]);
      // Size and mtime still match, so a plain sync sees nothing to do...
      expectCode(await cli.nclone('sync', bigSrc, where(), ...NCLONE_MULTIPART, '--error-on-no-transfer'), 9);
      // ...while the MD5 differs.
      const r = await cli.nclone('sync', bigSrc, where(), ...NCLONE_MULTIPART, '--checksum', '-v');
      expectCode(r, 0);
      expect(r.stderr).toContain('big.bin: Copied (replaced existing)');
      const head = await headObject(bucket, 'big/big.bin');
      expect(head.ETag).toMatch(/-3"$/);
      expect(head.Metadata?.md5chksum).toBe(Buffer.from(md5hex(big.data), 'hex').toString('base64'));
      expectCode(await cli.nclone('sync', bigSrc, where(), '--checksum', '--error-on-no-transfer'), 9);
    });

    it('a server-side copy in parts (--s3-copy-cutoff 5Mi) keeps size, mtime and MD5', async () => {
      const r = await cli.nclone('sync', where(), `rgw:${bucket2}/big`, '--s3-copy-cutoff', '5Mi', '-v');
      expectCode(r, 0);
      expect(r.stderr).toContain('big.bin: Copied (server-side copy)');
      const head = await headObject(bucket2, 'big/big.bin');
      expect(head.ETag).toMatch(/-3"$/);
      expect(head.Metadata?.md5chksum).toBe(Buffer.from(md5hex(big.data), 'hex').toString('base64'));
      expect(sortedLines((await cli.nclone('lsl', `rgw:${bucket2}/big`)).stdout)).toEqual(lslLines([big]));
      expectCode(await cli.nclone('sync', bigSrc, `rgw:${bucket2}/big`, '--checksum', '--error-on-no-transfer'), 9);
    });
  });
});
