/**
 * The S3 metadata cache (backends/s3/metacache.ts) on real files in a temporary directory:
 * what it answers, what it refuses, and how it survives corrupt, unwritable and shared
 * caches. The concurrency case runs two real processes against dist/ (build first).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetaCache, closeAllMetaCaches, metaNamespace, openMetaCache, type MetaCacheOptions } from '../../backends/s3/metacache.js';
import { parseShard, pruneMeta } from '../../backends/s3/metacache-store.js';

const ENDPOINT = 'http://127.0.0.1:9000';
const BUCKET = 'bucket';
/** A listing time with milliseconds, as RGW gives them. */
const T = 1_700_000_000_123;
const SEC = Math.floor(T / 1000) * 1000;
const ETAG = '"0123456789abcdef0123456789abcdef"';
const MD5 = '0123456789abcdef0123456789abcdef';
const MTIME = 1_600_000_000_123_456_789n;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'nclone-metacache-'));
});
afterEach(async () => {
  await closeAllMetaCaches();
  rmSync(dir, { recursive: true, force: true });
});

function open(extra: Partial<MetaCacheOptions> = {}): MetaCache {
  return openMetaCache({ endpoint: ENDPOINT, bucket: BUCKET, enabled: true, dir, ...extra });
}

/** Where the shard of a "directory" prefix lives, computed independently of the module. */
function shardFile(prefix: string, root = dir): string {
  const id = createHash('sha256').update(prefix).digest('hex').slice(0, 32);
  const ns = createHash('sha256').update(`${ENDPOINT}\0${BUCKET}`).digest('hex').slice(0, 32);
  return path.join(root, 'meta', ns, id.slice(0, 2), `${id}.json`);
}

/** Writes, closes, and opens the cache again: what the next run sees. */
async function reopen(c: MetaCache, extra: Partial<MetaCacheOptions> = {}): Promise<MetaCache> {
  await c.close();
  return open(extra);
}

describe('S3 metadata cache', () => {
  it('finds what was recorded, in this run and the next, with the files private', async () => {
    let c = open();
    c.record('photos/a.jpg', { size: 10, etag: ETAG, lastModifiedMs: SEC, mtime: MTIME, md5: MD5 });
    c.record('top.txt', { size: 3, etag: '"abc"', lastModifiedMs: SEC, mtime: 5n });
    expect(await c.lookup('photos/a.jpg', 10, ETAG, T)).toMatchObject({ mtime: MTIME, md5: MD5 });
    c = await reopen(c);
    expect(await c.lookup('photos/a.jpg', 10, ETAG, T)).toMatchObject({ mtime: MTIME, md5: MD5 });
    // The ETag quoted or not is the same ETag.
    const top = await c.lookup('top.txt', 3, 'abc', SEC);
    expect(top?.mtime).toBe(5n);
    expect(top?.md5).toBeUndefined();
    expect(await c.lookup('photos/b.jpg', 10, ETAG, T)).toBeUndefined();
    const file = shardFile('photos/');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(existsSync(shardFile(''))).toBe(true);
  });

  it('misses when the size, the ETag or the LastModified second differ', async () => {
    const c = open();
    c.record('d/x', { size: 10, etag: ETAG, lastModifiedMs: SEC, mtime: MTIME });
    expect(await c.lookup('d/x', 11, ETAG, T)).toBeUndefined();
    expect(await c.lookup('d/x', 10, '"0123456789abcdef0123456789abcdee"', T)).toBeUndefined();
    expect(await c.lookup('d/x', 10, ETAG, SEC + 1000)).toBeUndefined();
    expect(await c.lookup('d/x', 10, ETAG, SEC - 1)).toBeUndefined();
    expect(await c.lookup('d/y', 10, ETAG, T)).toBeUndefined();
    // Same second: a hit, which pins the listing's milliseconds.
    expect(await c.lookup('d/x', 10, ETAG, T)).toBeDefined();
    expect(await c.lookup('d/x', 10, ETAG, T + 1)).toBeUndefined();
    expect(await c.lookup('d/x', 10, ETAG, T)).toBeDefined();
  });

  it("trusts nclone's own upload only up to the second after the answer's Date second, then pins the listed time", async () => {
    const date = SEC + 2000; // the answer's Date header: whole seconds
    let c = open();
    const put = { size: 10, etag: ETAG, serverDateMs: date, mtime: MTIME, md5: MD5 };
    c.recordPut('d/a', put);
    c.recordPut('d/b', put);
    c.recordPut('d/c', put);
    c.recordPut('d/d', { ...put, notBeforeMs: SEC - 60_000 });
    c.recordPut('d/e', put);
    // A change by another tool two seconds after the Date second is not ours.
    expect(await c.lookup('d/a', 10, ETAG, date + 2000)).toBeUndefined();
    // The RGW's Date can be the second before the object's LastModified (measured): ours.
    expect(await c.lookup('d/e', 10, ETAG, date + 1000 + 2)).toBeDefined();
    // Before the window (a version older than the upload) is not ours either.
    expect(await c.lookup('d/a', 10, ETAG, date - 2000)).toBeUndefined();
    // ...unless the caller said the upload began that early (a multipart upload).
    expect(await c.lookup('d/d', 10, ETAG, SEC - 30_000)).toBeDefined();
    expect(await c.lookup('d/b', 10, ETAG, date - 1000 + 250)).toMatchObject({ mtime: MTIME, md5: MD5 });
    expect(await c.lookup('d/c', 10, ETAG, date + 999)).toBeDefined();
    // Pinned: a metadata rewrite that moves LastModified, even within the second, is seen.
    expect(await c.lookup('d/b', 10, ETAG, date - 1000 + 251)).toBeUndefined();
    expect(await c.lookup('d/b', 10, ETAG, date)).toBeUndefined();
    expect(await c.lookup('d/c', 10, ETAG, date + 998)).toBeUndefined();
    c = await reopen(c);
    expect(await c.lookup('d/b', 10, ETAG, date - 1000 + 250)).toBeDefined();
    expect(await c.lookup('d/b', 10, ETAG, date)).toBeUndefined();
    expect(await c.lookup('d/c', 10, ETAG, date + 999)).toBeDefined();
    // Never confirmed, so still a window after the reopen.
    expect(await c.lookup('d/a', 10, ETAG, date - 1000)).toBeDefined();
  });

  it('forgets a deleted object', async () => {
    let c = open();
    c.record('d/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 1n });
    c.record('d/y', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 1n });
    c = await reopen(c);
    c.forget('d/x');
    expect(await c.lookup('d/x', 1, ETAG, T)).toBeUndefined();
    c = await reopen(c);
    expect(await c.lookup('d/x', 1, ETAG, T)).toBeUndefined();
    expect(await c.lookup('d/y', 1, ETAG, T)).toBeDefined();
    c.forget('d/y');
    await c.close();
    expect(existsSync(shardFile('d/'))).toBe(false);
  });

  const corruptions: [string, string][] = [
    ['garbage', '\u0000\u0001not json at all'],
    ['truncated JSON', '{"v":1,"dir":"d/","e":[["x",10,"0123456789abcdef0123456789abcdef","1",1,1700000000,0,""]'],
    ['a wrong version', '{"v":2,"dir":"d/","e":[]}'],
    ['a size that is a string', '{"v":1,"dir":"d/","e":[["x","10","0123456789abcdef0123456789abcdef","1",1,1700000000,0,""]]}'],
    ['an mtime that is a number', '{"v":1,"dir":"d/","e":[["x",10,"0123456789abcdef0123456789abcdef",1,1,1700000000,0,""]]}'],
    ['an unknown kind', '{"v":1,"dir":"d/","e":[["x",10,"0123456789abcdef0123456789abcdef","1",7,1700000000,0,""]]}'],
    ['another directory', '{"v":1,"dir":"e/","e":[["x",10,"0123456789abcdef0123456789abcdef","1",1,1700000000,0,""]]}'],
    ['null', 'null'],
  ];
  for (const [what, text] of corruptions) {
    it(`treats a shard with ${what} as empty, then repairs it`, async () => {
      const file = shardFile('d/');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
      let c = open();
      expect(await c.lookup('d/x', 10, ETAG, SEC)).toBeUndefined();
      c.record('d/z', { size: 2, etag: ETAG, lastModifiedMs: T, mtime: 9n });
      c = await reopen(c);
      expect(parseShard(readFileSync(file, 'utf8'), 'd/')).toBeDefined();
      expect(await c.lookup('d/x', 10, ETAG, SEC)).toBeUndefined();
      expect((await c.lookup('d/z', 2, ETAG, T))?.mtime).toBe(9n);
    });
  }

  it('removes a corrupt shard at close even when nothing was recorded into it', async () => {
    const file = shardFile('d/');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"v":1,');
    const c = open();
    expect(await c.lookup('d/x', 10, ETAG, SEC)).toBeUndefined();
    await c.close();
    expect(existsSync(file)).toBe(false);
  });

  it('keeps answering from memory when the cache dir is below a regular file', async () => {
    writeFileSync(path.join(dir, 'file'), 'x');
    const c = openMetaCache({ endpoint: ENDPOINT, bucket: BUCKET, enabled: true, dir: path.join(dir, 'file', 'cache'), flushEvery: 1 });
    c.record('d/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 4n });
    await c.flush();
    expect(c.canWrite).toBe(false);
    expect((await c.lookup('d/x', 1, ETAG, T))?.mtime).toBe(4n);
    c.record('d/y', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 5n });
    expect((await c.lookup('d/y', 1, ETAG, T))?.mtime).toBe(5n);
    await expect(c.close()).resolves.toBeUndefined();
  });

  it('still reads the shards it can when writing one fails', async () => {
    let c = open();
    c.record('ok/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 4n });
    c = await reopen(c);
    // Find a prefix whose shard lands in another subdirectory, and make that a regular file.
    let other = 0;
    while (path.dirname(shardFile(`bad${other}/`)) === path.dirname(shardFile('ok/'))) other++;
    writeFileSync(path.dirname(shardFile(`bad${other}/`)), 'not a directory');
    c.record(`bad${other}/y`, { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 5n });
    await c.flush();
    expect(c.canWrite).toBe(false);
    expect((await c.lookup('ok/x', 1, ETAG, T))?.mtime).toBe(4n);
    expect((await c.lookup(`bad${other}/y`, 1, ETAG, T))?.mtime).toBe(5n);
    await c.close();
  });

  it('writes nothing and finds nothing when disabled', async () => {
    const c = open({ enabled: false });
    c.record('d/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 4n });
    c.recordPut('d/y', { size: 1, etag: ETAG, serverDateMs: T, mtime: 4n });
    c.forget('d/z');
    expect(await c.lookup('d/x', 1, ETAG, T)).toBeUndefined();
    await c.flush();
    await c.close();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('shares one instance per endpoint and bucket until the last close', async () => {
    const a = open();
    const b = open();
    expect(b).toBe(a);
    expect(open({ bucket: 'other' })).not.toBe(a);
    a.record('d/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 4n });
    await a.close();
    expect((await b.lookup('d/x', 1, ETAG, T))?.mtime).toBe(4n);
    await b.close();
    expect(await b.lookup('d/x', 1, ETAG, T)).toBeUndefined();
    expect((await open().lookup('d/x', 1, ETAG, T))?.mtime).toBe(4n);
    expect(metaNamespace(ENDPOINT, BUCKET)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('holds at most maxShards loaded shards, writing out the ones it evicts', async () => {
    let c = open();
    for (let d = 0; d < 10; d++) for (let i = 0; i < 5; i++) c.record(`dir${d}/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: BigInt(d * 100 + i) });
    c = await reopen(c, { maxShards: 3 });
    for (let d = 0; d < 10; d++) {
      // Each hit pins the listed milliseconds: a change the evicted shard must write out.
      for (let i = 0; i < 5; i++) expect((await c.lookup(`dir${d}/f${i}`, i, ETAG, T))?.mtime).toBe(BigInt(d * 100 + i));
      expect(c.heldShards).toBeLessThanOrEqual(3);
    }
    // dir0 was evicted: it is loaded again from its file, which has the pinned time.
    expect(await c.lookup('dir0/f1', 1, ETAG, T + 1)).toBeUndefined();
    expect((await c.lookup('dir0/f1', 1, ETAG, T))?.mtime).toBe(1n);
    expect(c.stats.loads).toBe(11);
    expect(c.heldShards).toBeLessThanOrEqual(3);
  });

  it('writes out records once maxDirty are buffered, and lets their shards go', async () => {
    const c = open({ maxDirty: 12 });
    for (let d = 0; d < 10; d++) {
      for (let i = 0; i < 5; i++) c.record(`dir${d}/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: BigInt(d * 100 + i) });
      expect(c.heldShards).toBeLessThanOrEqual(4);
    }
    // A lookup loads dir0 from its file, after the write its eviction queued.
    expect((await c.lookup('dir0/f3', 3, ETAG, T))?.mtime).toBe(3n);
    expect(c.stats.loads).toBe(1);
    expect(existsSync(shardFile('dir0/'))).toBe(true);
  });

  it('loads a shard once for many concurrent lookups', async () => {
    let c = open();
    for (let i = 0; i < 100; i++) c.record(`d/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: BigInt(i) });
    c = await reopen(c);
    const got = await Promise.all(Array.from({ length: 100 }, (_, i) => c.lookup(`d/f${i}`, i, ETAG, T)));
    expect(got.map((g) => g?.mtime)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i)));
    expect(c.stats.loads).toBe(1);
  });

  it('stops adding objects to a shard that is full', async () => {
    const c = open({ maxShardEntries: 5 });
    for (let i = 0; i < 10; i++) c.record(`d/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: BigInt(i) });
    const hits = await Promise.all(Array.from({ length: 10 }, (_, i) => c.lookup(`d/f${i}`, i, ETAG, T)));
    expect(hits.filter(Boolean)).toHaveLength(5);
  });

  it('removes the least recently used shards when the cache is over its size bound', async () => {
    const c = open({ maxBytes: 1 });
    for (let d = 0; d < 10; d++) for (let i = 0; i < 20; i++) c.record(`dir${d}/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: 1n });
    await c.flush();
    const files = Array.from({ length: 10 }, (_, d) => shardFile(`dir${d}/`));
    const size = statSync(files[0]!).size;
    // dir0 is the oldest, dir9 the newest.
    files.forEach((f, d) => utimesSync(f, 1_000_000 + d * 60, 1_000_000 + d * 60));
    await c.close();
    expect(files.map((f) => existsSync(f))).toEqual(Array(10).fill(false));

    // The same with a bound that keeps some: under 80% of it, newest kept.
    const again = open({ maxBytes: size * 9 });
    for (let d = 0; d < 10; d++) for (let i = 0; i < 20; i++) again.record(`dir${d}/f${i}`, { size: i, etag: ETAG, lastModifiedMs: T, mtime: 1n });
    await again.flush();
    files.forEach((f, d) => utimesSync(f, 1_000_000 + d * 60, 1_000_000 + d * 60));
    rmSync(path.join(dir, 'meta', '.pruned'));
    await again.close();
    // 10 shards of about the same size over a bound of 9: the 3 oldest go, leaving 7 (< 7.2).
    expect(files.map((f) => existsSync(f))).toEqual([false, false, false, true, true, true, true, true, true, true]);
    // Once an hour at most.
    expect(await pruneMeta(path.join(dir, 'meta'), 1)).toBe(0);
  });

  /** Runs a child process that records 600 keys of its own and 600 shared ones into the shard d/. */
  function child(who: string): Promise<number | null> {
    const dist = fileURLToPath(new URL('../../dist/backends/s3/metacache.js', import.meta.url));
    // The value is a function of the key, so any entry can be checked whoever wrote it.
    const script = `
      const { openMetaCache } = await import(${JSON.stringify(dist)});
      const { createHash } = await import('node:crypto');
      const [who, dir] = process.argv.slice(1);
      const c = openMetaCache({ endpoint: ${JSON.stringify(ENDPOINT)}, bucket: ${JSON.stringify(BUCKET)}, enabled: true, dir, flushEvery: 25 });
      const md5 = (k) => createHash('md5').update(k).digest('hex');
      for (let i = 0; i < 600; i++) {
        for (const key of ['d/' + who + '-' + i, 'd/both-' + i]) {
          c.record(key, { size: key.length, etag: '"' + md5(key) + '"', lastModifiedMs: ${T}, mtime: BigInt(key.length) * 1000n + BigInt(i), md5: md5(key) });
        }
        // Let the flushes run between records, so that the two processes' writes interleave.
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await c.close();
    `;
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, who, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
      p.on('error', reject);
      p.on('exit', resolve);
    });
  }

  /** The shard d/ as the children left it, every entry checked against its key. */
  function checkedShard(): Map<string, unknown> {
    const file = shardFile('d/');
    const entries = parseShard(readFileSync(file, 'utf8'), 'd/');
    expect(entries).toBeDefined();
    const md5 = (k: string) => createHash('md5').update(k).digest('hex');
    for (const [leaf, e] of entries!) {
      const key = `d/${leaf}`;
      const i = Number(leaf.split('-')[1]);
      expect(e.size).toBe(key.length);
      expect(e.etag).toBe(md5(key));
      expect(e.md5).toBe(md5(key));
      expect(e.mtime).toBe(BigInt(key.length) * 1000n + BigInt(i));
    }
    expect(readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    return entries!;
  }

  it('merges into what another process wrote before', async () => {
    expect(await child('a')).toBe(0);
    expect(await child('b')).toBe(0);
    expect(checkedShard().size).toBe(1800);
  });

  it('marks a shard it reads as recently used, for the size bound', async () => {
    let c = open();
    c.record('d/x', { size: 1, etag: ETAG, lastModifiedMs: T, mtime: 4n });
    c = await reopen(c);
    const old = Date.now() / 1000 - 3 * 86_400;
    utimesSync(shardFile('d/'), old, old);
    expect(await c.lookup('d/x', 1, ETAG, T)).toBeDefined();
    expect(statSync(shardFile('d/')).mtimeMs).toBeGreaterThan(Date.now() - 86_400_000);
  });

  it('stays valid when two processes write the same shard at once, keeping only correct entries', async () => {
    expect(await Promise.all([child('a'), child('b')])).toEqual([0, 0]);
    // Entries may be lost (each process's last merge can miss the other's latest), never wrong.
    expect(checkedShard().size).toBeGreaterThan(0);
    const c = open();
    for (const who of ['a', 'b', 'both']) {
      for (let i = 0; i < 600; i += 7) {
        const key = `d/${who}-${i}`;
        const tag = createHash('md5').update(key).digest('hex');
        const hit = await c.lookup(key, key.length, `"${tag}"`, T);
        if (hit) expect(hit.mtime).toBe(BigInt(key.length) * 1000n + BigInt(i));
      }
    }
  });
});
