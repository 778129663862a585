/**
 * Temporary files of local downloads (`.nclone-<token>-<pid>-<n>.partial`) across
 * interrupts and crashes: never listed, removed when a run is interrupted (even by a second
 * Ctrl-C), and those a killed run left are removed by the next run that writes into their
 * directory, while a live writer's are kept. Real `bin/nclone` processes, real signals.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run, type RunResult } from './helpers/run.js';
import { Readable } from 'node:stream';
import { ConfigMap } from '../src/fs/configmap.js';
import { FsError } from '../src/fs/errors.js';
import { localBackend } from '../backends/local/index.js';
import { newFs } from '../backends/local/fs.js';
import { STALE_MS, isLeftover, isTempName, tempName } from '../backends/local/tempfiles.js';

let base: string;
let env: NodeJS.ProcessEnv;
let n = 0;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-local-temp-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const TEMP = /^\.nclone-.*\.partial$/;

/** Every path below dir (relative), hidden files included. */
function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}
const temps = (dir: string) => allFiles(dir).filter((p) => TEMP.test(path.basename(p)));

/** A source tree: one big file (slow under --bwlimit) and a few small ones. */
function source(bigMiB = 40): string {
  const dir = path.join(base, `src${++n}`);
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(dir, 'sub', 'big.bin'), randomBytes(bigMiB * 1024 * 1024));
  for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `small${i}.txt`), `small ${i}\n`);
  return dir;
}

/** The files of a tree with their contents' sizes and bytes, to compare two trees. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of allFiles(dir)) {
    const p = path.join(dir, rel);
    if (statSync(p).isFile()) out[rel] = readFileSync(p).toString('base64');
  }
  return out;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts `nclone -vv ARGS` and hands over the child once it has logged its first line. */
function start(args: string[]): { child: Promise<ChildProcess>; done: Promise<RunResult> } {
  let give: (c: ChildProcess) => void;
  const child = new Promise<ChildProcess>((r) => (give = r));
  const done = run('node', [NCLONE, '-vv', ...args], env, { timeoutMs: 90_000, onStderr: (_t, c) => give(c) });
  return { child, done };
}

/** The temporary file of the download in dst, once it holds some data. */
const partialIn = (dir: string) => () => {
  const t = existsSync(dir) ? temps(dir) : [];
  return t.length > 0 && statSync(path.join(dir, t[0]!)).size > 0 ? t[0]! : undefined;
};

/** A pid no process has now (one that just exited). */
function deadPid(): number {
  // spawnSync returns once the child has exited and been reaped (no zombie left to answer kill(pid, 0)).
  return Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
}

describe('kill -9 in the middle of a download', () => {
  it('leaves a .partial that ls never shows, and the rerun converges and removes it', async () => {
    const src = source();
    const dst = path.join(base, `dst${n}`);
    const { child, done } = start(['copy', '--bwlimit', '4M', src, dst]);
    const c = await child;
    const partial = await waitFor('the .partial file', partialIn(path.join(dst, 'sub')));
    // List the destination while the temporary file is there (before and after).
    const ls = await run('node', [NCLONE, 'ls', dst], env, { timeoutMs: 30_000 });
    expect(existsSync(path.join(dst, 'sub', partial)), 'still being written after ls').toBe(true);
    c.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(ls.code).toBe(0);
    expect(ls.stdout).not.toMatch(/nclone|partial/);
    expect(ls.stdout).toMatch(/small0\.txt/);
    // The dead run's file is there...
    expect(temps(dst)).toEqual([path.join('sub', partial)]);
    expect(existsSync(path.join(dst, 'sub', 'big.bin'))).toBe(false);
    // ...and not in what ls shows afterwards either.
    const ls2 = await run('node', [NCLONE, 'lsl', dst], env, { timeoutMs: 30_000 });
    expect(ls2.stdout).not.toMatch(/nclone|partial/);

    const again = await run('node', [NCLONE, 'copy', '-v', src, dst], env, { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${path.join('sub', partial)}: Deleted a temporary file left by an interrupted run`);
    expect(temps(dst)).toEqual([]);
    expect(snapshot(dst)).toEqual(snapshot(src));
  }, 120_000);
});

describe('the sweep before the first write into a directory', () => {
  it("removes a dead writer's temp files, keeps a live writer's, and never copies either", async () => {
    const src = path.join(base, `sweep-src${++n}`);
    const dst = path.join(base, `sweep-dst${n}`);
    mkdirSync(src);
    mkdirSync(dst);
    writeFileSync(path.join(src, 'new.txt'), 'new');
    // A dead process's file, named the way nclone names them (this host, that pid).
    const dead = tempName().replace(/-\d+-(\w+)\.partial$/, `-${deadPid()}-$1.partial`);
    // A live one's: this test process stands for a concurrent nclone still writing.
    const live = tempName();
    // Old-style name (no pid), changed just now: kept until it is an hour old.
    const oldStyle = '.nclone-0123abcd-5.partial';
    for (const name of [dead, live, oldStyle]) writeFileSync(path.join(dst, name), 'half a file');
    // A temp file in the source is not copied either.
    writeFileSync(path.join(src, '.nclone-0123abcd-0.partial'), 'not data');

    const o = await run('node', [NCLONE, 'sync', '-v', src, dst], env, { timeoutMs: 60_000 });
    expect(o.code, o.stderr).toBe(0);
    expect(allFiles(dst)).toEqual([live, oldStyle, 'new.txt'].sort());
    // A sync deletes extraneous files: the hidden ones are not extraneous files.
    expect(o.stderr).not.toMatch(/Deleted\b(?! a temporary)/);
  }, 60_000);

  it('tells leftovers from live files by pid, host, and the time they last changed', () => {
    const now = Date.now();
    const before = { ctimeMs: now - 60_000, mtimeMs: 0 };
    const stale = { ctimeMs: now - STALE_MS - 1000, mtimeMs: 0 };
    const dead = tempName().replace(/-\d+-(\w+)\.partial$/, `-${deadPid()}-$1.partial`);
    const live = tempName().replace(/-\d+-(\w+)\.partial$/, `-${process.ppid}-$1.partial`);
    const otherHost = dead.replace(/^\.nclone-..../, (m) => `.nclone-${m.slice(8) === '0000' ? 'ffff' : '0000'}`);
    expect(isLeftover(dead, before, now)).toBe(true);
    expect(isLeftover(live, before, now)).toBe(false);
    expect(isLeftover(live, stale, now)).toBe(true);
    expect(isLeftover(otherHost, before, now)).toBe(false);
    expect(isLeftover(otherHost, stale, now)).toBe(true);
    expect(isLeftover('.nclone-0123abcd-5.partial', before, now)).toBe(false);
    expect(isLeftover('.nclone-0123abcd-5.partial', stale, now)).toBe(true);
    // This process's own files, and anything changed since it started, are never leftovers.
    expect(isLeftover(tempName(), stale, now)).toBe(false);
    expect(isLeftover(dead, { ctimeMs: now, mtimeMs: 0 }, now)).toBe(false);
    expect(isLeftover('big.bin', stale, now)).toBe(false);
    expect(isTempName(tempName())).toBe(true);
  });
});

describe('a temporary file removed while it is written', () => {
  // Larger than what put hands whole to the worker thread (object.ts SMALL_FILE): the file
  // is then written as the data comes, and can be taken away in the middle.
  it('(another nclone took it for a leftover) fails that write as retryable, not as a missing directory', async () => {
    const root = path.join(base, `stolen${++n}`);
    mkdirSync(root);
    const fs = (await newFs('local', root, new ConfigMap(localBackend.options, []))).fs;
    let sent = 0;
    const data = new Readable({
      read() {
        if (sent === 4) {
          for (const t of temps(root)) rmSync(path.join(root, t));
          return this.push(null);
        }
        sent++;
        setTimeout(() => this.push(Buffer.alloc(96 * 1024, 1)), 5);
      },
    });
    const err = await fs.put(data, { remote: 'file', size: 4 * 96 * 1024, modTime: 0n }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsError);
    expect({ kind: (err as FsError).kind, retry: (err as FsError).retry }).toEqual({ kind: 'other', retry: 'retryable' });
    expect((err as Error).message).toMatch(/temporary file .* was removed while being written/);
    expect(allFiles(root)).toEqual([]);
  });
});

describe('Fs.cleanup', () => {
  it('removes the leftovers anywhere under the root, keeps live ones, and only reports with dryRun', async () => {
    const root = path.join(base, `cleanup${++n}`);
    mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
    const dead = (i: number) => tempName().replace(/-\d+-(\w+)\.partial$/, `-${deadPid()}-${i}.partial`);
    const leftovers = [dead(1), path.join('a', dead(2)), path.join('a', 'b', dead(3))];
    const live = path.join('a', tempName());
    for (const p of [...leftovers, live, 'a/b/keep.txt']) writeFileSync(path.join(root, p), 'x');
    // Files written before this test process started are what a real cleanup sees; here
    // they were written just now, so cleanup runs in a fresh process.
    const script = `
      const { ConfigMap } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/src/fs/configmap.js', import.meta.url)))});
      const { localBackend } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/backends/local/index.js', import.meta.url)))});
      const { newFs } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/backends/local/fs.js', import.meta.url)))});
      const { fs } = await newFs('local', ${JSON.stringify(root)}, new ConfigMap(localBackend.options, []));
      await fs.cleanup({ dryRun: process.argv[1] === 'dry' });`;
    const dry = await run('node', ['--input-type=module', '-e', script, 'dry'], env, { timeoutMs: 30_000 });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr.match(/Skipped delete of a temporary file/g)).toHaveLength(3);
    expect(allFiles(root).filter((p) => TEMP.test(path.basename(p)))).toHaveLength(4);
    const wet = await run('node', ['--input-type=module', '-e', script, 'wet'], env, { timeoutMs: 30_000 });
    expect(wet.code, wet.stderr).toBe(0);
    expect(allFiles(root)).toEqual(['a', live, 'a/b', 'a/b/keep.txt'].sort());
    // And in this process (which started before the files were made) nothing is removed.
    const fs = (await newFs('local', root, new ConfigMap(localBackend.options, []))).fs;
    writeFileSync(path.join(root, dead(4)), 'x');
    await fs.cleanup!();
    expect(allFiles(root)).toHaveLength(5);
  }, 60_000);
});

describe('signals during a local download', () => {
  const expectNoTemps = (dst: string) => expect(existsSync(dst) ? temps(dst) : []).toEqual([]);

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`one ${sig}: the transfer stops, its temp file is removed, the summary prints, exit 7`, async () => {
      const src = source(24);
      const dst = path.join(base, `dst${n}`);
      const { child, done } = start(['copy', '--bwlimit', '4M', src, dst]);
      const c = await child;
      await waitFor('the .partial file', partialIn(path.join(dst, 'sub')));
      c.kill(sig);
      const o = await done;
      expect({ code: o.code, signal: o.signal, timedOut: o.timedOut }, o.stderr.slice(-2000)).toEqual({ code: 7, signal: null, timedOut: false });
      expect(o.stderr).toContain(`received ${sig}`);
      expect(o.stderr).toMatch(/Transferred: [^]*Elapsed time: /);
      expect(o.stderr).toMatch(new RegExp(`Failed to copy with \\d+ errors?: last error was: interrupted by ${sig}`));
      expectNoTemps(dst);
      expect(existsSync(path.join(dst, 'sub', 'big.bin'))).toBe(false);
    }, 60_000);
  }

  it('a second SIGINT quits at once (130), and the temp files of the downloads are still removed', async () => {
    const src = source(24);
    for (let i = 1; i < 4; i++) writeFileSync(path.join(src, 'sub', `big${i}.bin`), randomBytes(16 * 1024 * 1024));
    const dst = path.join(base, `dst${n}`);
    let stopping = false;
    let child: ChildProcess | undefined;
    let seen = '';
    const done = run('node', [NCLONE, '-vv', 'copy', '--transfers', '4', '--bwlimit', '8M', src, dst], env, {
      timeoutMs: 60_000,
      onStderr: (text, c) => {
        child = c;
        seen += text;
        // The second one as soon as the first has been taken in.
        if (!stopping && seen.includes('received SIGINT')) {
          stopping = true;
          c.kill('SIGINT');
        }
      },
    });
    await waitFor('the downloads', () => (existsSync(path.join(dst, 'sub')) && temps(dst).length >= 4 ? true : undefined));
    child!.kill('SIGINT');
    const o = await done;
    expect({ code: o.code, signal: o.signal }, o.stderr.slice(-2000)).toEqual({ code: 130, signal: null });
    expect(o.stderr).not.toMatch(/Elapsed time/);
    expectNoTemps(dst);
  }, 60_000);

  it('a process that exits while downloads are being written removes their temp files (the exit hook)', async () => {
    // What a second Ctrl-C does: process.exit() at once, the writers' own cleanup never runs.
    const dst = path.join(base, `exit-dst${++n}`);
    const script = `
      const { Readable } = await import('node:stream');
      const { readdirSync } = await import('node:fs');
      const { ConfigMap } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/src/fs/configmap.js', import.meta.url)))});
      const { localBackend } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/backends/local/index.js', import.meta.url)))});
      const { newFs } = await import(${JSON.stringify(fileURLToPath(new URL('../dist/backends/local/fs.js', import.meta.url)))});
      const { fs } = await newFs('local', ${JSON.stringify(dst)}, new ConfigMap(localBackend.options, []));
      const endless = () => new Readable({ read() { setTimeout(() => this.push(Buffer.alloc(4096, 1)), 1); } });
      for (const name of ['a/one', 'a/two', 'b/three']) fs.put(endless(), { remote: name, size: 1 << 30, modTime: 0n }).catch(() => {});
      const timer = setInterval(() => {
        let names = [];
        try { names = readdirSync(${JSON.stringify(dst)}, { recursive: true }).map(String).filter((p) => p.endsWith('.partial')); } catch {}
        if (names.length === 3) { console.log(names.join('\\n')); process.exit(130); }
      }, 5);`;
    const o = await run('node', ['--input-type=module', '-e', script], env, { timeoutMs: 30_000 });
    expect(o.code, o.stderr).toBe(130);
    expect(o.stdout.trim().split('\n')).toHaveLength(3);
    expect(temps(dst)).toEqual([]);
  }, 60_000);
});
