/**
 * ls and lsl list a bucket the way rclone's ls-type commands do: with one recursive listing
 * (one request per 1,000 keys), not one listing per directory, unless something needs the
 * tree walked a directory at a time (--max-depth, filters). Against the real RGW.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import { createHash } from 'node:crypto';
import { expectCode, makeBase, makeCli, putObject, removeBuckets, sortedLines, uniqueBucket, type Cli } from './helpers-cli.js';

const bucket = uniqueBucket('nclone-ls-listr');
let base = '';
let cli: Cli;
const KEYS = ['top.txt', 'a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt', 'd/4.txt', 'e/f/5.txt', 'g/6.txt'];

/** The paths an ls or lsl printed (the last field of each line), sorted. */
function names(stdout: string): string[] {
  return sortedLines(stdout)
    .map((l) => l.split(' ').at(-1)!)
    .sort();
}

/** The listing requests a -vv run sent. */
function listings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /\((ListObjects|ListObjectsV2)\)/.test(l));
}

beforeAll(async () => {
  base = makeBase('ls-listr');
  cli = makeCli(base, false);
  expectCode(await cli.nclone('mkdir', `rgw:${bucket}`), 0);
  for (const k of KEYS) await putObject(bucket, k, `${k}\n`);
});
afterAll(async () => {
  await removeBuckets([bucket]);
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

describe('ls and lsl of a bucket', () => {
  for (const cmd of ['ls', 'lsl']) {
    it(`${cmd} sends one listing for the whole tree and prints every object`, async () => {
      const r = await cli.nclone(cmd, `rgw:${bucket}`, '-vv');
      expectCode(r, 0);
      expect(listings(r.stderr)).toHaveLength(1);
      expect(names(r.stdout)).toEqual([...KEYS].sort());
    });
  }

  it('lists below a prefix with one listing too, paths relative to it', async () => {
    const r = await cli.nclone('ls', `rgw:${bucket}/a`, '-vv');
    expectCode(r, 0);
    expect(listings(r.stderr)).toHaveLength(1);
    expect(sortedLines(r.stdout)).toEqual(['        8 1.txt', '       10 b/2.txt', '       12 b/c/3.txt']);
  });

  it('walks directory by directory with --max-depth or a filter, printing what the walk gives', async () => {
    const deep = await cli.nclone('ls', `rgw:${bucket}`, '--max-depth', '2', '-vv');
    expectCode(deep, 0);
    expect(listings(deep.stderr).length).toBeGreaterThan(1);
    expect(names(deep.stdout)).toEqual(['a/1.txt', 'd/4.txt', 'g/6.txt', 'top.txt']);
    const filtered = await cli.nclone('ls', `rgw:${bucket}`, '--exclude', 'a/**', '-vv');
    expectCode(filtered, 0);
    expect(listings(filtered.stderr).length).toBeGreaterThan(1);
    expect(names(filtered.stdout)).toEqual(['d/4.txt', 'e/f/5.txt', 'g/6.txt', 'top.txt']);
  });

  it('shows an empty prefix as empty (exit 0) and a missing bucket as an error', async () => {
    const empty = await cli.nclone('ls', `rgw:${bucket}/nothing/here`);
    expectCode(empty, 0);
    expect(empty.stdout).toBe('');
    const missing = await cli.nclone('ls', `rgw:${uniqueBucket('nclone-ls-absent')}`);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
  });
});

describe('size, md5sum and cat of a bucket (the same one listing, as rclone)', () => {
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');

  it('size counts every object from one listing, and walks with --max-depth', async () => {
    const r = await cli.nclone('size', '--json', `rgw:${bucket}`, '-vv');
    expectCode(r, 0);
    expect(listings(r.stderr)).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toEqual({ count: KEYS.length, bytes: KEYS.reduce((n, k) => n + k.length + 1, 0), sizeless: 0 });
    const top = await cli.nclone('size', '--json', '--max-depth', '1', `rgw:${bucket}`, '-vv');
    expectCode(top, 0);
    expect(JSON.parse(top.stdout)).toEqual({ count: 1, bytes: 'top.txt\n'.length, sizeless: 0 });
  });

  it('md5sum hashes every object from one listing (no HEAD: the ETags are the MD5s)', async () => {
    const r = await cli.nclone('md5sum', `rgw:${bucket}`, '-vv');
    expectCode(r, 0);
    expect(listings(r.stderr)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\(HeadObject\)/);
    expect(sortedLines(r.stdout)).toEqual(KEYS.map((k) => `${md5(`${k}\n`)}  ${k}`).sort());
  });

  it('cat prints every object from one listing, and only the filtered ones with a filter', async () => {
    const r = await cli.nclone('cat', `rgw:${bucket}`, '-vv');
    expectCode(r, 0);
    expect(listings(r.stderr)).toHaveLength(1);
    expect(sortedLines(r.stdout)).toEqual([...KEYS].sort());
    const some = await cli.nclone('cat', '--include', 'a/**', `rgw:${bucket}`);
    expectCode(some, 0);
    expect(sortedLines(some.stdout)).toEqual(['a/1.txt', 'a/b/2.txt', 'a/b/c/3.txt']);
  });
});
