/**
 * Local listings are made on a worker thread (backends/local/dirstat.ts). What it answers
 * must be what lstat says, and a listing through it must be exactly the listing made the
 * ordinary way (NCLONE_LOCAL_WORKER=0): the same entries, the same skipped names, the
 * same errors and exit code.
 */
import { lstatSync, mkdirSync, promises as fsp, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIR, FILE, GONE, OTHER, statDir } from '../backends/local/dirstat.js';
import { workerReady } from '../backends/local/worker.js';
import { childEnv, nclone } from './cli/run.js';

let root = '';
let home = '';
const BAD = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]); // "bad\xff.txt"

beforeAll(async () => {
  // What the worker answers is under test: start it and wait (by default the first few requests go the ordinary way).
  expect(await workerReady()).toBe(true);
  root = await fsp.mkdtemp(path.join(tmpdir(), 'nclone-dirstat-'));
  home = await fsp.mkdtemp(path.join(tmpdir(), 'nclone-dirstat-home-'));
  const t = path.join(root, 'tree');
  mkdirSync(path.join(t, 'sub', 'deeper'), { recursive: true });
  writeFileSync(path.join(t, 'a.txt'), 'hello');
  utimesSync(path.join(t, 'a.txt'), 1_600_000_000.5, 1_600_000_000.123456);
  writeFileSync(path.join(t, 'sub', 'b.bin'), Buffer.alloc(3000, 7));
  writeFileSync(path.join(t, 'sub', 'deeper', 'c'), '');
  writeFileSync(path.join(t, 'sub', '.nclone-0123abcd-42-1.partial'), 'not data yet');
  mkdirSync(path.join(t, '.nclone-0123abcd-42-2.partial')); // a directory may bear such a name
  writeFileSync(path.join(t, '.nclone-0123abcd-42-2.partial', 'inside'), 'x');
  symlinkSync('a.txt', path.join(t, 'link'));
  symlinkSync('missing', path.join(t, 'dangling'));
  writeFileSync(Buffer.concat([Buffer.from(path.join(t, 'sub') + '/'), BAD]), 'x');
  writeFileSync(path.join(t, 'ünïcödé ␀ name'), 'u');
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
  await fsp.rm(home, { recursive: true, force: true });
});

describe('statDir', () => {
  it('answers every entry with its raw name, and size and mtime as lstat gives them', async () => {
    const dir = path.join(root, 'tree', 'sub');
    const st = await statDir(dir, dir + '/');
    expect(st).toBeDefined();
    const got = new Map<string, { kind: number; size: number; mtime: bigint }>();
    for (let i = 0, start = 0; i < st!.kinds.length; start = st!.ends[i++]!) {
      got.set(st!.names.subarray(start, st!.ends[i]).toString('latin1'), { kind: st!.kinds[i]!, size: st!.sizes[i]!, mtime: st!.mtimes[i]! });
    }
    expect([...got.keys()].sort()).toEqual(['.nclone-0123abcd-42-1.partial', 'b.bin', 'bad\xff.txt', 'deeper']);
    for (const [name, e] of got) {
      const ls = lstatSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from(name, 'latin1')]), { bigint: true });
      expect(e.kind, name).toBe(ls.isDirectory() ? DIR : FILE);
      expect(e.mtime, name).toBe(ls.mtimeNs);
      if (e.kind === FILE) expect(e.size, name).toBe(Number(ls.size));
    }
    expect(got.get('b.bin')!.size).toBe(3000);
  });

  it('leaves symlinks to the caller, marked as such', async () => {
    const dir = path.join(root, 'tree');
    const st = (await statDir(dir, dir + '/'))!;
    const kinds = new Map<string, number>();
    for (let i = 0, start = 0; i < st.kinds.length; start = st.ends[i++]!) kinds.set(st.names.subarray(start, st.ends[i]).toString(), st.kinds[i]!);
    expect(kinds.get('link')).toBe(OTHER);
    expect(kinds.get('dangling')).toBe(OTHER);
    expect(kinds.get('a.txt')).toBe(FILE);
    expect([...kinds.values()]).not.toContain(GONE);
  });

  it('says nothing (the caller lists the ordinary way) for a directory it cannot read, or when the signal fired', async () => {
    expect(await statDir(path.join(root, 'nowhere'), path.join(root, 'nowhere') + '/')).toBeUndefined();
    expect(await statDir(path.join(root, 'tree', 'a.txt'), path.join(root, 'tree', 'a.txt') + '/')).toBeUndefined();
    const ac = new AbortController();
    ac.abort();
    expect(await statDir(path.join(root, 'tree'), path.join(root, 'tree') + '/', ac.signal)).toBeUndefined();
    const late = new AbortController();
    const pending = statDir(path.join(root, 'tree'), path.join(root, 'tree') + '/', late.signal);
    late.abort();
    expect(await pending).toBeUndefined();
    // The worker still answers afterwards.
    expect(await statDir(path.join(root, 'tree'), path.join(root, 'tree') + '/')).toBeDefined();
  });
});

describe('many listings queued behind the worker under one signal', () => {
  it('check of two trees of 40 directories: no listener warning, every file matched', async () => {
    for (const side of ['a', 'b']) {
      for (let d = 0; d < 40; d++) {
        mkdirSync(path.join(root, 'many', side, `d${d}`), { recursive: true });
        writeFileSync(path.join(root, 'many', side, `d${d}`, 'f'), `${d}`);
      }
    }
    const r = await nclone(['check', path.join(root, 'many', 'a'), path.join(root, 'many', 'b')], { env: childEnv(home) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('40 matching files');
    expect(r.stderr).not.toMatch(/Warning|listeners/i);
  });
});

describe('a listing made on the worker thread', () => {
  for (const flags of [[], ['--links'], ['--copy-links'], ['--skip-links']]) {
    it(`is the ordinary listing, entries, messages and exit code alike (lsjson -R ${flags.join(' ')})`, async () => {
      const run = (worker: string) => nclone(['lsjson', '-R', '--no-mimetype', ...flags, path.join(root, 'tree')], { env: childEnv(home, { NCLONE_LOCAL_WORKER: worker }) });
      // 'all': the child's first listings too (by default the first few don't wait for the worker).
      const [on, off] = await Promise.all([run('all'), run('0')]);
      const entries = (out: string) => (JSON.parse(out) as { Path: string }[]).sort((a, b) => (a.Path < b.Path ? -1 : 1));
      expect(entries(on.stdout)).toEqual(entries(off.stdout));
      const messages = (err: string) => err.split('\n').map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, '')).sort();
      expect(messages(on.stderr)).toEqual(messages(off.stderr));
      expect(on.code).toBe(off.code);
      // And it is the right listing: temporary files hidden, the bad name an error.
      const paths = entries(on.stdout).map((e) => e.Path);
      expect(paths).toContain('sub/b.bin');
      expect(paths).toContain('.nclone-0123abcd-42-2.partial/inside');
      expect(paths).not.toContain('sub/.nclone-0123abcd-42-1.partial');
      expect(paths).toContain('ünïcödé \u0000 name'); // ␀ on disk stands for NUL (encoding.ts)
      expect(on.stderr).toContain('bad\\xff.txt: the name is not valid UTF-8');
      expect(on.code).not.toBe(0);
    });
  }
});
