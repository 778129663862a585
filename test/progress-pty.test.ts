/**
 * `nclone sync -P -v` in a real terminal (tmux): every log line must reach the screen,
 * above the progress display, whole and in order, however fast the lines come, including
 * the ones logged just before the display stops.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
