/**
 * The -P display over the stats of real transfers: the sync engine copies local directories
 * in this process at a --bwlimit rate, and the display writes to a stream that records each
 * write and when it came, a terminal's (isTTY, 100 columns) or a pipe's. Then -P through
 * bin/nclone with stderr a pipe, as under cron (the terminal is in progress-pty.test.ts).
 */
import cliProgress from 'cli-progress';
import { afterEach, describe, expect, it } from 'vitest';
import { Progress, type ProgressOptions } from '../src/accounting/progress.js';
import { NCLONE, cleanEnv, run } from './helpers/run.js';
import { TokenBucket } from '../src/accounting/stream.js';
import { configureLog } from '../src/lib/log.js';
import { runSync } from '../src/sync/sync.js';
import { localFs, makeCtx, pair, removeTmpDirs, tmpDir } from './sync/helpers.js';

interface Write {
  at: number;
  text: string;
}

/** What a terminal or a pipe was sent, write by write. */
class Recorder {
  readonly writes: Write[] = [];

  constructor(
    readonly isTTY: boolean,
    readonly columns = 100,
  ) {}

  write(text: string): boolean {
    this.writes.push({ at: Date.now(), text });
    return true;
  }

  get text(): string {
    return this.writes.map((w) => w.text).join('');
  }
}

interface Run {
  ms: number;
  /** The writes that drew the totals line: one per frame. */
  frames: Write[];
}

const KiB = 1024;

/**
 * Copies `files` at `rate` bytes a second with the display on `out`; `lastLog` is logged just
 * before the display stops, after the last frame drawn on schedule.
 */
async function copyWithProgress(files: Record<string, Buffer>, out: Recorder, rate: number, options: ProgressOptions = {}, lastLog?: string): Promise<Run> {
  const { src, dst } = pair(files);
  const ctx = makeCtx({ transfers: 4 });
  ctx.bwlimit = new TokenBucket(rate);
  const progress = new Progress(ctx.stats, out as unknown as NodeJS.WriteStream, 4, options);
  configureLog({ level: 'INFO', sink: (line) => progress.log(line) });
  const started = Date.now();
  progress.start();
  try {
    await runSync(ctx, { fsrc: (await localFs(src)).fs, fdst: (await localFs(dst)).fs, mode: 'copy' });
    if (lastLog) progress.log(lastLog);
  } finally {
    progress.stop();
    configureLog({ level: 'NOTICE', sink: undefined });
  }
  expect(ctx.stats.errors).toBe(0);
  return { ms: Date.now() - started, frames: out.writes.filter((w) => HEAD.test(w.text)) };
}

afterEach(() => removeTmpDirs());

const HEAD = /\| files \d+\/\d+, checks \d+\/\d+/;
const COPIED = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO  : (\S+): Copied \(new\)$/;

/** The gaps between frames drawn on schedule: not the first (at start) nor the last two (stop draws one, then the last). */
function scheduledGaps(frames: Write[]): number[] {
  const at = frames.slice(0, -2).map((f) => f.at);
  return at.slice(2).map((t, i) => t - at[i + 1]!);
}

describe('when the stream is not a terminal', () => {
  it('writes plain lines every plainEveryMs, and the log lines between them whole and as they come', async () => {
    const out = new Recorder(false);
    const run = await copyWithProgress({ 'a.bin': Buffer.alloc(768 * KiB, 1), 'b.bin': Buffer.alloc(768 * KiB, 2) }, out, 512 * KiB, { plainEveryMs: 300 });
    const text = out.text;
    // No escape sequence, no title: a file or a pipe gets text.
    expect(text).not.toMatch(/[\x1b\x07]/);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    const heads = lines.filter((l) => HEAD.test(l));
    const transfers = lines.filter((l) => l.startsWith(' * '));
    const copied = lines.flatMap((l) => COPIED.exec(l)?.[1] ?? []);
    // Nothing else: every line is a totals line, a transfer line, a log line, or the blank line after a block.
    expect(lines.filter((l) => l !== '' && !HEAD.test(l) && !l.startsWith(' * ') && !COPIED.test(l)), text).toEqual([]);
    expect(copied.sort()).toEqual(['a.bin', 'b.bin']);
    for (const l of transfers) expect(l).toMatch(/^ \* [ab]\.bin: \d+% of 768\.000 KiB, [\d.]+ \S+\/s, ETA \S+$/);
    const pcts = transfers.map((l) => Number(/: (\d+)%/.exec(l)![1]));
    expect(pcts.some((p) => p > 0 && p < 100), text).toBe(true);
    // Each block ends with a blank line, but the last, which is the final state.
    expect(lines.at(-1)).toMatch(/^100% \| 1\.500 MiB \/ 1\.500 MiB, .* \| files 2\/2, checks 0\/0$/);
    // About two seconds at 512 KiB/s (the first 512 KiB pass at once): a block every 300 ms, not more often.
    expect(heads.length).toBe(run.frames.length);
    expect(run.frames.length).toBeGreaterThanOrEqual(3);
    expect(run.frames.length).toBeLessThanOrEqual(Math.ceil(run.ms / 300) + 3);
    for (const gap of scheduledGaps(run.frames)) expect(gap).toBeGreaterThanOrEqual(290);
  }, 30_000);
});

describe('in a terminal', () => {
  const long = `${'long-name-'.repeat(15)}.bin`;

  it('draws at most four frames a second, each in one write, lines cut to the width, and a line logged at the end before the last frame', async () => {
    const out = new Recorder(true, 100);
    const run = await copyWithProgress({ 'a.bin': Buffer.alloc(768 * KiB, 1), [long]: Buffer.alloc(768 * KiB, 2) }, out, 512 * KiB, {}, 'the last line\n');
    const text = out.text;
    // One totals line per write: a frame is never split across writes, nor two in one.
    for (const f of run.frames) expect(f.text.match(new RegExp(HEAD.source, 'g'))).toHaveLength(1);
    expect(run.frames.length).toBeGreaterThanOrEqual(3);
    expect(run.frames.length).toBeLessThanOrEqual(Math.ceil(run.ms / 250) + 3);
    for (const gap of scheduledGaps(run.frames)) expect(gap).toBeGreaterThanOrEqual(240);
    // Every line the display draws (from column 1 to the erase of the rest) fits in 99 columns.
    const drawn = [...text.matchAll(/\x1b\[1G([^\x1b]*)\x1b\[0K/g)].map((m) => m[1]!);
    const longLines = drawn.filter((l) => l.startsWith(' * long-name-'));
    expect(longLines.length).toBeGreaterThan(0);
    for (const l of longLines) expect(l).toHaveLength(99);
    for (const l of drawn) expect(l.length).toBeLessThanOrEqual(99);
    // The line logged after the last frame on schedule is written, whole, before the final frame.
    const last = text.lastIndexOf('the last line\n');
    expect(last).toBeGreaterThan(-1);
    expect(text.slice(last)).toMatch(/\| files 2\/2, checks 0\/0\x1b\[0K\n\x1b\[\?7h$/);
    // Autowrap is on while log lines are written (a long one wraps, whole) and off for the display.
    expect(text.slice(text.lastIndexOf('\x1b[?7', last), last)).toMatch(/^\x1b\[\?7h[^\x1b]*(\x1b\[2K)?[^\x1b]*$/);
    // The cursor is shown again after it was hidden.
    expect(text.indexOf('\x1b[?25h', text.lastIndexOf('\x1b[?25l'))).toBeGreaterThan(-1);
    // --progress-terminal-title was not given.
    expect(text).not.toContain('\x1b]');
  }, 30_000);

  it('with the title option, puts the percentage and ETA in the title, and clears it at the end', async () => {
    const out = new Recorder(true, 100);
    await copyWithProgress({ 'a.bin': Buffer.alloc(768 * KiB, 1) }, out, 512 * KiB, { title: true });
    const titles = [...out.text.matchAll(/\x1b\]0;([^\x07\x1b]*)\x07/g)].map((m) => m[1]!);
    const pcts = titles.flatMap((t) => /^nclone (\d+)%, ETA \S+$/.exec(t)?.[1] ?? []).map(Number);
    expect(pcts.some((p) => p > 0 && p < 100), titles.join('\n')).toBe(true);
    expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
    // Written when it changes, not with every frame.
    for (let i = 1; i < titles.length; i++) expect(titles[i]).not.toBe(titles[i - 1]);
    expect(titles.at(-1)).toBe('');
  }, 30_000);

  it('leaves the title alone on a stream that is not a terminal', async () => {
    const out = new Recorder(false);
    await copyWithProgress({ 'a.bin': Buffer.alloc(256 * KiB, 1) }, out, 512 * KiB, { title: true, plainEveryMs: 200 });
    expect(out.text).toMatch(HEAD);
    expect(out.text).not.toMatch(/[\x1b\x07]/);
  }, 30_000);
});

/** An object that answers like the array for what cli-progress does with it (push, length, [i], indexOf, find), and for nothing else. */
function notAnArray(list: unknown[]): object {
  return new Proxy({}, {
    get: (_target, key) => {
      if (key === 'length') return list.length;
      if (typeof key === 'string' && /^\d+$/.test(key)) return list[Number(key)];
      if (key === 'push' || key === 'indexOf' || key === 'find') return (list[key] as (...a: unknown[]) => unknown).bind(list);
      return undefined;
    },
  });
}

describe('if cli-progress is not what the display expects', () => {
  it('a list of lines that is not the one of 3.12.0: the lines of ended transfers stay, blank; nothing throws', async () => {
    const out = new Recorder(true, 100);
    // cli-progress's list of lines made another kind of object, as a new version's internals
    // could be: the display can't cut lines from it. cli-progress itself only pushes, counts,
    // indexes and finds in it, so it still works.
    const proto = cliProgress.MultiBar.prototype as unknown as { create: (...args: unknown[]) => unknown };
    const create = proto.create;
    proto.create = function (this: { bars: unknown }, ...args: unknown[]) {
      if (Array.isArray(this.bars)) this.bars = notAnArray(this.bars);
      return create.apply(this, args);
    };
    try {
      const drawn = await copyWithProgress({ 'a.bin': Buffer.alloc(768 * KiB, 1), 'b.bin': Buffer.alloc(256 * KiB, 2) }, out, 512 * KiB);
      expect(drawn.frames.length).toBeGreaterThanOrEqual(3);
    } finally {
      proto.create = create;
    }
    // The line of a transfer stays once the transfer has ended, empty (with the list of
    // 3.12.0 it is cut: the last frame is the totals alone).
    const lines = [...out.text.matchAll(/\x1b\[1G([^\x1b\n]*)\x1b\[0K/g)].map((m) => m[1]!);
    expect(lines.some((l) => l.startsWith(' * a.bin: '))).toBe(true);
    expect(lines.slice(-2)).toEqual([expect.stringMatching(/^100% \| .* \| files 2\/2, checks 0\/0$/), '']);
  }, 30_000);

  it('an error while a frame is made does not come out of its timer: the display goes on', async () => {
    const out = new Recorder(false);
    const { src, dst } = pair({ 'a.bin': Buffer.alloc(256 * KiB, 1) });
    const ctx = makeCtx({ transfers: 4 });
    const progress = new Progress(ctx.stats, out as unknown as NodeJS.WriteStream, 4, { plainEveryMs: 100 });
    progress.start();
    try {
      // The stats answer with a throw for a moment (as a bug in the display's own code would).
      const real = ctx.stats.transferring;
      Object.defineProperty(ctx.stats, 'transferring', { configurable: true, get: () => { throw new Error('broken'); } });
      expect(() => progress.render()).not.toThrow();
      Object.defineProperty(ctx.stats, 'transferring', { configurable: true, value: real });
      await runSync(ctx, { fsrc: (await localFs(src)).fs, fdst: (await localFs(dst)).fs, mode: 'copy' });
    } finally {
      progress.stop();
    }
    expect(out.text).toMatch(/^100% \| 256\.000 KiB \/ 256\.000 KiB, .* \| files 1\/1, checks 0\/0$/m);
  }, 30_000);
});

describe('nclone -P with stderr a pipe (as under cron)', () => {
  const env = () => cleanEnv(tmpDir('home'));

  it('plain lines, no escape sequence, every second; the log lines and the final stats as without -P', async () => {
    const { src, dst } = pair({ 'a.bin': Buffer.alloc(1024 * KiB, 1), 'b.bin': Buffer.alloc(1024 * KiB, 2) });
    const r = await run('node', [NCLONE, 'copy', src, dst, '-P', '-v', '--bwlimit', '1M'], env(), { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x1b\x07\r]/);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => HEAD.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^ \* [ab]\.bin: \d+% of 1\.000 MiB, /.test(l))).toBe(true);
    expect(lines.filter((l) => / INFO  : [ab]\.bin: Copied \(new\)$/.test(l))).toHaveLength(2);
    expect(r.stderr).toMatch(/^100% \| 2\.000 MiB \/ 2\.000 MiB, .* \| files 2\/2, checks 0\/0\n\S+ \S+ INFO  : \nTransferred: /m);
  }, 60_000);

  it('with --use-json-log: no display at all, so every line stays one JSON object', async () => {
    const { src, dst } = pair({ 'a.bin': Buffer.alloc(512 * KiB, 1) });
    const r = await run('node', [NCLONE, 'copy', src, dst, '-P', '-v', '--use-json-log', '--bwlimit', '256K'], env(), { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const objects = r.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objects.map((o) => o.msg)).toContain('Copied (new)');
    expect(objects.at(-1)).toMatchObject({ stats: { transfers: 1, bytes: 512 * KiB } });
  }, 60_000);
});
