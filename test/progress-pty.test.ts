/**
 * `nclone sync -P -v` in a real terminal (tmux): every log line must reach the screen,
 * above the progress display, whole and in order, however fast the lines come, including
 * the ones logged just before the display stops.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TmuxProgram } from './pty/tmux.js';
import { NCLONE, cleanEnv } from './helpers/run.js';

let base: string;
let src: string;
let n = 0;
let term: TmuxProgram | undefined;
const FILES = 96;
const names = Array.from({ length: FILES }, (_, i) => `file-${String(i).padStart(3, '0')}.bin`);

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-progress-'));
  src = path.join(base, 'src');
  mkdirSync(src);
  names.forEach((name, i) => writeFileSync(path.join(src, name), Buffer.alloc(4096 + i * 512, i)));
});

afterEach(async () => {
  await term?.stop();
  term = undefined;
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs sync -P -v in a 200x50 terminal; returns the exit code and everything the screen and its history show. */
async function syncInTerminal(extra: string[]): Promise<{ code: number; screen: string }> {
  const home = path.join(base, `home${++n}`);
  mkdirSync(home);
  term = new TmuxProgram(cleanEnv(home, { TERM: 'xterm-256color' }));
  await term.start(['node', NCLONE, 'sync', src, path.join(base, `dst${n}`), '-P', '-v', ...extra], base);
  const code = await term.exitCode(60_000);
  return { code, screen: await term.screen() };
}

const COPIED = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO  : (file-\d{3}\.bin): Copied \(new\)$/;

function lastIndex(lines: string[], test: (l: string) => boolean): number {
  for (let i = lines.length - 1; i >= 0; i--) if (test(lines[i]!)) return i;
  return -1;
}

function copiedLines(screen: string): string[] {
  return screen.split('\n').flatMap((l) => {
    const m = COPIED.exec(l.trimEnd());
    return m ? [m[1]!] : [];
  });
}

describe('log lines with the progress display on', () => {
  it('a fast run shows every "Copied (new)" line, whole, above the final summary', async () => {
    const { code, screen } = await syncInTerminal([]);
    expect(code).toBe(0);
    const copied = copiedLines(screen);
    expect(copied.length, `lines on screen:\n${screen}`).toBe(FILES);
    expect([...copied].sort()).toEqual(names);
    // Lines were not garbled by the display: each one that mentions a file matches as a whole.
    expect(screen.split('\n').filter((l) => l.includes('Copied (new)')).length).toBe(FILES);
    const lines = screen.split('\n');
    const lastCopied = lastIndex(lines, (l) => COPIED.test(l.trimEnd()));
    const summary = lines.findIndex((l) => /^Transferred:\s+\d+ \/ \d+, 100%/.test(l));
    expect(summary).toBeGreaterThan(lastCopied);
  }, 90_000);

  it('a slow run (--bwlimit, one transfer at a time) shows them all in the order they were copied', async () => {
    const { code, screen } = await syncInTerminal(['--transfers', '1', '--bwlimit', '1M']);
    expect(code).toBe(0);
    // One transfer at a time copies in listing order, so that is the order of the lines.
    expect(copiedLines(screen), `lines on screen:\n${screen}`).toEqual(names);
    // The display was drawn (and left below the log lines).
    const lines = screen.split('\n');
    const bar = lastIndex(lines, (l) => / \| files \d+\/\d+/.test(l));
    expect(bar).toBeGreaterThan(lastIndex(lines, (l) => COPIED.test(l.trimEnd())));
  }, 90_000);
});

/**
 * Runs sync -P -v of dir in a 200x50 terminal and returns everything it wrote, escape
 * sequences included, and how long it ran. The program waits until the pane's output is
 * being recorded, so the first frame is in it.
 */
async function syncRecorded(dir: string, extra: string[]): Promise<{ code: number; out: string; ms: number }> {
  const home = path.join(base, `home${++n}`);
  mkdirSync(home);
  const go = path.join(base, `go${n}`);
  const raw = path.join(base, `raw${n}`);
  term = new TmuxProgram(cleanEnv(home, { TERM: 'xterm-256color' }));
  const script = `while [ ! -e "$1" ]; do sleep 0.05; done; shift; exec "$@"`;
  await term.start(['sh', '-c', script, 'sh', go, 'node', NCLONE, 'sync', dir, path.join(base, `dst${n}`), '-P', '-v', ...extra], base);
  await promisify(execFile)('tmux', ['-L', term.socket, 'pipe-pane', '-t', 'w', '-o', `cat >> '${raw}'`]);
  const started = Date.now();
  writeFileSync(go, '');
  const code = await term.exitCode(60_000);
  const ms = Date.now() - started;
  await vi.waitFor(() => expect(existsSync(raw) && readFileSync(raw, 'latin1')).toContain('[exit status '));
  return { code, out: readFileSync(raw, 'utf8'), ms };
}

/** The lines the display drew (from column 1 to the erase of the rest), frame by frame: each frame starts by erasing the last. */
function drawnFrames(out: string): string[][] {
  return out
    .split('\x1b[J')
    .slice(1)
    .map((frame) => [...frame.matchAll(/\x1b\[1G([^\x1b\n]*)\x1b\[0K/g)].map((m) => m[1]!));
}

describe('what the display draws', () => {
  // Local names can hold any byte but / and NUL; this one would turn the terminal red.
  const evil = 'big\x1b[31mred\nname.bin';

  it('never a made-up total, and names with control characters escaped', async () => {
    const dir = path.join(base, 'evil-src');
    mkdirSync(dir);
    writeFileSync(path.join(dir, evil), Buffer.alloc(1536 * 1024, 7));
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `small${i}`), 'x');
    const { code, out } = await syncRecorded(dir, ['--bwlimit', '512K']);
    expect(code).toBe(0);
    // Frames were drawn while the big file was running, naming it escaped.
    expect(out).toMatch(/ \* big\\x1b\[31mred\\nname\.bin: \d+% of 1\.500 MiB/);
    expect(out).toContain('INFO  : big\\x1b[31mred\\nname.bin: Copied (new)');
    // The display moves the cursor, erases, hides the cursor and turns autowrap off and on,
    // and writes nothing else a name could bring (nor a title, which was not asked for).
    expect(out).not.toContain('\x1b[31m');
    expect(out.replace(/\x1b\[(\?25[lh]|\?7[lh]|\d*[AGKJ])/g, '')).not.toMatch(/[\x1b\x07]/);
    // Before the sizes are known the first frame showed "0 B / 1 B".
    expect(out).not.toMatch(/ \/ 1 B\b/);
  }, 90_000);

  it('a line per running transfer with its percentage, cut to the width, a few frames a second', async () => {
    const dir = path.join(base, 'slow-src');
    mkdirSync(dir);
    const long = `${'long-name-'.repeat(24)}.bin`;
    for (const name of ['a.bin', 'b.bin', long]) writeFileSync(path.join(dir, name), Buffer.alloc(1024 * 1024, 3));
    // 3 MiB at 1 MiB/s, the first MiB at once: about two seconds.
    const { code, out, ms } = await syncRecorded(dir, ['--transfers', '3', '--bwlimit', '1M']);
    expect(code).toBe(0);
    const frames = drawnFrames(out);
    const pcts = new Map<string, number[]>();
    let both = false;
    for (const lines of frames) {
      const running = lines.flatMap((l) => {
        const m = /^ \* (a\.bin|b\.bin): (\d+)% of 1\.000 MiB, [\d.]+ \S+\/s, ETA \S+$/.exec(l);
        return m ? [[m[1]!, Number(m[2])] as const] : [];
      });
      for (const [name, pct] of running) pcts.set(name, [...(pcts.get(name) ?? []), pct]);
      if (running.length === 2) both = true;
      // The total is known from the first frame that shows a transfer: the listing was done.
      if (lines.some((l) => l.startsWith(' * '))) expect(lines[0]).toMatch(/\| files \d\/3, checks 0\/0$/);
    }
    expect(both, out).toBe(true);
    for (const name of ['a.bin', 'b.bin']) {
      const seen = pcts.get(name) ?? [];
      expect(seen.some((p) => p > 0 && p < 100), `${name}: ${seen.join(' ')}`).toBe(true);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
    }
    // The long name's line is cut at 199 of the 200 columns, never wrapped.
    const longLines = frames.flat().filter((l) => l.startsWith(' * long-name-'));
    expect(longLines.length).toBeGreaterThan(0);
    for (const l of longLines) expect(l).toHaveLength(199);
    for (const l of frames.flat()) expect(l.length).toBeLessThanOrEqual(199);
    // At most four frames a second (every frame draws one totals line), start and stop included.
    const heads = out.match(/\| files \d+\/\d+, checks/g) ?? [];
    expect(heads.length).toBeGreaterThanOrEqual(3);
    expect(heads.length, `${heads.length} frames in ${ms} ms`).toBeLessThanOrEqual(Math.ceil(ms / 250) + 3);
  }, 90_000);
});

describe('a second Ctrl-C (or SIGTERM)', () => {
  it('quits at once (exit 130) and shows the cursor the display had hidden', async () => {
    const dir = path.join(base, 'ctrl-c-src');
    mkdirSync(dir);
    for (let i = 0; i < 4; i++) writeFileSync(path.join(dir, `big${i}.bin`), Buffer.alloc(4 * 1024 * 1024, i));
    const home = path.join(base, `home${++n}`);
    mkdirSync(home);
    const go = path.join(base, `go${n}`);
    const raw = path.join(base, `raw${n}`);
    const pidFile = path.join(base, `pid${n}`);
    term = new TmuxProgram(cleanEnv(home, { TERM: 'xterm-256color' }));
    // The shell writes its pid and then becomes nclone (exec keeps the pid).
    const script = `while [ ! -e "$1" ]; do sleep 0.05; done; echo $$ > "$2"; shift 2; exec "$@"`;
    await term.start(['sh', '-c', script, 'sh', go, pidFile, 'node', NCLONE, 'sync', dir, path.join(base, `dst${n}`), '-P', '--bwlimit', '256K'], base);
    await promisify(execFile)('tmux', ['-L', term.socket, 'pipe-pane', '-t', 'w', '-o', `cat >> '${raw}'`]);
    writeFileSync(go, '');
    // The display is up (the cursor hidden) once a frame names a running transfer.
    await term.waitUntil('the progress display', (screen) => / \* big\d\.bin: \d+% of 4\.000 MiB/.test(screen), 30_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // A SIGINT and a SIGTERM that arrive together (nclone is stopped while both are sent):
    // the second finds the orderly stop of the first under way, however fast that stop is.
    // (Two SIGINTs would merge into one; Ctrl-C typed in the pane would also stop the shell
    // that reports the exit status.)
    for (const sig of ['SIGSTOP', 'SIGINT', 'SIGTERM', 'SIGCONT'] as const) process.kill(pid, sig);
    // Read from the raw output: without a line break after the last frame the shell's
    // "[exit status N]" lands at the end of that line, where exitCode() does not look.
    await vi.waitFor(() => expect(existsSync(raw) && readFileSync(raw, 'latin1')).toMatch(/\[exit status \d+\]/), { timeout: 30_000 });
    const out = readFileSync(raw, 'latin1');
    expect(/\[exit status (\d+)\]/.exec(out)![1]).toBe('130');
    expect(out).toMatch(/received SIG(INT|TERM), stopping transfers/);
    const hidden = out.lastIndexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('\x1b[?25h', hidden), 'the cursor was left hidden').toBeGreaterThan(hidden);
  }, 90_000);
});
