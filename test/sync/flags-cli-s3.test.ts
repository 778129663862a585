/**
 * The engine's flags through the command line against the test RGW, beside rclone 1.60:
 * --no-traverse (counted in the -vv request lines), --copy-dest and --compare-dest,
 * --track-renames (a server-side copy, no upload), --order-by with --check-first,
 * --max-backlog, --max-duration. Needs a build (npx tsc -p .).
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCode, removeBuckets, sortedLines, uniqueBucket } from '../s3/helpers-cli.js';
import { named, useWorkspace, writeFile } from './flags-cli-helpers.js';

const bucket = uniqueBucket('nclone-flags');
const ws = useWorkspace('flags-s3');
const { tree } = ws;
afterAll(() => removeBuckets([bucket]));

/** The -vv request lines of one S3 operation (ListObjects: either version) on keys under prefix. */
function requests(stderr: string, op: string, prefix: string): string[] {
  const ops = op === 'ListObjects' ? ['(ListObjects)', '(ListObjectsV2)'] : [`(${op})`];
  return stderr.split('\n').filter((l) => ops.some((o) => l.includes(o)) && l.includes(` ${bucket}/${prefix}`));
}

async function lsl(remote: string): Promise<string[]> {
  const r = await ws.cli.nclone('lsl', remote);
  expectCode(r, 0);
  return sortedLines(r.stdout);
}

describe('--no-traverse', () => {
  it('copy to S3 looks each file up (HEAD) instead of listing the destination', async () => {
    const src = tree({ 'a.txt': 'a', 'sub/b.txt': 'b' });
    const dst = `rgw:${bucket}/nt`;
    expectCode(await ws.cli.nclone('copy', src, dst), 0);
    writeFile(src, 'sub/c.txt', 'c');
    const listed = await ws.cli.nclone('copy', src, dst, '-vv', '--dry-run');
    expect(requests(listed.stderr, 'ListObjects', 'nt').length).toBeGreaterThan(0);
    const r = await ws.cli.nclone('copy', src, dst, '--no-traverse', '-vv');
    expectCode(r, 0);
    expect(requests(r.stderr, 'ListObjects', 'nt')).toEqual([]);
    expect(requests(r.stderr, 'HeadObject', 'nt/').length).toBeGreaterThanOrEqual(3);
    expect(named(r.stderr, /^Copied/)).toEqual(['sub/c.txt']);
    expect(r.stderr).toMatch(/Checks:\s+2 \/ 2, 100%/);
    expect(await lsl(dst)).toEqual(await lsl(src));
  });
});

describe('--copy-dest and --compare-dest', () => {
  let src: string;
  const day1 = `rgw:${bucket}/day1`;

  beforeAll(async () => {
    src = tree({ 'same.txt': 'unchanged', 'dir/same2.txt': 'unchanged too', 'changed.txt': 'version 1' });
    expectCode(await ws.cli.nclone('sync', src, day1), 0);
    writeFile(src, 'changed.txt', ['version 2!', 1_600_000_100]);
    writeFile(src, 'new.txt', 'new');
  });

  it('--copy-dest: files identical in DIR are server-side copied from it, the others uploaded; the result is rclone\'s', async () => {
    const ours = `rgw:${bucket}/day2`;
    const r = await ws.cli.nclone('copy', src, ours, '--copy-dest', day1, '--max-backlog', '1', '-vv');
    expectCode(r, 0);
    expect(named(r.stderr, /^Destination found in --copy-dest, using server-side copy$/).sort()).toEqual(['dir/same2.txt', 'same.txt']);
    expect(requests(r.stderr, 'CopyObject', 'day2/').length).toBe(2);
    expect(requests(r.stderr, 'PutObject', 'day2/').map((l) => /day2\/(\S+)/.exec(l)![1]).sort()).toEqual(['changed.txt', 'new.txt']);
    expect(r.stderr).toMatch(/Server Side Copies:\s+2 @/);
    expect(r.stderr).toMatch(/Transferred:\s+4 \/ 4, 100%/);
    const theirs = `rgw:${bucket}/day2r`;
    const t = await ws.cli.rclone('copy', src, theirs, '--copy-dest', day1, '-v');
    expectCode(t, 0);
    expect(await lsl(ours)).toEqual(await lsl(theirs));
    expect(await lsl(ours)).toEqual(await lsl(src));
  });

  it('--compare-dest: only what differs from DIR is copied, as rclone does', async () => {
    const ours = `rgw:${bucket}/inc`;
    const r = await ws.cli.nclone('copy', src, ours, '--compare-dest', day1, '-vv');
    expectCode(r, 0);
    expect(named(r.stderr, /^Destination found in --compare-dest, skipping$/).sort()).toEqual(['dir/same2.txt', 'same.txt']);
    const theirs = `rgw:${bucket}/incr`;
    expectCode(await ws.cli.rclone('copy', src, theirs, '--compare-dest', day1), 0);
    const got = await lsl(ours);
    expect(got.map((l) => l.split(' ').pop()).sort()).toEqual(['changed.txt', 'new.txt']);
    expect(got).toEqual(await lsl(theirs));
  });

  it('--copy-dest on another remote than the destination is refused', async () => {
    const r = await ws.cli.nclone('copy', src, tree({}), '--copy-dest', day1);
    expectCode(r, 1);
    expect(r.stderr).toMatch(/^nclone: --copy-dest rgw:.*\/day1 must be on the same remote as the destination .*\n$/);
  });
});

describe('--track-renames', () => {
  it('local -> S3: a renamed 2 MiB file is copied server-side to its new name, not uploaded again; as rclone', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((i * 2654435761) >>> 0, i);
    const src = tree({ 'keep.txt': 'keep', 'big.bin': big });
    const ours = `rgw:${bucket}/tr`;
    const theirs = `rgw:${bucket}/trr`;
    expectCode(await ws.cli.nclone('sync', src, ours), 0);
    expectCode(await ws.cli.rclone('sync', src, theirs), 0);
    nfs.renameSync(path.join(src, 'big.bin'), path.join(src, 'renamed.bin'));
    const r = await ws.cli.nclone('sync', src, ours, '--track-renames', '-vv');
    expectCode(r, 0);
    expect(r.stderr).toContain('renamed.bin: Renamed from "big.bin"');
    expect(requests(r.stderr, 'CopyObject', 'tr/renamed.bin')).toHaveLength(1);
    expect(requests(r.stderr, 'PutObject', 'tr/')).toEqual([]);
    expect(requests(r.stderr, 'CreateMultipartUpload', 'tr/')).toEqual([]);
    expect(r.stderr).toMatch(/Server Side Copies:\s+1 @ 2\.000 MiB/);
    const t = await ws.cli.rclone('sync', src, theirs, '--track-renames', '-v');
    expectCode(t, 0);
    expect(t.stderr).toContain('renamed.bin: Renamed from "big.bin"');
    expect(await lsl(ours)).toEqual(await lsl(theirs));
    expect(await lsl(ours)).toEqual(await lsl(src));
  });
});

describe('--order-by, --check-first and --max-duration', () => {
  it('--order-by size,descending --check-first --transfers 1 uploads the largest first', async () => {
    const src = tree({ 'a.bin': Buffer.alloc(1000, 1), 'b.bin': Buffer.alloc(3000, 2), 'c/d.bin': Buffer.alloc(2000, 3) });
    const r = await ws.cli.nclone('copy', src, `rgw:${bucket}/order`, '--order-by', 'size,descending', '--check-first', '--transfers', '1', '-v');
    expectCode(r, 0);
    expect(named(r.stderr, /^Copied \(new\)$/)).toEqual(['b.bin', 'c/d.bin', 'a.bin']);
    const t = await ws.cli.rclone('copy', src, `rgw:${bucket}/orderr`, '--order-by', 'size,descending', '--check-first', '--transfers', '1', '-v');
    expect(named(t.stderr, /^Copied \(new\)$/)).toEqual(['b.bin', 'c/d.bin', 'a.bin']);
  });

  it('--max-duration stops the upload at the deadline and exits 7 (rclone 1.60 too); no object is left half-written', async () => {
    const src = tree({ f1: Buffer.alloc(300_000, 1), f2: Buffer.alloc(300_000, 2), f3: Buffer.alloc(300_000, 3), f4: Buffer.alloc(300_000, 4) });
    const args = ['--bwlimit', '200k', '--transfers', '1', '--max-duration', '2s'];
    const r = await ws.cli.nclone('copy', src, `rgw:${bucket}/dur`, ...args, '-v');
    expectCode(r, 7);
    expect(r.stderr).toContain('last error was: max transfer duration reached as set by --max-duration');
    const got = await lsl(`rgw:${bucket}/dur`);
    expect(got.length).toBeLessThan(4);
    for (const l of got) expect(l.trim().split(/\s+/)[0]).toBe('300000');
    const t = await ws.cli.rclone('copy', src, `rgw:${bucket}/durr`, ...args);
    expectCode(t, 7);
  });
});
