/**
 * Small local files are read whole and written (temporary name, times, rename) by a worker
 * thread (backends/local/worker.ts). What they do must be what the ordinary asynchronous
 * path does: the same bytes and times, the same checks before a file takes its name, the
 * same errors, nothing left behind; and a whole copy with the worker on must be the copy
 * made with it off (NCLONE_LOCAL_WORKER=0).
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, promises as fsp, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap } from '../src/fs/configmap.js';
import { FsError } from '../src/fs/errors.js';
import type { Fs, Obj, SrcInfo } from '../src/fs/types.js';
import { localBackend } from '../backends/local/index.js';
import { newFs } from '../backends/local/fs.js';
import { LocalObject, SMALL_FILE } from '../backends/local/object.js';
import { workerReady } from '../backends/local/worker.js';
import { TokenBucket } from '../src/accounting/stream.js';
import { copyObject } from '../src/operations/copy.js';
import { makeCtx } from './sync/helpers.js';
import { childEnv, nclone } from './cli/run.js';

let base = '';
let n = 0;

beforeAll(async () => {
  // What the worker does is under test: start it and wait (by default the first few requests go the ordinary way).
  expect(await workerReady()).toBe(true);
  base = await fsp.mkdtemp(path.join(tmpdir(), 'nclone-worker-'));
});
afterAll(async () => {
  await fsp.rm(base, { recursive: true, force: true });
});

async function freshFs(): Promise<{ fs: Fs; root: string }> {
  const root = path.join(base, `fs${++n}`);
  mkdirSync(root);
  return { fs: (await newFs('local', root, new ConfigMap(localBackend.options, []))).fs, root };
}

/** Every file under dir, relative, temporary files included. */
function allFiles(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(dir, path.join(under, e.name)) : [path.join(under, e.name)],
  );
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const T = 1_700_000_000_123_456_789n;

describe('put of a small file (written by the worker)', () => {
  it('stores the bytes and the time (floored to the microsecond), remembers the hash, leaves no temporary file', async () => {
    const { fs, root } = await freshFs();
    const body = Buffer.from('hello, worker');
    const obj = await fs.put(Readable.from([body.subarray(0, 5), body.subarray(5)]), { remote: 'a/b/c.txt', size: body.length, modTime: T }, { hashes: ['md5'] });
    expect(readFileSync(path.join(root, 'a/b/c.txt'))).toEqual(body);
    expect(lstatSync(path.join(root, 'a/b/c.txt'), { bigint: true }).mtimeNs).toBe(1_700_000_000_123_456_000n);
    expect(obj.size).toBe(body.length);
    expect(await obj.modTime()).toBe(1_700_000_000_123_456_000n);
    expect(await obj.hash('md5')).toBe(md5(body));
    expect(allFiles(root)).toEqual(['a/b/c.txt']);
  });

  it('writes an empty file and replaces an existing one', async () => {
    const { fs, root } = await freshFs();
    writeFileSync(path.join(root, 'x'), 'old contents');
    await fs.put(Readable.from([]), { remote: 'x', size: 0, modTime: T }, {});
    expect(statSync(path.join(root, 'x')).size).toBe(0);
    await fs.put(Readable.from([Buffer.from('new')]), { remote: 'x', size: 3, modTime: -1_000_000_000n }, {});
    expect(readFileSync(path.join(root, 'x'), 'utf8')).toBe('new');
    expect(lstatSync(path.join(root, 'x'), { bigint: true }).mtimeNs).toBe(-1_000_000_000n);
    expect(allFiles(root)).toEqual(['x']);
  });

  for (const [what, chunks, size] of [
    ['fewer bytes than the size', [Buffer.alloc(10)], 11],
    ['more bytes than the size', [Buffer.alloc(10), Buffer.alloc(10)], 15],
  ] as const) {
    it(`refuses ${what} before anything is written`, async () => {
      const { fs, root } = await freshFs();
      const err = await fs.put(Readable.from(chunks), { remote: 'f', size, modTime: T }, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FsError);
      expect((err as FsError).retry).toBe('retryable');
      expect((err as Error).message).toBe(`f: corrupted on transfer: expected ${size} bytes, got ${chunks.reduce((s, c) => s + c.length, 0)}`);
      expect(allFiles(root)).toEqual([]);
    });
  }

  it('refuses data whose hash is not the one the source declared', async () => {
    const { fs, root } = await freshFs();
    const err = await fs.put(Readable.from([Buffer.from('abc')]), { remote: 'f', size: 3, modTime: T, hashes: { md5: md5(Buffer.from('abd')) } }, {}).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^f: corrupted on transfer: md5 hashes differ/);
    expect(allFiles(root)).toEqual([]);
  });

  // The same failures on the worker (small) and on the ordinary path (larger than SMALL_FILE).
  for (const size of [100, SMALL_FILE + 1]) {
    it(`fails as the ordinary path does where a directory has the name (${size} bytes), and cleans up`, async () => {
      const { fs, root } = await freshFs();
      mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
      const err = await fs.put(Readable.from([Buffer.alloc(size, 1)]), { remote: 'd', size, modTime: T }, {}).catch((e: unknown) => e);
      expect({ kind: (err as FsError).kind, message: (err as Error).message }).toEqual({ kind: 'isDir', message: `write ${path.join(root, 'd')}: is a directory, not a file` });
      // No file anywhere (no temporary one either), and the directory as it was.
      expect(allFiles(root)).toEqual([]);
      expect(readdirSync(path.join(root, 'd'))).toEqual(['sub']);
    });
  }
});

describe('open of a small file (read by the worker)', () => {
  const read = async (s: Readable) => {
    const parts: Buffer[] = [];
    for await (const c of s) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };

  it('gives the whole file, and one byte more when it grew since it was listed', async () => {
    const { fs, root } = await freshFs();
    writeFileSync(path.join(root, 'f'), 'abcdef');
    const obj = await fs.newObject('f');
    expect((await read(await obj.open())).toString()).toBe('abcdef');
    writeFileSync(path.join(root, 'f'), 'abcdefghij');
    expect((await read(await obj.open())).toString()).toBe('abcdefg');
    expect((await read(await obj.open({ start: 2, end: 3 }))).toString()).toBe('cd');
  });

  it('fails as the ordinary path does when the file is gone, or is now a directory', async () => {
    const { fs, root } = await freshFs();
    writeFileSync(path.join(root, 'f'), 'x');
    const obj = await fs.newObject('f');
    await fsp.rm(path.join(root, 'f'));
    const gone = await obj.open().catch((e: unknown) => e);
    expect({ kind: (gone as FsError).kind, message: (gone as Error).message }).toEqual({ kind: 'objectNotFound', message: `open ${path.join(root, 'f')}: object not found` });
    mkdirSync(path.join(root, 'f'));
    const dir = await obj.open().catch((e: unknown) => e);
    expect({ kind: (dir as FsError).kind, message: (dir as Error).message }).toEqual({ kind: 'isDir', message: `read ${path.join(root, 'f')}: is a directory, not a file` });
  });

  it('stops at once when the signal has fired', async () => {
    const { fs, root } = await freshFs();
    writeFileSync(path.join(root, 'f'), 'x');
    const obj = await fs.newObject('f');
    const ac = new AbortController();
    ac.abort(new Error('stop here'));
    await expect(obj.open({ signal: ac.signal })).rejects.toThrow('stop here');
  });
});

describe('a copy with the worker is the copy without it', () => {
  it('same files, bytes, times, messages and exit code (nclone copy, local to local)', async () => {
    const src = path.join(base, 'tree');
    for (let i = 0; i < 60; i++) {
      const p = path.join(src, `d${i % 6}`, `f${i}.bin`);
      mkdirSync(path.dirname(p), { recursive: true });
      writeFileSync(p, Buffer.alloc(i === 59 ? SMALL_FILE + 10 : i * 37, i));
      utimesSync(p, 1_600_000_000 + i, 1_600_000_000 + i + 0.25);
    }
    const home = path.join(base, 'home');
    mkdirSync(home, { recursive: true });
    const copy = (worker: string) => nclone(['copy', '-v', src, path.join(base, `out-${worker}`)], { env: childEnv(home, { NCLONE_LOCAL_WORKER: worker }) });
    const on = await copy('all'); // every call on the worker, the first few too
    const off = await copy('0');
    expect(on.code, on.stderr).toBe(0);
    expect(off.code, off.stderr).toBe(0);
    const messages = (err: string) => err.split('\n').map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '').replace(/[\d.]+ ?\w*B\/s|Elapsed time:.*|\d+(\.\d+)?(ms|s)\b/g, '')).sort();
    expect(messages(on.stderr)).toEqual(messages(off.stderr));
    const tree = (root: string) =>
      allFiles(root)
        .sort()
        .map((p) => {
          const st = lstatSync(path.join(root, p), { bigint: true });
          return [p, st.size, st.mtimeNs, md5(readFileSync(path.join(root, p)))];
        });
    expect(tree(path.join(base, 'out-all'))).toEqual(tree(path.join(base, 'out-0')));
    expect(tree(path.join(base, 'out-all')).map(([p, size, mtime, sum]) => [p, size, mtime, sum])).toEqual(
      tree(src).map(([p, size, mtime, sum]) => [p, size, ((mtime as bigint) / 1000n) * 1000n, sum]),
    );
    expect(existsSync(path.join(base, 'out-all', 'd5', 'f59.bin'))).toBe(true);
  });
});

describe('putFrom: a small local file copied by the worker in one request', () => {
  /** A source file of the given bytes in a fresh Fs, as listed; its time has nanoseconds (GNU touch sets them). */
  async function source(body: Buffer, time = '1650000000.123456789'): Promise<{ obj: Obj; root: string }> {
    const { fs, root } = await freshFs();
    mkdirSync(path.join(root, 'in'));
    writeFileSync(path.join(root, 'in', 'f'), body);
    execFileSync('touch', ['-m', '-d', `@${time}`, path.join(root, 'in', 'f')]);
    return { obj: await fs.newObject('in/f'), root };
  }
  const infoOf = (obj: Obj, remote = 'out/deep/g'): SrcInfo => ({ remote, size: obj.size, modTime: 0n });
  /** A destination Fs that has already written a file (seed) into dir: putFrom takes only directories it knows. */
  async function destination(dir = 'out/deep'): Promise<{ fs: Fs; root: string }> {
    const d = await freshFs();
    await d.fs.put(Readable.from([Buffer.from('seed')]), { remote: path.posix.join(dir, 'seed'), size: 4, modTime: T }, {});
    return d;
  }

  it('writes the bytes and the time (floored to the microsecond), remembers the hash, leaves no temporary file', async () => {
    const body = Buffer.from('copied in one request');
    const { obj } = await source(body);
    expect(await obj.modTime()).toBe(1_650_000_000_123_456_789n);
    const { fs, root } = await destination();
    const copy = await fs.putFrom!(obj, infoOf(obj), { hashes: ['md5'] });
    expect(copy).toBeInstanceOf(LocalObject);
    expect(readFileSync(path.join(root, 'out/deep/g'))).toEqual(body);
    expect(lstatSync(path.join(root, 'out/deep/g'), { bigint: true }).mtimeNs).toBe(1_650_000_000_123_456_000n);
    expect([copy!.size, await copy!.modTime()]).toEqual([body.length, 1_650_000_000_123_456_000n]);
    expect(allFiles(root).sort()).toEqual(['out/deep/g', 'out/deep/seed']);
    // The hash is the one of the bytes written, remembered: not read back from the file.
    writeFileSync(path.join(root, 'out/deep/g'), Buffer.alloc(body.length, 0x2e));
    expect(await copy!.hash('md5')).toBe(md5(body));
  });

  it('declines the first file into a directory it has not written to, making no directory', async () => {
    const { obj } = await source(Buffer.from('x'));
    const { fs, root } = await destination('other');
    expect(await fs.putFrom!(obj, infoOf(obj), {})).toBeUndefined();
    expect(allFiles(root)).toEqual(['other/seed']);
    expect(readdirSync(root)).toEqual(['other']);
  });

  for (const [what, now] of [
    ['grew', 'abcdefgh'],
    ['shrank', 'abc'],
  ] as const) {
    it(`refuses a source that ${what} since it was listed, retryably, with nothing written`, async () => {
      const { obj, root: srcRoot } = await source(Buffer.from('abcdef'));
      writeFileSync(path.join(srcRoot, 'in', 'f'), now);
      const { fs, root } = await destination();
      const err = await fs.putFrom!(obj, infoOf(obj), {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FsError);
      expect({ retry: (err as FsError).retry, message: (err as Error).message }).toEqual({
        retry: 'retryable',
        message: `out/deep/g: corrupted on transfer: expected 6 bytes, got ${Math.min(now.length, 7)}`,
      });
      expect(allFiles(root)).toEqual(['out/deep/seed']);
    });
  }

  it('fails as open does when the source is gone, and as put does where a directory has the name', async () => {
    const { obj, root: srcRoot } = await source(Buffer.from('x'));
    const { fs, root } = await destination('');
    mkdirSync(path.join(root, 'd', 'sub'), { recursive: true });
    const taken = await fs.putFrom!(obj, infoOf(obj, 'd'), {}).catch((e: unknown) => e);
    expect({ kind: (taken as FsError).kind, message: (taken as Error).message }).toEqual({ kind: 'isDir', message: `write ${path.join(root, 'd')}: is a directory, not a file` });
    await fsp.rm(path.join(srcRoot, 'in', 'f'));
    const gone = await fs.putFrom!(obj, infoOf(obj, 'g'), {}).catch((e: unknown) => e);
    expect({ kind: (gone as FsError).kind, message: (gone as Error).message }).toEqual({ kind: 'objectNotFound', message: `open ${path.join(srcRoot, 'in', 'f')}: object not found` });
    expect(allFiles(root).sort()).toEqual(['seed']);
    expect(readdirSync(path.join(root, 'd'))).toEqual(['sub']);
  });

  it('ends with the signal reason, nothing written, when the signal fired before it or while it runs', async () => {
    const { obj, root: srcRoot } = await source(Buffer.from('abc'));
    const { fs, root } = await destination();
    const ac = new AbortController();
    ac.abort(new Error('stop here'));
    await expect(fs.putFrom!(obj, infoOf(obj), { signal: ac.signal })).rejects.toThrow('stop here');
    await fsp.rm(path.join(srcRoot, 'in', 'f'));
    const late = new AbortController();
    const failing = fs.putFrom!(obj, infoOf(obj), { signal: late.signal }).catch((e: unknown) => e);
    late.abort(new Error('stopped meanwhile'));
    expect(((await failing) as Error).message).toBe('stopped meanwhile');
    expect(allFiles(root)).toEqual(['out/deep/seed']);
  });

  it('declines, writing nothing, what put must take: a large file, metadata to set, declared hashes, a symlink, another kind of object', async () => {
    const { obj: big } = await source(Buffer.alloc(SMALL_FILE + 1, 7));
    const { obj: small, root: srcRoot } = await source(Buffer.from('small'));
    symlinkSync('f', path.join(srcRoot, 'in', 'link'));
    const asLinks = (await newFs('local', srcRoot, new ConfigMap(localBackend.options, [{ source: 'test', values: { links: 'true' } }]))).fs;
    const link = await asLinks.newObject('in/link.rclonelink');
    const { fs, root } = await destination();
    const other = { ...small, fs: small.fs, remote: small.remote, size: small.size } as Obj;
    expect(await fs.putFrom!(big, infoOf(big), {})).toBeUndefined();
    expect(await fs.putFrom!(small, { ...infoOf(small), metadata: { mode: '0600' } }, {})).toBeUndefined();
    expect(await fs.putFrom!(small, { ...infoOf(small), hashes: { md5: md5(Buffer.from('small')) } }, {})).toBeUndefined();
    expect(await fs.putFrom!(link, infoOf(link), {})).toBeUndefined();
    expect(await fs.putFrom!(other, infoOf(small), {})).toBeUndefined();
    expect(allFiles(root)).toEqual(['out/deep/seed']);
  });

  it('is what copyObject uses for a local file into a local Fs, counting its bytes, also over a file; not with --bwlimit or a hard --max-transfer', async () => {
    const body = Buffer.from('counted once');
    const { obj } = await source(body);
    const { fs, root } = await destination('');
    const taken: string[] = [];
    const putFrom = fs.putFrom!.bind(fs);
    fs.putFrom = async (src, info, options) => {
      const r = await putFrom(src, info, options);
      if (r) taken.push(info.remote);
      return r;
    };
    const ctx = makeCtx();
    const copy = await copyObject(ctx, fs, undefined, 'a', obj);
    expect([taken, ctx.stats.bytes, ctx.stats.transfers, await copy!.hash('md5')]).toEqual([['a'], body.length, 1, md5(body)]);
    const limited = { ...makeCtx(), bwlimit: new TokenBucket(1 << 20) };
    await copyObject(limited, fs, undefined, 'b', obj);
    const capped = makeCtx({ maxTransfer: 1 << 20, cutoffMode: 'hard' });
    await copyObject(capped, fs, undefined, 'c', obj);
    expect([taken, limited.stats.bytes, capped.stats.bytes]).toEqual([['a'], body.length, body.length]);
    expect(allFiles(root).sort()).toEqual(['a', 'b', 'c', 'seed']);
    for (const f of ['b', 'c']) expect(readFileSync(path.join(root, f))).toEqual(body);
    // A file replacing one: the same path, and what is returned is the new file.
    const { obj: newer } = await source(Buffer.from('newer contents'), '1700000000');
    const replaced = await copyObject(ctx, fs, await fs.newObject('a'), 'a', newer);
    expect([taken, readFileSync(path.join(root, 'a'), 'utf8'), replaced!.size, await replaced!.modTime(), ctx.stats.bytes]).toEqual([
      ['a', 'a'],
      'newer contents',
      14,
      1_700_000_000n * 1_000_000_000n,
      body.length + 14,
    ]);
    expect(allFiles(root).sort()).toEqual(['a', 'b', 'c', 'seed']);
  });
});
