/**
 * Deletion safety through the real command line (bin/nclone on dist/): the empty-source
 * refusal and its exit code 11, --max-delete-size (exit 7), -i asked in a real terminal
 * (tmux) and refused without one, and --retries-sleep in the runner's retry loop.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, expectOneLineError, lines, nclone, BIN, type Result } from './cli/run.js';
import { TmuxProgram } from './pty/tmux.js';
import { pathToFileURL } from 'node:url';
import type { CommandDef } from '../src/cli/command.js';

// The runner is run from dist/, as bin/nclone runs it (it finds package.json from there),
// with dist's own error classes so that exit codes are decided as in a real run.
const dist = (rel: string) => pathToFileURL(path.join(path.dirname(BIN), '..', 'dist', rel)).href;
const { runCommand } = (await import(dist('src/cli/runner.js'))) as typeof import('../src/cli/runner.js');
const { fsError } = (await import(dist('src/fs/errors.js'))) as typeof import('../src/fs/errors.js');

const execFileP = promisify(execFile);

let base: string;
let home: string;
let env: NodeJS.ProcessEnv;
let counter = 0;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-deletion-'));
  home = path.join(base, 'home');
  mkdirSync(home);
  env = childEnv(home);
  if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A new directory holding the given files (name -> content). */
function tree(label: string, files: Record<string, string>): string {
  const dir = path.join(base, `${String(++counter).padStart(3, '0')}-${label}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), data);
  }
  return dir;
}

function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

const run = (args: string[]): Promise<Result> => nclone(args, { env });

describe('sync from an empty source', () => {
  it('deletes nothing and exits 11 with one line saying what to do; --allow-empty-source deletes', async () => {
    const src = tree('src', {});
    const dst = tree('dst', { 'a.txt': 'a', 'sub/b.txt': 'b' });
    const r = await run(['sync', src, dst]);
    const line = expectOneLineError(r, 11);
    expect(line).toBe(
      `nclone: not deleting anything: the source ${src} has no files (a wrong path? an unmounted disk?), so sync would delete all 2 files in ${dst}; pass --allow-empty-source if this is intended`,
    );
    expect(files(dst)).toEqual(['a.txt', 'sub/b.txt']);

    const allowed = await run(['sync', '--allow-empty-source', src, dst]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toBe('');
    expect(files(dst)).toEqual([]);
  });

  it('filters that exclude every source file are an empty source too', async () => {
    const src = tree('src', { 'a.jpg': 'a', 'b.jpg': 'b' });
    const dst = tree('dst', { 'old.txt': 'o' });
    const r = await run(['sync', '--include', '*.png', '--delete-excluded', src, dst]);
    expect(expectOneLineError(r, 11)).toMatch(/no file in the source .* passes the filters, so sync would delete all 1 file in .*; pass --allow-empty-source if this is intended$/);
    expect(files(dst)).toEqual(['old.txt']);
  });

  it('--dry-run tells the same: exit 11 and no "Skipped delete" line', async () => {
    const src = tree('src', {});
    const dst = tree('dst', { 'a.txt': 'a' });
    const r = await run(['sync', '--dry-run', src, dst]);
    expect(r.code, r.stderr).toBe(11);
    expect(r.stderr).toContain('pass --allow-empty-source if this is intended');
    expect(r.stderr).not.toContain('Skipped delete');
    expect(files(dst)).toEqual(['a.txt']);
  });

  it('NCLONE_ALLOW_EMPTY_SOURCE=true works like the flag', async () => {
    const src = tree('src', {});
    const dst = tree('dst', { 'a.txt': 'a' });
    const r = await nclone(['sync', src, dst], { env: childEnv(home, { NCLONE_ALLOW_EMPTY_SOURCE: 'true' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(files(dst)).toEqual([]);
  });
});

describe('--max-delete-size', () => {
  it('over the limit: fatal error, exit 7, nothing deleted; within it: deletes', async () => {
    const src = tree('src', { 'keep.txt': 'k' });
    const dst = tree('dst', { 'keep.txt': 'k', 'x1.bin': 'x'.repeat(600), 'x2.bin': 'x'.repeat(600) });
    const r = await run(['sync', '--max-delete-size', '1K', src, dst]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain('--max-delete-size threshold (1.000 KiB) reached: 2 files of 1.172 KiB in all to delete, so none were deleted');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(files(dst)).toEqual(['keep.txt', 'x1.bin', 'x2.bin']);

    const dry = await run(['sync', '-n', '--max-delete-size', '1K', src, dst]);
    expect(dry.code, dry.stderr).toBe(7);

    const enough = await run(['sync', '--max-delete-size', '2K', src, dst]);
    expect(enough.code, enough.stderr).toBe(0);
    expect(files(dst)).toEqual(['keep.txt']);
  });

  it('a bad size is a usage error naming the flag', async () => {
    const r = await run(['sync', '--max-delete-size', 'lots', tree('src', {}), tree('dst', {})]);
    expect(expectOneLineError(r, 1)).toContain('--max-delete-size');
  });
});

describe('--dry-run lists each delete', () => {
  it('one NOTICE line per file it would delete', async () => {
    const src = tree('src', { 'keep.txt': 'k' });
    const dst = tree('dst', { 'keep.txt': 'k', 'old1.txt': '1', 'old/2.txt': '22', 'old/3/4.txt': '333' });
    const r = await run(['sync', '-n', src, dst]);
    expect(r.code, r.stderr).toBe(0);
    const skipped = lines(r.stderr).filter((l) => / NOTICE: .*: Skipped delete as --dry-run is set/.test(l));
    expect(skipped.map((l) => / NOTICE: (.*): Skipped/.exec(l)![1]).sort()).toEqual(['old/2.txt', 'old/3/4.txt', 'old1.txt']);
    expect(files(dst)).toEqual(['keep.txt', 'old/2.txt', 'old/3/4.txt', 'old1.txt']);
  });
});

describe('-i/--interactive', () => {
  it('without a terminal it is a usage error, and nothing is done', async () => {
    const src = tree('src', { 'new.txt': 'n' });
    const dst = tree('dst', { 'a.txt': 'a' });
    // A new session has no controlling terminal, so /dev/tty can't be opened (as under cron).
    const r = await new Promise<Result>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'sync', '-i', src, dst], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    });
    expect(expectOneLineError(r, 1)).toBe('nclone: --interactive needs a terminal to ask its questions on, and there is none: run it from a terminal, or use --dry-run to see what would be done');
    expect(files(dst)).toEqual(['a.txt']);
  });

  describe('in a terminal', () => {
    let term: TmuxProgram | undefined;
    afterEach(async () => {
      await term?.stop();
      term = undefined;
    });

    const PROMPT = 'y/n/s/!/q>';
    const QUESTION = /^nclone: (\w[\w ]*) "(.*)"\?$/;

    /** Waits for question number n (1-based) to be open; returns its action and subject. */
    async function nextQuestion(t: TmuxProgram, n: number): Promise<{ action: string; subject: string }> {
      const screen = await t.waitUntil(`question ${n}`, (s) => {
        const ls = s.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
        return ls.filter((l) => QUESTION.test(l)).length === n && ls.at(-1) === PROMPT;
      });
      const asked = screen.split('\n').map((l) => l.trimEnd()).filter((l) => QUESTION.test(l)).at(-1)!;
      const m = QUESTION.exec(asked)!;
      return { action: m[1]!, subject: m[2]! };
    }

    async function type(t: TmuxProgram, text: string): Promise<void> {
      const tenv = childEnv(home, { TERM: 'xterm-256color' });
      if (text !== '') await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', '-l', '--', text], { env: tenv });
      await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', 'Enter'], { env: tenv });
    }

    it('asks before the copy and each delete, one at a time, and does what was answered', async () => {
      const src = tree('src', { 'new.txt': 'n' });
      const dst = tree('dst', { 'a.txt': 'a', 'b.txt': 'b' });
      term = new TmuxProgram(childEnv(home, { TERM: 'xterm-256color' }));
      await term.start([process.execPath, BIN, 'sync', '-i', src, dst], base);
      const asked: string[] = [];
      for (let n = 1; n <= 3; n++) {
        const q = await nextQuestion(term, n);
        asked.push(`${q.action} ${q.subject}`);
        await type(term, q.subject === 'a.txt' ? 'n' : 'y');
      }
      expect(await term.exitCode(30_000)).toBe(0);
      expect(asked).toEqual(['copy new.txt', 'delete a.txt', 'delete b.txt']);
      const screen = await term.screen();
      expect(screen).toContain('s) Skip all delete operations with no more questions');
      expect(screen).toMatch(/NOTICE: a\.txt: Skipped delete as --interactive is set/);
      expect(files(dst)).toEqual(['a.txt', 'new.txt']);
    });

    it('q stops the run at once: exit 7, nothing more deleted', async () => {
      const src = tree('src', { 'keep.txt': 'k' });
      const dst = tree('dst', { 'keep.txt': 'k', 'a.txt': 'a', 'b.txt': 'b' });
      term = new TmuxProgram(childEnv(home, { TERM: 'xterm-256color' }));
      await term.start([process.execPath, BIN, 'sync', '-i', src, dst], base);
      expect(await nextQuestion(term, 1)).toEqual({ action: 'delete', subject: 'a.txt' });
      await type(term, 'q');
      expect(await term.exitCode(30_000)).toBe(7);
      expect(await term.screen()).toContain('Quitting nclone now');
      expect(files(dst)).toEqual(['a.txt', 'b.txt', 'keep.txt']);
    });
  });
});

describe('--retries-sleep', () => {
  /** A transfer command that fails retryably every time, noting when each attempt starts. */
  function failing(starts: number[]): CommandDef {
    return {
      name: 'failtest',
      args: [],
      summary: '',
      description: '',
      transfers: true,
      run: async () => {
        starts.push(Date.now());
        throw fsError('other', 'connection reset (test)', { retry: 'retryable' });
      },
    };
  }
  const flags = (extra: Record<string, unknown>) => ({ config: path.join(base, 'no-such.conf'), quiet: true, ...extra });

  it('pauses that long between the attempts of the whole command', async () => {
    const starts: number[] = [];
    const code = await runCommand(failing(starts), [], flags({ retries: '3', retriesSleep: '300ms' }), {}, new AbortController().signal);
    expect(code).toBe(5);
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(295);
  });

  it('without it, the next attempt starts at once', async () => {
    const starts: number[] = [];
    await runCommand(failing(starts), [], flags({ retries: '3' }), {}, new AbortController().signal);
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeLessThan(250);
  });

  it('Ctrl-C ends the pause at once, as an interrupted run (exit 7)', async () => {
    const starts: number[] = [];
    const stop = new AbortController();
    const began = Date.now();
    const running = runCommand(failing(starts), [], flags({ retries: '3', retriesSleep: '1m' }), {}, stop.signal);
    setTimeout(() => stop.abort(fsError('other', 'interrupted by SIGINT', { retry: 'fatal' })), 200);
    expect(await running).toBe(7);
    expect(starts).toHaveLength(1);
    expect(Date.now() - began).toBeLessThan(5000);
  });

  it('a bad duration is a usage error naming the flag', async () => {
    const r = await run(['sync', '--retries-sleep', 'soon', tree('src', {}), tree('dst', {})]);
    expect(expectOneLineError(r, 1)).toContain('--retries-sleep');
  });
});
