/**
 * The local backend honours the call context every Fs and Obj method takes: a fired signal
 * stops the call (with the signal's reason), long reads stop when it fires, and entries
 * that cannot be read while listing go to the caller's report instead of a global.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMap } from '../src/fs/configmap.js';
import { FsError } from '../src/fs/errors.js';
import type { CallOptions, Fs, Obj } from '../src/fs/types.js';
import { localBackend } from '../backends/local/index.js';
import { newFs } from '../backends/local/fs.js';
import { T1, T2, pattern, putBytes, readAll, srcInfo, streamOf } from './conformance/helpers.js';

let dir = '';
let fs: Fs;

async function localFs(root: string, values: Record<string, string> = {}): Promise<Fs> {
  const layers = Object.keys(values).length > 0 ? [{ source: 'test', values }] : [];
  return (await newFs('local', root, new ConfigMap(localBackend.options, layers))).fs;
}

beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), 'nclone-local-ctx-'));
  fs = await localFs(dir);
});
afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

function aborted(reason?: unknown): CallOptions {
  const ac = new AbortController();
  ac.abort(reason);
  return { signal: ac.signal };
}

describe('a signal that already fired', () => {
  it('stops every Fs and Obj method at once with the signal reason, changing nothing', async () => {
    const obj = await putBytes(fs, 'd/file', 'content', T1);
    await fsp.mkdir(path.join(dir, 'empty'));
    const before = JSON.stringify(await fsp.readdir(dir, { recursive: true }));
    const reason = new Error('stop now');
    const o = () => aborted(reason);
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => fs.list('d', o())],
      ['newObject', () => fs.newObject('d/file', o())],
      ['put', () => fs.put(streamOf('new'), srcInfo('d/new', 3), o())],
      ['putStream', () => fs.putStream!(streamOf('new'), srcInfo('d/new2', -1), o())],
      ['mkdir', () => fs.mkdir('made', o())],
      ['rmdir', () => fs.rmdir('empty', o())],
      ['move', () => fs.move!(obj, 'moved', o())],
      ['purge', () => fs.purge!('d', o())],
      ['cleanup', () => fs.cleanup!(o())],
      ['modTime', () => obj.modTime(o())],
      ['hash', () => obj.hash('md5', o())],
      ['open', () => obj.open(o())],
      ['update', () => obj.update(streamOf('other'), srcInfo('d/file', 5, T2), o())],
      ['remove', () => obj.remove(o())],
      ['setModTime', () => obj.setModTime(T2, o())],
    ];
    for (const [name, call] of calls) await expect(call(), name).rejects.toBe(reason);
    expect(JSON.stringify(await fsp.readdir(dir, { recursive: true }))).toBe(before);
    expect((await fsp.stat(path.join(dir, 'd', 'file'), { bigint: true })).mtimeNs).toBe((T1 / 1000n) * 1000n);
  });

  it('without an Error as reason, throws a fatal FsError saying interrupted', async () => {
    for (const reason of ['just a string', undefined]) {
      const opts = aborted(reason);
      // AbortController.abort(undefined) gives a DOMException: not an Error subclass in every Node.
      const err = await fs.list('', opts).catch((e: unknown) => e);
      if (opts.signal!.reason instanceof Error) expect(err).toBe(opts.signal!.reason);
      else {
        expect(err).toBeInstanceOf(FsError);
        expect((err as FsError).retry).toBe('fatal');
        expect((err as FsError).message).toMatch(/interrupted/);
      }
    }
  });
});

describe('a signal that fires during a long operation', () => {
  let big: Obj;
  beforeEach(async () => {
    await fsp.writeFile(path.join(dir, 'big.bin'), pattern(32 * 1024 * 1024));
    big = await fs.newObject('big.bin');
  });

  it('stops reading a file, with the reason', async () => {
    const ac = new AbortController();
    const stream = await big.open({ signal: ac.signal });
    const reason = new Error('stopped while reading');
    let read = 0;
    const done = (async () => {
      for await (const chunk of stream) {
        read += (chunk as Buffer).length;
        if (read >= 1024 * 1024) ac.abort(reason);
      }
    })();
    await expect(done).rejects.toBe(reason);
    expect(read).toBeLessThan(8 * 1024 * 1024);
  });

  it('stops hashing a big file', async () => {
    const fresh = big; // no remembered hash: it must read the file
    const ac = new AbortController();
    const reason = new Error('stopped while hashing');
    setTimeout(() => ac.abort(reason), 2);
    await expect(fresh.hash('sha1', { signal: ac.signal })).rejects.toBe(reason);
  });

  it('stops writing, removes the temporary file and keeps the old file', async () => {
    await putBytes(fs, 'target', 'old');
    const ac = new AbortController();
    const reason = new Error('stopped while writing');
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 64 * 1024;
        if (sent === 1024 * 1024) setImmediate(() => ac.abort(reason));
        setImmediate(() => this.push(Buffer.alloc(64 * 1024, 1)));
      },
    });
    await expect(fs.put(endless, srcInfo('target', 1 << 30), { signal: ac.signal })).rejects.toBe(reason);
    expect((await fsp.readdir(dir)).sort()).toEqual(['big.bin', 'target']);
    expect(await fsp.readFile(path.join(dir, 'target'), 'utf8')).toBe('old');
  });
});

describe('listing reports what it skips through the call context', () => {
  it('an unreadable entry goes to report (subject and error), the rest is listed', async () => {
    await putBytes(fs, 'fine', 'f');
    await fsp.symlink('loop', path.join(dir, 'loop')); // followed with copy_links: ELOOP
    const following = await localFs(dir, { copy_links: 'true' });
    const reported: [string | undefined, unknown][] = [];
    const entries = await following.list('', { report: (subject, err) => reported.push([subject, err]) });
    expect(entries.map((e) => e.remote)).toEqual(['fine']);
    expect(reported).toHaveLength(1);
    expect(reported[0]![0]).toBe('loop');
    expect(reported[0]![1]).toBeInstanceOf(FsError);
    expect(String((reported[0]![1] as Error).message)).toMatch(/failed to read info of .*loop/);
  });

  it('the backend no longer reaches for the global stats', async () => {
    const source = await fsp.readFile(new URL('../backends/local/fs.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/accounting\/stats|currentStats/);
  });
});

describe('object names reserved for temporary files', () => {
  it('are never written, moved to, listed or found', async () => {
    const name = '.nclone-0123abcd-4242-0.partial';
    await expect(fs.put(streamOf('x'), srcInfo(`sub/${name}`, 1))).rejects.toMatchObject({ kind: 'invalidName' });
    const plain = await putBytes(fs, 'plain', 'p');
    await expect(fs.move!(plain, name)).rejects.toMatchObject({ kind: 'invalidName' });
    // A directory of that name is an ordinary directory (a path segment, never a temp file).
    await putBytes(fs, `${name}/inside`, 'in');
    expect((await fs.list('')).map((e) => e.remote).sort()).toEqual([name, 'plain'].sort());
    expect((await fs.list(name)).map((e) => e.remote)).toEqual([`${name}/inside`]);
    await fsp.rm(path.join(dir, name), { recursive: true });
    await fsp.writeFile(path.join(dir, name), 'someone else wrote this');
    expect((await fs.list('')).map((e) => e.remote)).toEqual(['plain']);
    await expect(fs.newObject(name)).rejects.toMatchObject({ kind: 'objectNotFound' });
    // Names that merely look alike are ordinary files.
    for (const ok of ['.nclone-0123abcd-0.partial.txt', 'nclone-0123abcd-0.partial', '.nclone-xyz-0.partial']) {
      await putBytes(fs, ok, 'ok');
      expect((await readAll(await (await fs.newObject(ok)).open())).toString()).toBe('ok');
    }
  });
});
