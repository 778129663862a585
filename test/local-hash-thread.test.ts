/**
 * Hashes of large local files on threads of their own (backends/local/hash-thread.ts): the
 * read-ahead of a multipart upload (whole MD5 and each part's) and the hash of a file being
 * written at offsets by a multi-stream download. Each must give exactly what hashing on the
 * main thread gives, see a file that changed since it was listed, stop on a signal, and
 * leave the caller to do the work itself when the thread fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { newFs } from '../backends/local/fs.js';
import { localBackend } from '../backends/local/index.js';
import { FollowHasher, hashFileParts, hashThreadsStarted, THREAD_HASH_MIN } from '../backends/local/hash-thread.js';
import { ConfigMap } from '../src/fs/configmap.js';
import { hashParts } from '../src/fs/hash.js';
import { ExitCode, exitCodeFor, isKind, isNoRetry, isRetryable } from '../src/fs/errors.js';
import type { Fs, Obj } from '../src/fs/types.js';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const PART = 5 * 1024 * 1024;

describe('local hashing threads', () => {
  let dir: string;
  let fs: Fs;
  // Larger than THREAD_HASH_MIN, and not a whole number of parts.
  const data = randomBytes(THREAD_HASH_MIN + 3 * PART + 12345);
  const partSums: string[] = [];
  for (let o = 0; o < data.length; o += PART) partSums.push(md5(data.subarray(o, o + PART)));

  beforeAll(async () => {
    dir = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-hash-thread-'));
    nfs.writeFileSync(path.join(dir, 'big.bin'), data);
    fs = (await newFs('local', dir, new ConfigMap(localBackend.options, []))).fs;
  });
  afterAll(() => nfs.rmSync(dir, { recursive: true, force: true }));

  it('a large file read ahead for an upload: the same whole MD5 and part MD5s as the main thread, from two threads', async () => {
    const obj = (await fs.newObject('big.bin')) as Obj;
    const before = hashThreadsStarted();
    const got = await obj.hashParts!('md5', PART);
    expect(hashThreadsStarted() - before).toBe(2);
    expect(got).toEqual({ whole: md5(data), parts: partSums });
    expect(await hashParts(obj, 'md5', PART)).toEqual(got);
    // The whole hash is remembered: asking again reads nothing.
    expect(await obj.hash('md5')).toBe(md5(data));
  });

  it('a small file stays on the main thread', async () => {
    nfs.writeFileSync(path.join(dir, 'small.bin'), data.subarray(0, 3 * PART + 1));
    const obj = (await fs.newObject('small.bin')) as Obj;
    const before = hashThreadsStarted();
    const got = await obj.hashParts!('md5', PART);
    expect(hashThreadsStarted()).toBe(before);
    expect(got.parts).toEqual(partSums.slice(0, 3).concat(md5(data.subarray(3 * PART, 3 * PART + 1))));
  });

  it('a file changed since it was listed (its mtime or its size) is an error, not hashes of other data; not retried against the same listing, but a new attempt may send it', async () => {
    const p = path.join(dir, 'changing.bin');
    nfs.writeFileSync(p, data);
    const obj = (await fs.newObject('changing.bin')) as Obj;
    const st = nfs.statSync(p);
    nfs.utimesSync(p, st.atime, new Date(st.mtimeMs + 5000));
    const err = await obj.hashParts!('md5', PART).catch((e: unknown) => e);
    expect(isKind(err, 'other')).toBe(true);
    expect(String(err)).toMatch(/changed since it was listed/);
    // The per-file retry would compare with the same listing again; --retries lists again.
    expect(isRetryable(err)).toBe(false);
    expect(isNoRetry(err)).toBe(false);
    expect(exitCodeFor(err)).toBe(ExitCode.uncategorized);
    // One byte more, the same (whole-second) mtime as listed.
    nfs.utimesSync(p, 1_600_000_000, 1_600_000_000);
    const obj2 = (await fs.newObject('changing.bin')) as Obj;
    nfs.appendFileSync(p, 'x');
    nfs.utimesSync(p, 1_600_000_000, 1_600_000_000);
    expect(await obj2.modTime()).toBe(nfs.statSync(p, { bigint: true }).mtimeNs);
    await expect(obj2.hashParts!('md5', PART)).rejects.toThrow(/changed since it was listed/);
  });

  it('a signal stops both threads and the call fails with it', async () => {
    const ac = new AbortController();
    const p = hashFileParts(path.join(dir, 'big.bin'), 'md5', PART, { size: data.length, mtime: 0n }, ac.signal);
    ac.abort(new Error('stopped by the test'));
    await expect(p).rejects.toThrow(/stopped by the test|interrupt/i);
  });

  it('a file that cannot be read is left to the caller (undefined), which then reports the real error', async () => {
    expect(await hashFileParts(path.join(dir, 'missing.bin'), 'md5', PART, { size: 1, mtime: 0n })).toBeUndefined();
  });

  it('following a file written out of order: the digests once everything before each point is written', async () => {
    const p = path.join(dir, 'follow.bin');
    const fd = nfs.openSync(p, 'w+');
    try {
      const h = FollowHasher.start(fd, ['md5', 'sha1'], data.length)!;
      expect(h).toBeDefined();
      const half = Math.floor(data.length / 2);
      // The second half first: nothing can be hashed until the first half is there.
      nfs.writeSync(fd, data, half, data.length - half, half);
      h.advance(0);
      nfs.writeSync(fd, data, 0, half, 0);
      h.advance(data.length);
      expect(await h.finish()).toEqual([md5(data), createHash('sha1').update(data).digest('hex')]);
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('following a file that turns out shorter than said: undefined (the writer then hashes it itself and fails)', async () => {
    const p = path.join(dir, 'short.bin');
    const fd = nfs.openSync(p, 'w+');
    try {
      nfs.writeSync(fd, data, 0, 1000, 0);
      const h = FollowHasher.start(fd, ['md5'], data.length)!;
      h.advance(1000);
      expect(await h.finish()).toBeUndefined();
    } finally {
      nfs.closeSync(fd);
    }
  });

  it('no more following threads than the cores (at least 2): past that the writer hashes on the main thread', async () => {
    const max = Math.max(2, os.availableParallelism());
    const fd = nfs.openSync(path.join(dir, 'many.bin'), 'w+');
    const running: FollowHasher[] = [];
    try {
      for (let i = 0; i < max; i++) running.push(FollowHasher.start(fd, ['md5'], 1)!);
      expect(running.every((h) => h !== undefined)).toBe(true);
      expect(FollowHasher.start(fd, ['md5'], 1)).toBeUndefined();
      await running.pop()!.stop();
      const again = FollowHasher.start(fd, ['md5'], 1);
      expect(again).toBeDefined();
      running.push(again!);
    } finally {
      await Promise.all(running.map((h) => h.stop()));
      nfs.closeSync(fd);
    }
  });

  it('a write that starts once abort has begun is refused (abort waits for the thread; the descriptor must not outlive it)', async () => {
    const w = await fs.openWriterAt!({ remote: 'w/aborted.bin', size: data.length, modTime: 1_600_000_000_000_000_000n, hashes: { md5: md5(data) } });
    await w.writeAt(data.subarray(0, 1024), 0);
    const aborting = w.abort();
    await expect(w.writeAt(data.subarray(1024, 2048), 1024)).rejects.toThrow(/already committed or aborted/);
    await aborting;
    await expect(w.commit()).rejects.toThrow(/already committed or aborted/);
    expect(nfs.existsSync(path.join(dir, 'w/aborted.bin'))).toBe(false);
  });

  it('a large file written at offsets is hashed on a thread: right MD5 commits, wrong MD5 fails and leaves nothing', async () => {
    const piece = 1024 * 1024;
    const write = async (hash: string, name: string) => {
      const w = await fs.openWriterAt!({ remote: name, size: data.length, modTime: 1_600_000_000_000_000_000n, hashes: { md5: hash } });
      const offsets: number[] = [];
      for (let o = 0; o < data.length; o += piece) offsets.push(o);
      // Two "streams": the second half's pieces, then the first half's.
      const mid = Math.floor(offsets.length / 2);
      for (const o of [...offsets.slice(mid), ...offsets.slice(0, mid)]) await w.writeAt(data.subarray(o, o + piece), o);
      return w.commit();
    };
    const before = hashThreadsStarted();
    const obj = await write(md5(data), 'w/ok.bin');
    expect(hashThreadsStarted() - before).toBe(1);
    expect(await obj.hash('md5')).toBe(md5(data));
    expect(nfs.readFileSync(path.join(dir, 'w/ok.bin')).equals(data)).toBe(true);
    await expect(write('0'.repeat(32), 'w/bad.bin')).rejects.toThrow(/md5 hashes differ/);
    expect(nfs.readdirSync(path.join(dir, 'w'))).toEqual(['ok.bin']);
  });
});
