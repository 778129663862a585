/**
 * nclone md5sum, sha1sum and checksum on a bucket of the test Ceph RGW, side by side with
 * rclone 1.60 on the same bucket: single-part objects (the ETag), a multipart upload by
 * nclone (the MD5 stored in its metadata), a multipart upload with no MD5 stored (a blank
 * hash), SHA-1 that S3 does not keep (an error per object, or --download), and checksum
 * against the sums of the local originals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { RunResult } from '../helpers/run.js';
import { NCLONE_MULTIPART, RCLONE_MULTIPART, bigFile, fixtureTree, headObject, makeBase, makeCli, putObject, removeBuckets, sdk, uniqueBucket, writeTree, type Cli, type FileSpec } from '../s3/helpers-cli.js';
import { lines } from './check-helpers.js';

const hex = (type: 'md5' | 'sha1', data: Buffer) => createHash(type).update(data).digest('hex');

describe('nclone md5sum, sha1sum and checksum on the test RGW', () => {
  const bucket = uniqueBucket('nclone-hashsum');
  const remote = `rgw:${bucket}`;
  let base: string;
  let cli: Cli;
  let src: string;
  let files: FileSpec[];
  const noMd5 = bigFile('no md5/big.bin', 7);
  const code = (r: RunResult, c: number) => expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(c);
  const ok = (r: RunResult) => {
    code(r, 0);
    expect(r.stderr).toBe('');
  };
  /** What md5sum should print for the bucket: the stored hashes, a blank one for the object without. */
  const md5Want = () => [...files.map((f) => `${hex('md5', f.data)}  ${f.path}`), `${' '.repeat(32)}  ${noMd5.path}`].sort();

  beforeAll(async () => {
    base = makeBase('hashsum');
    cli = makeCli(base, false);
    src = path.join(base, 'src');
    files = [...fixtureTree(), bigFile('multi/big #1.bin', 5)];
    await writeTree(src, files);
    const stage = path.join(base, 'stage');
    await writeTree(stage, [noMd5]);
    ok(await cli.nclone('sync', src, remote, ...NCLONE_MULTIPART));
    code(await cli.rclone('copy', stage, remote, ...RCLONE_MULTIPART, '--s3-disable-checksum'), 0);
    const stored = await headObject(bucket, 'multi/big #1.bin');
    expect(stored.ETag).toMatch(/-3"$/);
    expect(stored.Metadata?.md5chksum).toBeTruthy();
    const none = await headObject(bucket, noMd5.path);
    expect(none.ETag).toMatch(/-3"$/);
    expect(none.Metadata?.md5chksum).toBeUndefined();
  });

  afterAll(async () => {
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('md5sum prints what rclone prints: ETags, the stored MD5 of the multipart upload, a blank hash where S3 has none', async () => {
    const [n, r] = await Promise.all([cli.nclone('md5sum', remote), cli.rclone('md5sum', remote)]);
    ok(n);
    code(r, 0);
    expect(lines(n.stdout)).toEqual(md5Want());
    expect(lines(n.stdout)).toEqual(lines(r.stdout));
  });

  it('--base64 gives rclone\'s lines, the blank hash 24 spaces wide', async () => {
    const [n, r] = await Promise.all([cli.nclone('md5sum', '--base64', remote), cli.rclone('md5sum', '--base64', remote)]);
    ok(n);
    expect(lines(n.stdout)).toEqual(lines(r.stdout));
    expect(n.stdout).toContain(`\n${' '.repeat(24)}  ${noMd5.path}\n`);
  });

  it('md5sum --download hashes the data: the object with no stored MD5 gets its real one', async () => {
    const [n, r] = await Promise.all([cli.nclone('md5sum', '--download', remote), cli.rclone('md5sum', '--download', remote)]);
    ok(n);
    const want = [...files, noMd5].map((f) => `${hex('md5', f.data)}  ${f.path}`).sort();
    expect(lines(n.stdout)).toEqual(want);
    expect(lines(r.stdout)).toEqual(want);
  });

  it('sha1sum: S3 keeps no SHA-1, so each object is an error and no line, exit 1, as with rclone', async () => {
    const [n, r] = await Promise.all([cli.nclone('sha1sum', `${remote}/multi`), cli.rclone('sha1sum', `${remote}/multi`)]);
    code(n, 1);
    code(r, 1);
    expect(n.stdout).toBe('');
    expect(r.stdout).toBe('');
    expect(n.stderr).toMatch(/ERROR : big #1\.bin: hash unsupported: .*use --download/);
  });

  it('sha1sum --download reads the data, giving the lines rclone --download gives', async () => {
    const [n, r] = await Promise.all([cli.nclone('sha1sum', '--download', remote), cli.rclone('sha1sum', '--download', remote)]);
    ok(n);
    expect(lines(n.stdout)).toEqual([...files, noMd5].map((f) => `${hex('sha1', f.data)}  ${f.path}`).sort());
    expect(lines(n.stdout)).toEqual(lines(r.stdout));
  });

  it('a path naming one object gives its line; --output-file takes the lines', async () => {
    const one = await cli.nclone('md5sum', `${remote}/multi/big #1.bin`);
    ok(one);
    expect(one.stdout).toBe(`${hex('md5', files.at(-1)!.data)}  big #1.bin\n`);
    const out = path.join(base, 'bucket.md5');
    const n = await cli.nclone('md5sum', remote, '--output-file', out);
    ok(n);
    expect(n.stdout).toBe('');
    expect(lines(nfs.readFileSync(out, 'utf8'))).toEqual(md5Want());
  });

  describe('checksum against the sums of the local files', () => {
    let sums: string;

    beforeAll(async () => {
      sums = path.join(base, 'local.md5');
      const local = await cli.nclone('md5sum', src, '--output-file', sums);
      ok(local);
      nfs.appendFileSync(sums, `${hex('md5', noMd5.data)}  ${noMd5.path}\n`);
    });

    it('everything matches (the object without an MD5 by size only) and exits 0, as rclone says', async () => {
      const [n, r] = await Promise.all([cli.nclone('checksum', 'md5', sums, remote, '--combined', '-'), cli.rclone('checksum', 'md5', sums, remote, '--combined', '-')]);
      code(n, 0);
      code(r, 0);
      expect(lines(n.stdout)).toEqual([...files, noMd5].map((f) => `= ${f.path}`).sort());
      expect(lines(n.stdout)).toEqual(lines(r.stdout));
      expect(n.stderr).toContain(`NOTICE: ${remote}: 1 hashes could not be checked`);
      expect(n.stderr).toContain(`NOTICE: ${remote}: ${files.length + 1} matching files`);
    });

    it('finds a changed object, one missing and one extra; exits 1', async () => {
      await putObject(bucket, 'top.txt', 'HELLO\n');
      await putObject(bucket, 'extra.txt', 'not in the sums\n');
      try {
        const [n, r] = await Promise.all([
          cli.nclone('checksum', 'md5', sums, remote, '--combined', '-', '--exclude', 'odd/**'),
          cli.rclone('checksum', 'md5', sums, remote, '--combined', '-', '--exclude', 'odd/**'),
        ]);
        code(n, 1);
        code(r, 1);
        expect(lines(n.stdout)).toEqual(lines(r.stdout));
        expect(lines(n.stdout)).toContain('* top.txt');
        expect(lines(n.stdout)).toContain('- extra.txt');
        expect(n.stdout).not.toContain('odd/');
      } finally {
        await sdk().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'extra.txt' }));
        await putObject(bucket, 'top.txt', 'hello\n');
      }
    });

    it('--download hashes the data, so the object without an MD5 is checked too', async () => {
      const n = await cli.nclone('checksum', 'md5', sums, remote, '--download', '--match', '-');
      code(n, 0);
      expect(lines(n.stdout)).toEqual([...files, noMd5].map((f) => f.path).sort());
      expect(n.stderr).not.toContain('could not be checked');
    });

    it('sha1 sums without --download: S3 has no SHA-1, one line and exit 1 before anything is read', async () => {
      const n = await cli.nclone('checksum', 'sha1', sums, remote);
      code(n, 1);
      expect(n.stderr).toBe(`nclone: sha1: hash type is not supported by file system: ${remote}: use --download to hash the data\n`);
    });
  });
});
