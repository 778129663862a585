/**
 * The S3 metadata cache (docs/metacache.md) on the command line against the test Ceph RGW:
 * a no-op resync needs listings only, and the cache never answers for an object that
 * changed since it was recorded, whatever changed it (rclone's in-place metadata rewrite,
 * an overwrite, a purge and re-upload), nor when its files are corrupt, unwritable or
 * written by two runs at once. Requests are counted from the -vv lines
 * ("s3: HEAD bucket/key (HeadObject): ..."). Each test has its own bucket and its own
 * NCLONE_CACHE_DIR. Needs a build (npx tsc -p .).
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { expectOk, headObject, makeBase, makeCli, removeBuckets, sortedLines, T0, touch, uniqueBucket, writeTree, type Cli, type FileSpec } from './helpers-cli.js';
import type { RunResult } from '../helpers/run.js';
import { DATE_LAG_S } from '../../backends/s3/metacache.js';

const buckets: string[] = [];
const bases: string[] = [];

afterAll(async () => {
  await removeBuckets(buckets);
  for (const b of bases) nfs.rmSync(b, { recursive: true, force: true });
});

interface Setup {
  cli: Cli;
  base: string;
  bucket: string;
  cache: string;
  src: string;
  files: FileSpec[];
}

/** A tree of `n` small files spread over the top, one directory and one nested directory. */
function smallTree(n: number, tag = ''): FileSpec[] {
  const dirs = ['', 'a/', 'b/c/'];
  return Array.from({ length: n }, (_, i) => ({
    path: `${dirs[i % dirs.length]}${tag}f${i}.txt`,
    data: Buffer.from(`${tag} file number ${i} `.padEnd(20 + i, '.')),
    sec: T0 + i * 61,
    ns: 100_000_007 * (i + 1) % 1_000_000_000,
  }));
}

async function setup(label: string, files = smallTree(9)): Promise<Setup> {
  const base = makeBase(`metacache-${label}`);
  bases.push(base);
  const cli = makeCli(base, false);
  const cache = path.join(base, 'cache');
  // cli.nclone runs with cli.env itself, so this reaches every run.
  cli.env.NCLONE_CACHE_DIR = cache;
  const bucket = uniqueBucket(`nclone-mc-${label}`);
  buckets.push(bucket);
  const src = path.join(base, 'src');
  await writeTree(src, files);
  return { cli, base, bucket, cache, src, files };
}

interface Request {
  method: string;
  /** bucket/key as logged. */
  where: string;
  op: string;
}

/** The S3 requests a -vv run sent. */
function requests(stderr: string): Request[] {
  const out: Request[] = [];
  for (const m of stderr.matchAll(/DEBUG : s3: (\S+) (.*) \((\w+)\): /g)) out.push({ method: m[1]!, where: m[2]!, op: m[3]! });
  return out;
}

/**
 * The keys below root ("bucket" or "bucket/dir") a -vv run sent HeadObject for, relative to
 * it, sorted (repeats kept). A run into a directory also HEADs that directory's own name
 * once, to see whether it is a file: that one is not an object of the tree.
 */
function heads(r: RunResult, root: string): string[] {
  return requests(r.stderr)
    .filter((q) => q.op === 'HeadObject' && q.where.startsWith(`${root}/`))
    .map((q) => q.where.slice(root.length + 1))
    .sort();
}

/** What a run did to destination files: "path: Copied (...)" and "path: Updated modification time ...", sorted. */
function changes(r: RunResult): string[] {
  const out: string[] = [];
  for (const m of r.stderr.matchAll(/INFO {2}: (.*): (Copied \(.*\)|Updated modification time in destination)$/gm)) out.push(`${m[1]}: ${m[2]}`);
  return out.sort();
}

/** Lines logged at NOTICE or above. */
function complaints(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => /^\S+ \S+ (ERROR|NOTICE|WARNING|CRITICAL)/.test(l));
}

/** A sync run at -vv that must succeed. */
async function sync(s: Setup, ...extra: string[]): Promise<RunResult> {
  const r = await s.cli.nclone('sync', s.src, `rgw:${s.bucket}`, '-vv', ...extra);
  expectOk(r, false);
  expect(complaints(r)).toEqual([]);
  return r;
}

/** A no-op sync: nothing transferred or re-set, only bucket checks and listings sent; returns its HEADs. */
async function noop(s: Setup, ...extra: string[]): Promise<string[]> {
  const r = await sync(s, ...extra);
  expect(changes(r)).toEqual([]);
  const ops = new Set(requests(r.stderr).map((q) => q.op));
  ops.delete('HeadObject');
  expect([...ops].sort().filter((op) => !['HeadBucket', 'ListObjects', 'ListObjectsV2'].includes(op))).toEqual([]);
  return heads(r, s.bucket);
}

const keys = (files: FileSpec[], prefix = '') => files.map((f) => prefix + f.path).sort();

/** Every shard file of the cache (recursively below meta/), and the temporary files left. */
function shardFiles(cache: string): { shards: string[]; tmp: string[] } {
  const shards: string[] = [];
  const tmp: string[] = [];
  const walk = (dir: string) => {
    for (const d of nfs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.json')) shards.push(p);
      else if (d.name.endsWith('.tmp')) tmp.push(p);
    }
  };
  walk(path.join(cache, 'meta'));
  return { shards: shards.sort(), tmp };
}

/** The shard files by the directory each one says it holds; every one must be valid. */
function shardsByDir(cache: string): Map<string, string> {
  const out = new Map<string, string>();
  const { shards, tmp } = shardFiles(cache);
  expect(tmp).toEqual([]);
  for (const f of shards) {
    const doc = JSON.parse(nfs.readFileSync(f, 'utf8')) as { v: number; dir: string; e: unknown[] };
    expect(doc.v).toBe(1);
    expect(Array.isArray(doc.e)).toBe(true);
    out.set(doc.dir, f);
  }
  return out;
}

/**
 * Waits until the clock is two whole seconds past `t`'s: the RGW (same clock) then stamps
 * later changes after nclone's recorded window, which ends a second after the upload
 * answer's Date second (DATE_LAG_S).
 */
async function pastUploadWindow(t: number): Promise<void> {
  const wait = (Math.floor(t / 1000) + 1 + DATE_LAG_S) * 1000 + 50 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

/** The object's X-Amz-Meta-Mtime in nanoseconds, as written by either tool. */
async function storedMtime(bucket: string, key: string): Promise<bigint> {
  const h = await headObject(bucket, key);
  const [sec, frac = ''] = h.Metadata!.mtime!.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

const ns = (f: { sec: number; ns: number }) => BigInt(f.sec) * 1_000_000_000n + BigInt(f.ns);

describe('S3 metadata cache against the RGW', () => {
  it('a no-op resync sends no HEAD and transfers nothing; --s3-no-meta-cache sends one HEAD per object and leaves the cache alone', async () => {
    const s = await setup('noop');
    const first = await sync(s);
    expect(changes(first)).toEqual(s.files.map((f) => `${f.path}: Copied (new)`).sort());
    expect(heads(first, s.bucket)).toEqual([]);

    expect(await noop(s)).toEqual([]);
    // The first resync pinned the exact times of the uploads; the next one trusts them too.
    expect(await noop(s)).toEqual([]);

    const before = shardFiles(s.cache).shards.map((f) => [f, nfs.readFileSync(f, 'utf8'), nfs.statSync(f).mtimeMs]);
    expect(before.length).toBe(3);
    expect(await noop(s, '--s3-no-meta-cache')).toEqual(keys(s.files));
    const after = shardFiles(s.cache).shards.map((f) => [f, nfs.readFileSync(f, 'utf8'), nfs.statSync(f).mtimeMs]);
    expect(after).toEqual(before);

    // Off from the environment as well, and nothing written on a first run.
    const t = await setup('off');
    t.cli.env.NCLONE_S3_NO_META_CACHE = 'true';
    expect(changes(await sync(t))).toHaveLength(t.files.length);
    expect(await noop(t)).toEqual(keys(t.files));
    expect(nfs.existsSync(path.join(t.cache, 'meta'))).toBe(false);
  });

  // The time of a file copied down comes from the GET's answer, or from the cache: asking an
  // object for it before opening it would be a HEAD per object wherever the cache is cold.
  it('a copy from the bucket into a local directory sends one GET per object and no HEAD, the cache on or off', async () => {
    const s = await setup('down');
    await sync(s);
    for (const extra of [['--s3-no-meta-cache'], []]) {
      const out = path.join(s.base, `down${extra.length}`);
      const r = await s.cli.nclone('copy', `rgw:${s.bucket}`, out, '-vv', ...extra);
      expectOk(r, false);
      expect(complaints(r)).toEqual([]);
      expect(heads(r, s.bucket)).toEqual([]);
      const gets = requests(r.stderr).filter((q) => q.op === 'GetObject');
      expect(gets.map((q) => q.where.slice(s.bucket.length + 1)).sort()).toEqual(keys(s.files));
      for (const f of s.files) expect(nfs.statSync(path.join(out, f.path), { bigint: true }).mtimeNs).toBe((ns(f) / 1000n) * 1000n);
    }
  });

  // Two orders: changed while the entries still hold nclone's upload window (after the
  // second of the upload's answer has passed), and changed at once after a resync pinned
  // the listing's exact times.
  for (const pinned of [false, true]) {
    it(`an object re-timed in place by rclone and one overwritten with the same size are both detected (${pinned ? 'pinned entries, changed at once' : 'upload windows, changed after them'})`, async () => {
      const s = await setup(pinned ? 'other-pin' : 'other-win');
      await sync(s);
      if (pinned) expect(await noop(s)).toEqual([]);
      else await pastUploadWindow(Date.now());
      const [retimed, overwritten] = [s.files[4]!, s.files[5]!];

      // rclone touch of an existing object rewrites its metadata with a copy onto itself: same size and ETag.
      const etag = (await headObject(s.bucket, retimed.path)).ETag;
      expectOk(await s.cli.rclone('touch', '-t', '2001-01-01T00:00:00', `rgw:${s.bucket}/${retimed.path}`));
      expect((await headObject(s.bucket, retimed.path)).ETag).toBe(etag);
      expect(await storedMtime(s.bucket, retimed.path)).toBe(978_307_200_000_000_000n);

      const other = path.join(s.base, 'other.txt');
      nfs.writeFileSync(other, Buffer.from(overwritten.data.toString().toUpperCase()));
      expect(nfs.statSync(other).size).toBe(overwritten.data.length);
      await touch(other, { sec: overwritten.sec + 3600, ns: 5 });
      expectOk(await s.cli.rclone('copyto', other, `rgw:${s.bucket}/${overwritten.path}`));

      const r = await sync(s);
      expect(heads(r, s.bucket)).toEqual([retimed.path, overwritten.path].sort());
      expect(changes(r)).toEqual([`${overwritten.path}: Copied (replaced existing)`, `${retimed.path}: Updated modification time in destination`].sort());
      expect(await storedMtime(s.bucket, retimed.path)).toBe(ns(retimed));
      expect(await storedMtime(s.bucket, overwritten.path)).toBe(ns(overwritten));
      expect((await headObject(s.bucket, overwritten.path)).ContentLength).toBe(overwritten.data.length);
      // What the sync wrote (a copy onto itself, a PUT) is in the cache too.
      expect(await noop(s)).toEqual([]);

      // And lsl, which reads every mtime, shows what rclone shows after another in-place change.
      expectOk(await s.cli.rclone('touch', '-t', '2002-02-02T02:02:02', `rgw:${s.bucket}/${s.files[0]!.path}`));
      const ours = await s.cli.nclone('lsl', `rgw:${s.bucket}`, '-vv');
      expectOk(ours, false);
      expect(heads(ours, s.bucket)).toEqual([s.files[0]!.path]);
      const theirs = await s.cli.rclone('lsl', `rgw:${s.bucket}`);
      expectOk(theirs, false);
      expect(sortedLines(ours.stdout)).toEqual(sortedLines(theirs.stdout));
      expect(ours.stdout).toContain(' 2002-02-02 02:02:02.000000000 ');
    });
  }

  it('a local same-size edit whose mtime was set back before the stored one is uploaded, without a HEAD', async () => {
    const s = await setup('older');
    await sync(s);
    expect(await noop(s)).toEqual([]);
    const f = s.files[7]!;
    const p = path.join(s.src, f.path);
    const edited = Buffer.from(f.data.toString().replace('file', 'FILE'));
    expect(edited.length).toBe(f.data.length);
    nfs.writeFileSync(p, edited);
    const older = { sec: f.sec - 86_400, ns: 1 };
    await touch(p, older);

    const r = await sync(s);
    expect(changes(r)).toEqual([`${f.path}: Copied (replaced existing)`]);
    // The cached mtime differs from the file's and the listing's ETag is the MD5: no HEAD needed.
    expect(heads(r, s.bucket)).toEqual([]);
    expect(await storedMtime(s.bucket, f.path)).toBe(ns(older));
    expect(await noop(s)).toEqual([]);
  });

  it('garbage in every shard file: the sync is exact, HEADs every object, and repairs the cache', async () => {
    const s = await setup('garbage');
    await sync(s);
    expect(await noop(s)).toEqual([]);
    const { shards } = shardFiles(s.cache);
    expect(shards.length).toBe(3);
    for (const f of shards) nfs.writeFileSync(f, Buffer.from([0xff, 0x00, 0x7b, 0x22, 0x76, 0x22, 0x3a, 0xfe, 0x0a]));

    expect(await noop(s)).toEqual(keys(s.files));
    expect(shardsByDir(s.cache).size).toBe(3);
    expect(await noop(s)).toEqual([]);
  });

  it('truncated, wrongly shaped, foreign and future shard files count as empty, and are rewritten', async () => {
    const more = ['d/x0.txt', 'd/x1.txt', 'd/a/x2.txt', 'd/a/x3.txt'].map((p, i) => ({ path: p, data: Buffer.from(`more ${i}`), sec: T0 + 7 * i, ns: i + 1 }));
    const files = [...smallTree(6), ...more];
    const s = await setup('shapes', files);
    await sync(s);
    expect(await noop(s)).toEqual([]);
    const byDir = shardsByDir(s.cache);
    expect([...byDir.keys()].sort()).toEqual(['', 'a/', 'b/c/', 'd/', 'd/a/'].sort());
    const text = (dir: string) => nfs.readFileSync(byDir.get(dir)!, 'utf8');
    const aText = text('a/');

    // Cut short, as by a crash in the middle of a write (a rename makes that unlikely, not impossible).
    nfs.writeFileSync(byDir.get('')!, text('').slice(0, Math.floor(text('').length / 2)));
    // Valid JSON, one field of the wrong type.
    const doc = JSON.parse(aText) as { e: unknown[][] };
    doc.e[0]![3] = 12345;
    nfs.writeFileSync(byDir.get('a/')!, JSON.stringify(doc));
    // Another directory's shard in this one's place.
    nfs.writeFileSync(byDir.get('b/c/')!, aText);
    // A version this one doesn't know.
    nfs.writeFileSync(byDir.get('d/')!, text('d/').replace('{"v":1,', '{"v":2,'));
    // An empty file.
    nfs.writeFileSync(byDir.get('d/a/')!, '');

    expect(await noop(s)).toEqual(keys(files));
    expect(shardsByDir(s.cache).size).toBe(5);
    expect(await noop(s)).toEqual([]);
  });

  it('a cache directory that cannot be made (below a regular file) leaves the sync exact and quiet', async () => {
    const s = await setup('unwritable');
    const blocker = path.join(s.base, 'not-a-dir');
    nfs.writeFileSync(blocker, 'a file where the cache directory should be\n');
    // Tests run as root, so permissions would not stop a write; ENOTDIR does.
    s.cli.env.NCLONE_CACHE_DIR = path.join(blocker, 'cache');

    const first = await s.cli.nclone('sync', s.src, `rgw:${s.bucket}`);
    expectOk(first);
    const r = await sync(s);
    expect(changes(r)).toEqual([]);
    expect(heads(r, s.bucket)).toEqual(keys(s.files));
    // One line, only ever at -vv (docs/metacache.md).
    const about = r.stderr.split('\n').filter((l) => /metadata cache/.test(l));
    expect(about.length).toBeLessThanOrEqual(1);
    for (const l of about) expect(l).toMatch(/ DEBUG : metacache: not writing the metadata cache /);
    expect(await noop(s)).toEqual(keys(s.files));
    expect(nfs.readFileSync(blocker, 'utf8')).toBe('a file where the cache directory should be\n');
  });

  it('two runs sharing the cache at once, into two prefixes and into one directory, leave no wrong entry', async () => {
    const one = smallTree(12, 'one-');
    const two = smallTree(12, 'two-');
    const s = await setup('shared', one);
    const src2 = path.join(s.base, 'src2');
    await writeTree(src2, two);
    const run = (src: string, dst: string, cmd = 'sync') => s.cli.nclone(cmd, src, `rgw:${s.bucket}/${dst}`, '-vv');
    const ok = (r: RunResult) => {
      expectOk(r, false);
      expect(complaints(r)).toEqual([]);
      return r;
    };

    // Two prefixes: first syncs at once, then no-op resyncs (which rewrite every shard to pin times) at once.
    const [u1, u2] = await Promise.all([run(s.src, 'p1'), run(src2, 'p2')]);
    expect(changes(ok(u1))).toHaveLength(12);
    expect(changes(ok(u2))).toHaveLength(12);
    const [n1, n2] = await Promise.all([run(s.src, 'p1'), run(src2, 'p2')]);
    for (const n of [n1, n2]) {
      expect(changes(ok(n))).toEqual([]);
      expect(heads(n, `${s.bucket}/${n === n1 ? 'p1' : 'p2'}`)).toEqual([]);
    }
    shardsByDir(s.cache);

    // One directory: the two runs write the same shard files at the same moment. A lost
    // entry may cost a HEAD later; a wrong one would show as a transfer.
    const [c1, c2] = await Promise.all([run(s.src, 'same', 'copy'), run(src2, 'same', 'copy')]);
    expect(changes(ok(c1))).toHaveLength(12);
    expect(changes(ok(c2))).toHaveLength(12);
    shardsByDir(s.cache);
    const both = path.join(s.base, 'both');
    await writeTree(both, [...one, ...two]);
    const all = { ...s, src: both, bucket: `${s.bucket}/same` };
    const afterRace = await noop(all);
    expect(afterRace.length).toBeLessThanOrEqual(12);
    expect(await noop(all)).toEqual([]);
    for (const [src, dst] of [[s.src, 'p1'], [src2, 'p2']] as const) {
      const n = ok(await run(src, dst));
      expect(changes(n)).toEqual([]);
      expect(heads(n, `${s.bucket}/${dst}`)).toEqual([]);
    }
    shardsByDir(s.cache);
  });

  it('a bucket purged and filled again by rclone with the same files: no entry is trusted, nothing is transferred', async () => {
    const s = await setup('stale');
    await sync(s);
    expect(await noop(s)).toEqual([]);
    const etags = await Promise.all(s.files.map(async (f) => (await headObject(s.bucket, f.path)).ETag));

    expectOk(await s.cli.rclone('purge', `rgw:${s.bucket}`));
    expectOk(await s.cli.rclone('copy', s.src, `rgw:${s.bucket}`));
    // Same size, same ETag, same mtime metadata: only LastModified tells the objects apart.
    expect(await Promise.all(s.files.map(async (f) => (await headObject(s.bucket, f.path)).ETag))).toEqual(etags);

    expect(await noop(s)).toEqual(keys(s.files));
    expect(await noop(s)).toEqual([]);
  });
});
