/**
 * move, moveto, delete, purge, rmdir and rmdirs on the command line against the test RGW:
 * moves in every direction (local -> S3, S3 -> local, S3 -> S3 in one bucket and across
 * buckets), checked by what the server and the disk really hold afterwards (contents,
 * mtimes to the nanosecond on S3, the source gone only for what arrived); refusals by a
 * bucket policy for a failed upload and a failed source delete; delete with filters,
 * purge of a prefix and of a bucket, rmdir and rmdirs on buckets and virtual directories.
 * rclone 1.60 run side by side where the results must agree.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, DeleteBucketPolicyCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropBucket, observer, serverKeys } from '../s3/helpers-backend.js';
import {
  T0,
  expectCode,
  lslLines,
  makeBase,
  makeCli,
  md5hex,
  putObject,
  snapshot,
  sortedLines,
  uniqueBucket,
  writeTree,
  type Cli,
  type FileSpec,
} from '../s3/helpers-cli.js';

let base: string;
let cli: Cli;
const buckets: string[] = [];
let counter = 0;

beforeAll(() => {
  base = makeBase('treeops');
  cli = makeCli(base, false);
});

afterAll(async () => {
  for (const b of buckets) await dropBucket(b);
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

/** A bucket name for this file's tests, dropped at the end. */
function bucketName(label: string): string {
  const b = uniqueBucket(`nclone-tree-${label}`);
  buckets.push(b);
  return b;
}

async function makeBucket(label: string): Promise<string> {
  const b = bucketName(label);
  await observer().send(new CreateBucketCommand({ Bucket: b }));
  return b;
}

/** Four files in three directories, each with its own nanosecond mtime. */
function treeFiles(): FileSpec[] {
  const f = (p: string, data: string, i: number, ns: number): FileSpec => ({ path: p, data: Buffer.from(data), sec: T0 + i * 3607, ns });
  return [f('a.txt', 'alpha\n', 0, 123456789), f('sub/b.txt', 'bravo bravo\n', 1, 987654321), f('sub/deep/c #1.dat', 'charlie '.repeat(30), 2, 5), f('locked/d.txt', 'delta\n', 3, 999999999)];
}

/** A new local directory holding the files. */
async function localTree(label: string, files = treeFiles()): Promise<string> {
  const dir = path.join(base, `${String(++counter).padStart(2, '0')}-${label}`);
  nfs.mkdirSync(dir, { recursive: true });
  await writeTree(dir, files);
  return dir;
}

/** Files (not directories) under a local root, relative and sorted; [] when it is gone. */
function localFiles(root: string): string[] {
  return nfs.existsSync(root) ? Object.keys(snapshot(root)).sort() : [];
}

/** Directories under a local root, relative and sorted. */
function localDirs(root: string): string[] {
  return (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => d.isDirectory())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .sort();
}

async function lsl(target: string): Promise<string[]> {
  const r = await cli.nclone('lsl', target);
  expectCode(r, 0);
  return sortedLines(r.stdout);
}

/** Denies the actions on keys under the prefix of the bucket to everyone, the owner included. */
async function deny(bucket: string, prefix: string, actions: string[]): Promise<() => Promise<void>> {
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: { AWS: ['*'] }, Action: actions, Resource: [`arn:aws:s3:::${bucket}/${prefix}*`] }] };
  await observer().send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
  return async () => {
    await observer().send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  };
}

describe('move', () => {
  it('local -> S3: every file arrives with its mtime, each local file goes, and --delete-empty-src-dirs leaves only the top directory', async () => {
    const files = treeFiles();
    const src = await localTree('up', files);
    const bucket = bucketName('up');
    const r = await cli.nclone('move', '-v', '--delete-empty-src-dirs', src, `rgw:${bucket}/in`);
    expectCode(r, 0);
    for (const f of files) {
      expect(r.stderr).toContain(`INFO  : ${f.path}: Copied (new)`);
      expect(r.stderr).toContain(`INFO  : ${f.path}: Deleted`);
    }
    expect(r.stderr).toMatch(/Transferred:\s+4 \/ 4, 100%/);
    expect(r.stderr).toMatch(/Renamed:\s+4/);
    expect(await lsl(`rgw:${bucket}/in`)).toEqual(lslLines(files));
    expect(localFiles(src)).toEqual([]);
    expect(localDirs(src)).toEqual([]);
    expect(nfs.existsSync(src)).toBe(true);
  });

  it('S3 -> local: the objects become files with their contents and mtimes, and are gone from the bucket', async () => {
    const files = treeFiles();
    const bucket = bucketName('down');
    expectCode(await cli.nclone('copy', await localTree('down-seed', files), `rgw:${bucket}/out`), 0);
    const dst = path.join(base, 'down-dst');
    const r = await cli.nclone('move', '-v', `rgw:${bucket}/out`, dst);
    expectCode(r, 0);
    const snap = snapshot(dst);
    expect(Object.keys(snap).sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) {
      expect(snap[f.path]!.md5).toBe(md5hex(f.data));
      // Local disks keep microseconds.
      expect(snap[f.path]!.mtimeUs).toBe(BigInt(f.sec) * 1_000_000n + BigInt(Math.floor(f.ns / 1000)));
    }
    expect(await serverKeys(bucket)).toEqual([]);
    // The bucket itself stays: only --delete-empty-src-dirs could remove directories, never the top one.
    expectCode(await cli.nclone('lsd', 'rgw:'), 0);
    expect((await cli.nclone('lsd', 'rgw:')).stdout).toContain(bucket);
  });

  it('S3 -> S3 in one bucket: server-side copies, then the sources go; rclone does the same', async () => {
    const files = treeFiles();
    const bucket = bucketName('same');
    const seed = await localTree('same-seed', files);
    expectCode(await cli.nclone('copy', seed, `rgw:${bucket}/n-from`), 0);
    expectCode(await cli.nclone('copy', seed, `rgw:${bucket}/r-from`), 0);
    const r = await cli.nclone('move', '-v', `rgw:${bucket}/n-from`, `rgw:${bucket}/n-to`);
    expectCode(r, 0);
    expect(r.stderr).toMatch(/Server Side Copies:\s+4 @/);
    expect(r.stderr).toContain('INFO  : sub/deep/c #1.dat: Copied (server-side copy)');
    expectCode(await cli.rclone('move', `rgw:${bucket}/r-from`, `rgw:${bucket}/r-to`), 0);
    expect(await lsl(`rgw:${bucket}/n-to`)).toEqual(lslLines(files));
    expect(await lsl(`rgw:${bucket}/r-to`)).toEqual(lslLines(files));
    expect((await serverKeys(bucket)).sort()).toEqual([...files.map((f) => `n-to/${f.path}`), ...files.map((f) => `r-to/${f.path}`)].sort());
  });

  it('S3 -> S3 across buckets: the destination bucket is made, the source bucket emptied', async () => {
    const files = treeFiles();
    const from = bucketName('from');
    const to = bucketName('to');
    expectCode(await cli.nclone('copy', await localTree('across-seed', files), `rgw:${from}`), 0);
    const r = await cli.nclone('move', `rgw:${from}`, `rgw:${to}/x`);
    expectCode(r, 0);
    expect(r.stderr).toBe('');
    expect(await lsl(`rgw:${to}/x`)).toEqual(lslLines(files));
    expect(await serverKeys(from)).toEqual([]);
  });

  it('an upload the server refuses leaves its local file; the others still move; nothing is removed from the source directories', async () => {
    const files = treeFiles();
    const src = await localTree('refused', files);
    const bucket = await makeBucket('refused');
    const allow = await deny(bucket, 'in/locked/', ['s3:PutObject']);
    try {
      const r = await cli.nclone('move', '--delete-empty-src-dirs', src, `rgw:${bucket}/in`);
      expectCode(r, 6);
      expect(r.stderr).toMatch(/ERROR : locked\/d\.txt: .*access denied/i);
      expect(r.stderr).toContain('not deleting directories as there were IO errors');
      expect(r.stderr).toMatch(/Failed to move with 1 error: last error was: .*access denied/i);
      expect(localFiles(src)).toEqual(['locked/d.txt']);
      expect(localDirs(src)).toEqual(['locked', 'sub', 'sub/deep']);
      expect((await serverKeys(bucket)).sort()).toEqual(['in/a.txt', 'in/sub/b.txt', 'in/sub/deep/c #1.dat']);
    } finally {
      await allow();
    }
    // Once the server accepts it, a second run moves the rest.
    expectCode(await cli.nclone('move', src, `rgw:${bucket}/in`), 0);
    expect(localFiles(src)).toEqual([]);
    expect(await lsl(`rgw:${bucket}/in`)).toEqual(lslLines(files));
  });

  it('a source object the server will not delete stays, after its copy arrived; the next run deletes it without copying again', async () => {
    const files = treeFiles();
    const bucket = bucketName('nodelete');
    expectCode(await cli.nclone('copy', await localTree('nodelete-seed', files), `rgw:${bucket}/from`), 0);
    const allow = await deny(bucket, 'from/locked/', ['s3:DeleteObject']);
    try {
      const r = await cli.nclone('move', `rgw:${bucket}/from`, `rgw:${bucket}/to`);
      expectCode(r, 6);
      expect(r.stderr).toMatch(/ERROR : locked\/d\.txt: .*access denied/i);
      expect((await serverKeys(bucket, 'from/')).sort()).toEqual(['from/locked/d.txt']);
      expect(await lsl(`rgw:${bucket}/to`)).toEqual(lslLines(files));
    } finally {
      await allow();
    }
    const again = await cli.nclone('move', '-v', `rgw:${bucket}/from`, `rgw:${bucket}/to`);
    expectCode(again, 0);
    expect(again.stderr).toContain('INFO  : locked/d.txt: Deleted');
    expect(again.stderr).not.toContain('Copied');
    expect(await serverKeys(bucket, 'from/')).toEqual([]);
  });

  it('--dry-run says what it would move and changes nothing on either side', async () => {
    const files = treeFiles();
    const src = await localTree('dry', files);
    const bucket = bucketName('dry');
    const r = await cli.nclone('move', '--dry-run', src, `rgw:${bucket}`);
    expectCode(r, 0);
    for (const f of files) expect(r.stderr).toContain(`NOTICE: ${f.path}: Skipped move as --dry-run is set (size ${f.data.length})`);
    expect(localFiles(src)).toEqual(files.map((f) => f.path).sort());
    expectCode(await cli.nclone('ls', `rgw:${bucket}`), 3);
  });
});

describe('moveto', () => {
  it('renames an object within a bucket and uploads a local file under a new name', async () => {
    const bucket = bucketName('moveto');
    const files = treeFiles();
    const src = await localTree('moveto', files);
    let r = await cli.nclone('moveto', '-v', path.join(src, 'a.txt'), `rgw:${bucket}/renamed/first.txt`);
    expectCode(r, 0);
    expect(nfs.existsSync(path.join(src, 'a.txt'))).toBe(false);
    r = await cli.nclone('moveto', '-v', `rgw:${bucket}/renamed/first.txt`, `rgw:${bucket}/second.txt`);
    expectCode(r, 0);
    expect(r.stderr).toContain('INFO  : second.txt: Copied (server-side copy)');
    expect(r.stderr).toContain('INFO  : first.txt: Deleted');
    expect(await serverKeys(bucket)).toEqual(['second.txt']);
    expect(await lsl(`rgw:${bucket}/second.txt`)).toEqual([lslLines([files[0]!])[0]!.replace('a.txt', 'second.txt')]);
  });
});

describe('delete', () => {
  it('deletes the objects the filters select and keeps the rest; --dry-run first changes nothing', async () => {
    const bucket = bucketName('delete');
    const files = treeFiles();
    expectCode(await cli.nclone('copy', await localTree('delete-seed', files), `rgw:${bucket}`), 0);
    const dry = await cli.nclone('delete', '-n', '--include', '*.txt', `rgw:${bucket}`);
    expectCode(dry, 0);
    expect(sortedLines(dry.stderr).map((l) => l.replace(/^\S+ \S+ /, ''))).toEqual([
      'NOTICE: a.txt: Skipped delete as --dry-run is set (size 6)',
      'NOTICE: locked/d.txt: Skipped delete as --dry-run is set (size 6)',
      'NOTICE: sub/b.txt: Skipped delete as --dry-run is set (size 12)',
    ]);
    expect((await serverKeys(bucket)).length).toBe(4);
    const r = await cli.nclone('delete', '-v', '--rmdirs', '--include', '*.txt', `rgw:${bucket}`);
    expectCode(r, 0);
    expect(sortedLines(r.stderr).map((l) => l.replace(/^\S+ \S+ /, ''))).toEqual(['INFO  : a.txt: Deleted', 'INFO  : locked/d.txt: Deleted', 'INFO  : sub/b.txt: Deleted']);
    expect(await serverKeys(bucket)).toEqual(['sub/deep/c #1.dat']);
  });

  it('an object the server will not delete is reported; the others go', async () => {
    const bucket = bucketName('delete-denied');
    expectCode(await cli.nclone('copy', await localTree('delete-denied-seed'), `rgw:${bucket}`), 0);
    const allow = await deny(bucket, 'locked/', ['s3:DeleteObject']);
    try {
      const r = await cli.nclone('delete', `rgw:${bucket}`);
      expectCode(r, 6);
      expect(r.stderr).toMatch(/ERROR : locked\/d\.txt: Couldn't delete: .*access denied/i);
      expect(r.stderr).toMatch(/nclone: failed to delete 1 file: last error was: .*access denied/i);
      expect(await serverKeys(bucket)).toEqual(['locked/d.txt']);
    } finally {
      await allow();
    }
  });
});

describe('purge, rmdir and rmdirs', () => {
  it('purge of a prefix removes only what is under it; purge of a bucket removes the bucket; the remote root is refused', async () => {
    const bucket = bucketName('purge');
    expectCode(await cli.nclone('copy', await localTree('purge-seed'), `rgw:${bucket}`), 0);
    expectCode(await cli.nclone('purge', `rgw:${bucket}/sub`), 0);
    expect((await serverKeys(bucket)).sort()).toEqual(['a.txt', 'locked/d.txt']);
    const root = await cli.nclone('purge', 'rgw:');
    expectCode(root, 1);
    expect(root.stderr).toBe(`nclone: can't purge the root of rgw:: it would delete every bucket; give the bucket, as rgw:BUCKET\n`);
    const dry = await cli.nclone('purge', '--dry-run', `rgw:${bucket}`);
    expectCode(dry, 0);
    expect(dry.stderr).toContain(`rgw:${bucket}: Skipped purge directory as --dry-run is set`);
    expect((await serverKeys(bucket)).length).toBe(2);
    expectCode(await cli.nclone('purge', `rgw:${bucket}`), 0);
    expectCode(await cli.nclone('ls', `rgw:${bucket}`), 3);
  });

  it('rmdir: a bucket with objects or a directory with objects is not empty (exit 6); an empty bucket is removed', async () => {
    const bucket = await makeBucket('rmdir');
    await putObject(bucket, 'dir/x.txt', 'x');
    for (const target of [`rgw:${bucket}`, `rgw:${bucket}/dir`]) {
      const r = await cli.nclone('rmdir', target);
      expectCode(r, 6);
      expect(r.stderr).toMatch(/^nclone: .*not empty\n$/);
    }
    // A prefix with nothing under it is an empty virtual directory: nothing to do, as rclone.
    expectCode(await cli.nclone('rmdir', `rgw:${bucket}/nothing-here`), 0);
    expect(await serverKeys(bucket)).toEqual(['dir/x.txt']);
    expectCode(await cli.nclone('delete', `rgw:${bucket}`), 0);
    const r = await cli.nclone('rmdir', '-v', `rgw:${bucket}`);
    expectCode(r, 0);
    expect(r.stderr).toContain(`INFO  : rgw:${bucket}: Removing directory`);
    expectCode(await cli.nclone('ls', `rgw:${bucket}`), 3);
  });

  it('rmdirs keeps an empty bucket with --leave-root and removes it without; a bucket with objects stays', async () => {
    const empty = await makeBucket('rmdirs-empty');
    const full = await makeBucket('rmdirs-full');
    await putObject(full, 'a/b/c.txt', 'c');
    expectCode(await cli.nclone('rmdirs', '--leave-root', `rgw:${empty}`), 0);
    expectCode(await cli.nclone('ls', `rgw:${empty}`), 0);
    expectCode(await cli.nclone('rmdirs', `rgw:${full}`), 0);
    expect(await serverKeys(full)).toEqual(['a/b/c.txt']);
    expectCode(await cli.nclone('rmdirs', `rgw:${empty}`), 0);
    expectCode(await cli.nclone('ls', `rgw:${empty}`), 3);
  });
});
