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

describe('what the display draws', () => {
  // Local names can hold any byte but / and NUL; this one would turn the terminal red.
  const evil = 'big\x1b[31mred\nname.bin';

  it('never a made-up total, and names with control characters escaped', async () => {
    const dir = path.join(base, 'evil-src');
    mkdirSync(dir);
    writeFileSync(path.join(dir, evil), Buffer.alloc(1536 * 1024, 7));
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, `small${i}`), 'x');
    const home = path.join(base, `home${++n}`);
    mkdirSync(home);
    const go = path.join(base, `go${n}`);
    const raw = path.join(base, `raw${n}`);
    term = new TmuxProgram(cleanEnv(home, { TERM: 'xterm-256color' }));
    // The program waits until the pane's output is being recorded, so the first frame is in it.
    const script = `while [ ! -e "$1" ]; do sleep 0.05; done; shift; exec "$@"`;
    await term.start(['sh', '-c', script, 'sh', go, 'node', NCLONE, 'sync', dir, path.join(base, `dst${n}`), '-P', '-v', '--bwlimit', '512K'], base);
    await promisify(execFile)('tmux', ['-L', term.socket, 'pipe-pane', '-t', 'w', '-o', `cat >> '${raw}'`]);
    writeFileSync(go, '');
    expect(await term.exitCode(60_000)).toBe(0);
    await vi.waitFor(() => expect(existsSync(raw) && readFileSync(raw, 'latin1')).toContain('[exit status 0]'));
    const out = readFileSync(raw, 'latin1');
    // Frames were drawn while the big file was running, naming it escaped.
    expect(out).toMatch(/ \* big\\x1b\[31mred\\nname\.bin: \d+% of 1\.500 MiB/);
    expect(out).toContain('INFO  : big\\x1b[31mred\\nname.bin: Copied (new)');
    // The display moves the cursor and erases, and writes nothing else a name could bring.
    expect(out).not.toContain('\x1b[31m');
    expect(out.replace(/\x1b\[(\?25[lh]|\?7[lh]|\d*A|J)/g, '')).not.toMatch(/[\x1b\x07]/);
    // Before the sizes are known the first frame showed "0 B / 1 B".
    expect(out).not.toMatch(/ \/ 1 B\b/);
  }, 90_000);
});

describe('a second Ctrl-C', () => {
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
    // SIGINT every millisecond until nclone is gone: the first starts the orderly stop, a
    // later one lands while it is under way (signals sent at once would merge into one;
    // Ctrl-C typed in the pane would also stop the shell that reports the exit status).
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 5000 && alive(); i++) {
      process.kill(pid, 'SIGINT');
      await new Promise((r) => setTimeout(r, 1));
    }
    // Read from the raw output: without a line break after the last frame the shell's
    // "[exit status N]" lands at the end of that line, where exitCode() does not look.
    await vi.waitFor(() => expect(existsSync(raw) && readFileSync(raw, 'latin1')).toMatch(/\[exit status \d+\]/), { timeout: 30_000 });
    const out = readFileSync(raw, 'latin1');
    expect(/\[exit status (\d+)\]/.exec(out)![1]).toBe('130');
    expect(out).toContain('received SIGINT, stopping transfers');
    const hidden = out.lastIndexOf('\x1b[?25l');
    expect(hidden).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('\x1b[?25h', hidden), 'the cursor was left hidden').toBeGreaterThan(hidden);
  }, 90_000);
});
