/**
 * nclone check between a local tree and a bucket of the test Ceph RGW, through bin/nclone:
 * each kind of difference, multipart objects compared by the MD5 stored in their metadata,
 * one with no MD5 at all ("hash could not be checked"), --download, and read errors (a
 * fault proxy refuses one object); the combined report and exit code compared with
 * rclone 1.60's on the same bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { NCLONE, run, type RunResult } from '../helpers/run.js';
import { NCLONE_MULTIPART, RCLONE_MULTIPART, bigFile, headObject, makeBase, makeCli, putObject, removeBuckets, uniqueBucket, writeTree, type Cli } from '../s3/helpers-cli.js';
import { via } from '../s3/helpers-faults.js';
import { COMBINED, DST_FILES, SRC_FILES, lines, logLines, writeFiles } from './check-helpers.js';

describe('nclone check, local to the test RGW', () => {
  const bucket = uniqueBucket('nclone-check');
  let base: string;
  let cli: Cli;
  let src: string;
  let proxy: FaultProxy;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  const dst = `rgw:${bucket}`;
  const code = (r: RunResult, c: number) => expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(c);
  /** nclone with the remote reached through the fault proxy. */
  const viaProxy = (...args: string[]) => run(NCLONE, args, via(cli.env, proxy.endpoint));
  const BIG = ['= big/nomd5.bin', '= big/stored.bin', '* big/differ.bin'];

  beforeAll(async () => {
    base = makeBase('check');
    cli = makeCli(base, false);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    src = path.join(base, 'src');
    writeFiles(src, SRC_FILES);
    // Multipart objects: one nclone uploads (its MD5 in the metadata), one with the same size
    // and other bytes, one rclone uploads without storing any MD5.
    await writeTree(src, [bigFile('big/stored.bin', 1), bigFile('big/differ.bin', 2), bigFile('big/nomd5.bin', 3)]);
    const stage = path.join(base, 'stage');
    await writeTree(stage, [bigFile('big/stored.bin', 1), bigFile('big/differ.bin', 4)]);
    const stage2 = path.join(base, 'stage2');
    await writeTree(stage2, [bigFile('big/nomd5.bin', 3)]);
    code(await cli.nclone('mkdir', dst), 0);
    for (const [key, body] of Object.entries(DST_FILES)) await putObject(bucket, key, body);
    code(await cli.nclone('copy', stage, dst, ...NCLONE_MULTIPART), 0);
    code(await cli.rclone('copy', stage2, dst, ...RCLONE_MULTIPART, '--s3-disable-checksum'), 0);
    const stored = await headObject(bucket, 'big/stored.bin');
    expect(stored.ETag).toMatch(/-3"$/);
    expect(stored.Metadata?.md5chksum).toBeTruthy();
    const none = await headObject(bucket, 'big/nomd5.bin');
    expect(none.ETag).toMatch(/-3"$/);
    expect(none.Metadata?.md5chksum).toBeUndefined();
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('reports each kind of difference; multipart objects by their stored MD5, or by size when they have none', async () => {
    const r = await cli.nclone('check', src, dst, '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual([...COMBINED, ...BIG].sort());
    const log = logLines(r.stderr);
    expect(log).toContain(`ERROR : only-src.txt: file not in ${dst}`);
    expect(log).toContain(`ERROR : only-dst.txt: file not in ${src}`);
    expect(log).toContain('ERROR : size.txt: sizes differ');
    expect(log).toContain('ERROR : content.txt: md5 differ');
    expect(log).toContain('ERROR : big/differ.bin: md5 differ');
    expect(log.slice(-7)).toEqual([
      `NOTICE: ${dst}: 1 files missing`,
      `NOTICE: ${src}: 1 files missing`,
      `NOTICE: ${dst}: 5 differences found`,
      `NOTICE: ${dst}: 5 errors while checking`,
      `NOTICE: ${dst}: 1 hashes could not be checked`,
      `NOTICE: ${dst}: 4 matching files`,
      'nclone: 5 differences found',
    ]);
  });

  it('gives the combined report, the exit code and the "could not be checked" count rclone 1.60 gives', async () => {
    const [n, r] = await Promise.all([cli.nclone('check', src, dst, '--combined', '-'), cli.rclone('check', src, dst, '--combined', '-')]);
    code(r, 1);
    code(n, 1);
    expect(lines(n.stdout)).toEqual(lines(r.stdout));
    expect(r.stderr).toContain('1 hashes could not be checked');
  });

  it('the other way round (bucket as the source) reports the mirror image', async () => {
    const r = await cli.nclone('check', dst, src, '--missing-on-src', '-');
    code(r, 1);
    expect(r.stdout).toBe('only-src.txt\n');
  });

  it('--download reads both sides: the object without an MD5 is compared by its bytes', async () => {
    const r = await cli.nclone('check', src, dst, '--download', '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual([...COMBINED, ...BIG].sort());
    expect(logLines(r.stderr)).toContain('ERROR : big/differ.bin: contents differ');
    expect(r.stderr).not.toContain('could not be checked');
  });

  it('--size-only and --one-way, with a filter', async () => {
    const r = await cli.nclone('check', src, dst, '--size-only', '--one-way', '--exclude', 'size.txt', '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(['+ only-src.txt', '= big/differ.bin', '= big/nomd5.bin', '= big/stored.bin', '= content.txt', '= same.txt', '= sub dir/same #2.txt']);
  });

  it('an object the server refuses to read is reported with ! and the run ends with the error, not 1', async () => {
    const errFile = path.join(base, 'errors.txt');
    rule = (req) => (req.method === 'GET' && req.path === `/${bucket}/big/stored.bin` ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined);
    try {
      const r = await viaProxy('check', path.join(src, 'big'), `${dst}/big`, '--download', '--exclude', 'differ.bin', '--combined', '-', '--error', errFile, '--low-level-retries', '1');
      // Access denied is an error that retrying won't fix: 6, as nclone maps it.
      code(r, 6);
      expect(lines(r.stdout)).toEqual(['! stored.bin', '= nomd5.bin']);
      expect(nfs.readFileSync(errFile, 'utf8')).toBe('stored.bin\n');
      expect(r.stderr).toMatch(/ERROR : stored\.bin: failed to download: .*access denied/);
      expect(r.stderr).toContain('1 errors while checking');
    } finally {
      rule = () => undefined;
    }
  });

  it('a hash the server refuses to give (HEAD for the stored MD5) is reported with !', async () => {
    rule = (req) => (req.method === 'HEAD' && req.path === `/${bucket}/big/nomd5.bin` ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined);
    try {
      const r = await viaProxy('check', path.join(src, 'big'), `${dst}/big`, '--exclude', 'differ.bin', '--combined', '-', '--low-level-retries', '1');
      code(r, 6);
      expect(lines(r.stdout)).toEqual(['! nomd5.bin', '= stored.bin']);
      expect(r.stderr).toMatch(/ERROR : nomd5\.bin: failed to calculate dst hash: .*access denied/);
    } finally {
      rule = () => undefined;
    }
  });
});
