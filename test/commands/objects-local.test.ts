/**
 * cat, rcat, copyto, touch and deletefile through the real command line on the local
 * backend, side by side with rclone 1.60 where the result is deterministic: stdout bytes,
 * exit codes, what is left on disk and its modification times. Needs a build (npx tsc -p .).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, NCLONE } from '../helpers/run.js';
import { TmuxProgram } from '../pty/tmux.js';
import { bytes, expectOneLine, expectQuietOk, messages, ncloneBin, runBin, type BinOptions, type BinResult } from './objects-helpers.js';

const execFileP = promisify(execFile);

let base: string;
let env: NodeJS.ProcessEnv;
let rcloneConf: string;
let counter = 0;

beforeAll(() => {
  if (!existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-objects-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'), { TZ: 'UTC' });
  rcloneConf = path.join(base, 'rclone.conf');
  writeFileSync(rcloneConf, '');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const nclone = (args: string[], opts: Partial<BinOptions> = {}): Promise<BinResult> => ncloneBin(args, { env, ...opts });
const rclone = (args: string[], opts: Partial<BinOptions> = {}): Promise<BinResult> => runBin('rclone', ['--config', rcloneConf, ...args], { env, ...opts });

/** A new directory holding the files (name -> content), each with the given mtime (seconds). */
function tree(label: string, files: Record<string, string | Buffer>, mtime = 1_600_000_000): string {
  const dir = path.join(base, `${String(++counter).padStart(3, '0')}-${label}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    const p = path.join(dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
    utimesSync(p, mtime, mtime);
  }
  return dir;
}

/** Every file below dir, '/' separated and sorted. */
function files(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

const mtimeNs = (p: string): bigint => statSync(p, { bigint: true }).mtimeNs;

/** Types text and Enter into the terminal, as a person answers. */
async function type(t: TmuxProgram, text: string): Promise<void> {
  const tenv = cleanEnv(path.join(base, 'home'), { TERM: 'xterm-256color' });
  await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', '-l', '--', text], { env: tenv });
  await execFileP('tmux', ['-u', '-L', t.socket, 'send-keys', '-t', 'w', 'Enter'], { env: tenv });
}

describe('cat', () => {
  const data = bytes(1000, 7);

  it('prints a file byte for byte, and each range as rclone does', async () => {
    const dir = tree('cat-ranges', { 'f.bin': data });
    const f = path.join(dir, 'f.bin');
    const cases: [string[], Buffer][] = [
      [[], data],
      [['--head', '10'], data.subarray(0, 10)],
      [['--tail', '10'], data.subarray(990)],
      [['--tail', '5000'], data],
      [['--offset', '100'], data.subarray(100)],
      [['--offset', '100', '--count', '17'], data.subarray(100, 117)],
      [['--offset', '-5'], data.subarray(995)],
      [['--offset', '-5', '--count', '2'], data.subarray(995, 997)],
      [['--offset', '-5000'], data],
      [['--count', '0'], Buffer.alloc(0)],
      [['--offset', '1000'], Buffer.alloc(0)],
    ];
    for (const [flags, want] of cases) {
      const [n, r] = await Promise.all([nclone(['cat', f, ...flags]), rclone(['cat', f, ...flags])]);
      expectQuietOk(n);
      expect(n.stdout.equals(want), `nclone cat ${flags.join(' ')}`).toBe(true);
      expect(n.stdout.equals(r.stdout), `rclone cat ${flags.join(' ')}`).toBe(true);
    }
  });

  it('prints every file below a directory in listing order, filters and --max-depth applied, as rclone', async () => {
    const dir = tree('cat-dir', { 'a.txt': 'A\n', 'b.log': 'B\n', 'c.txt': 'C\n', 'sub/d.txt': 'D\n', 'sub/e.log': 'E\n' });
    for (const flags of [[], ['--include', '*.txt'], ['--max-depth', '1'], ['--exclude', 'sub/**', '--head', '1']]) {
      const [n, r] = await Promise.all([nclone(['cat', dir, ...flags]), rclone(['cat', dir, ...flags])]);
      expectQuietOk(n);
      expect(n.stdout.toString(), flags.join(' ')).toBe(r.stdout.toString());
    }
    expect((await nclone(['cat', dir])).stdout.toString()).toBe('A\nB\nC\nD\nE\n');
  });

  it('a missing path exits 3 as rclone; bad or conflicting range flags are one line, exit 1', async () => {
    const dir = tree('cat-missing', { 'a.txt': 'a' });
    const [n, r] = await Promise.all([nclone(['cat', path.join(dir, 'nope')]), rclone(['cat', path.join(dir, 'nope')])]);
    expect(n.code).toBe(3);
    expect(r.code).toBe(3);
    expect(n.stdout.length).toBe(0);
    const both = await nclone(['cat', '--head', '2', '--tail', '2', path.join(dir, 'a.txt')]);
    expect(expectOneLine(both, 1)).toBe('nclone: can only use one of --head, --tail or --offset with --count');
    expect((await rclone(['cat', '--head', '2', '--tail', '2', path.join(dir, 'a.txt')])).code).toBe(1);
    expect(expectOneLine(await nclone(['cat', '--offset', '1k', path.join(dir, 'a.txt')]), 1)).toBe('nclone: --offset 1k: give a whole number of bytes, e.g. --offset 100');
  });

  it('--discard reads everything (so --max-transfer stops it, exit 8) and prints nothing', async () => {
    const dir = tree('cat-discard', { 'a.bin': bytes(300_000) });
    expectQuietOk(await nclone(['cat', '--discard', path.join(dir, 'a.bin')]));
    const limited = await nclone(['cat', '--discard', '--max-transfer', '100k', path.join(dir, 'a.bin')]);
    expect(limited.code, limited.stderr).toBe(8);
    expect(limited.stdout.length).toBe(0);
    expect(limited.stderr).toContain('max transfer limit reached as set by --max-transfer');
  });

  it('a reader that goes away (| head -c 1) ends it quietly with exit 0', async () => {
    const dir = tree('cat-pipe', { 'big.bin': bytes(8 * 1024 * 1024, 3) });
    const r = await nclone(['cat', path.join(dir, 'big.bin')], { closeStdoutEarly: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout.length).toBeLessThan(8 * 1024 * 1024);
  });

  it('any other output failure (a full disk) is one line, exit 2', async () => {
    const dir = tree('cat-full', { 'a.bin': bytes(100_000) });
    const fd = openSync('/dev/full', 'w');
    try {
      const r = await nclone(['cat', path.join(dir, 'a.bin')], { stdoutFd: fd });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe("nclone: can't write to standard output: ENOSPC: no space left on device, write\n");
    } finally {
      closeSync(fd);
    }
  });
});

describe('rcat', () => {
  it('stores a few MiB from stdin, with the time the command started as its mtime', async () => {
    const dir = tree('rcat-big', {});
    const data = bytes(3 * 1024 * 1024 + 17, 11);
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = await nclone(['rcat', '-v', path.join(dir, 'f.bin')], { stdin: data });
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr)).toEqual(['INFO  : f.bin: Copied (new)']);
    expect(readFileSync(path.join(dir, 'f.bin')).equals(data)).toBe(true);
    const t = mtimeNs(path.join(dir, 'f.bin'));
    expect(t >= before - 1_000_000n && t <= after, `${t} not in [${before}, ${after}]`).toBe(true);
    expect(files(dir)).toEqual(['f.bin']);
  });

  it('empty input makes an empty file, as rclone does; an existing file is replaced', async () => {
    const dir = tree('rcat-empty', { 'old.txt': 'old content' });
    const [n, r] = await Promise.all([nclone(['rcat', path.join(dir, 'n.txt')], { stdin: Buffer.alloc(0) }), rclone(['rcat', path.join(dir, 'r.txt')], { stdin: Buffer.alloc(0) })]);
    expectQuietOk(n);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(path.join(dir, 'n.txt')).size).toBe(0);
    expect(statSync(path.join(dir, 'r.txt')).size).toBe(0);
    expectQuietOk(await nclone(['rcat', path.join(dir, 'old.txt')], { stdin: Buffer.from('new') }));
    expect(readFileSync(path.join(dir, 'old.txt'), 'utf8')).toBe('new');
  });

  it('input under --streaming-upload-cutoff goes whole, input over it is streamed, both intact', async () => {
    const dir = tree('rcat-cutoff', {});
    const data = bytes(5000, 5);
    const small = await nclone(['rcat', '-vv', path.join(dir, 'small'), '--streaming-upload-cutoff', '8Ki'], { stdin: data });
    const streamed = await nclone(['rcat', '-vv', path.join(dir, 'streamed'), '--streaming-upload-cutoff', '1Ki'], { stdin: data });
    expect(small.code, small.stderr).toBe(0);
    expect(streamed.code, streamed.stderr).toBe(0);
    expect(small.stderr).toContain('small: Input is small (5000 bytes): uploading it whole instead of streaming');
    expect(streamed.stderr).not.toContain('Input is small');
    expect(readFileSync(path.join(dir, 'small')).equals(data)).toBe(true);
    expect(readFileSync(path.join(dir, 'streamed')).equals(data)).toBe(true);
  });

  it('--size: the right size is stored; shorter or longer input fails with one line and leaves nothing', async () => {
    const dir = tree('rcat-size', {});
    expectQuietOk(await nclone(['rcat', '--size', '5', path.join(dir, 'ok')], { stdin: Buffer.from('abcde') }));
    expect(readFileSync(path.join(dir, 'ok'), 'utf8')).toBe('abcde');
    const short = await nclone(['rcat', '--size', '5', path.join(dir, 'short')], { stdin: Buffer.from('abc') });
    expect(expectOneLine(short, 6)).toBe('nclone: standard input held 3 bytes, not the 5 given with --size: nothing was stored');
    const long = await nclone(['rcat', '--size', '5', path.join(dir, 'long')], { stdin: Buffer.from('abcdefg') });
    expect(expectOneLine(long, 6)).toBe('nclone: standard input held more than 5 bytes, not the 5 given with --size: nothing was stored');
    // A file that was there stays as it was, also when the input never ends.
    const over = await nclone(['rcat', '--size', '5', path.join(dir, 'ok')], { feed: (child) => child.stdin!.write(bytes(1 << 20)) });
    expect(expectOneLine(over, 6)).toBe('nclone: standard input held more than 5 bytes, not the 5 given with --size: nothing was stored');
    expect(readFileSync(path.join(dir, 'ok'), 'utf8')).toBe('abcde');
    expect(files(dir)).toEqual(['ok']);
  });

  it('--dry-run reads the input and stores nothing, saying so as rclone does', async () => {
    const dir = tree('rcat-dry', {});
    const small = await nclone(['rcat', '-n', path.join(dir, 'x')], { stdin: Buffer.from('abc') });
    const big = await nclone(['rcat', '-n', path.join(dir, 'y')], { stdin: bytes(300_000) });
    const rsmall = await rclone(['rcat', '-n', path.join(dir, 'x')], { stdin: Buffer.from('abc') });
    const rbig = await rclone(['rcat', '-n', path.join(dir, 'y')], { stdin: bytes(300_000) });
    for (const r of [small, big, rsmall, rbig]) expect(r.code, r.stderr).toBe(0);
    expect(messages(small.stderr)).toEqual(messages(rsmall.stderr));
    expect(messages(small.stderr)).toEqual(['NOTICE: x: Skipped copy as --dry-run is set (size 3)']);
    expect(messages(big.stderr)).toEqual(messages(rbig.stderr));
    expect(files(dir)).toEqual([]);
  });

  it('a directory as the target is one line, exit 1, as rclone refuses it', async () => {
    const dir = tree('rcat-dir', { 'sub/a': 'a' });
    const r = await nclone(['rcat', path.join(dir, 'sub') + '/'], { stdin: Buffer.from('x') });
    expect(expectOneLine(r, 1)).toBe(`nclone: ${dir}/sub/ is a directory: give the name of the file to write, e.g. ${dir}/sub/data.bin`);
    expect((await rclone(['rcat', path.join(dir, 'sub') + '/'], { stdin: Buffer.from('x') })).code).toBe(1);
    for (const name of ['.', '..']) {
      const dot = await nclone(['rcat', path.join(dir, 'sub') + '/' + name], { stdin: Buffer.from('x') });
      expect(expectOneLine(dot, 1)).toMatch(/ is a directory: give the name of the file to write/);
    }
    expect(files(dir)).toEqual(['sub/a']);
  });

  it('-i asks on the terminal before storing, as rclone does: "n" reads the input and stores nothing, "y" stores it', async () => {
    const dir = tree('rcat-i', {});
    for (const [answer, input, question] of [
      ['n', 'abc', 'copy "small"?'],
      ['y', 'abc', 'copy "small"?'],
      ['n', 'big', 'upload from pipe "big"?'],
    ] as const) {
      const target = path.join(dir, input === 'abc' ? 'small' : 'big');
      // stdin is a pipe (the data), the questions go to the terminal.
      const feed = input === 'abc' ? 'printf abc' : 'head -c 300000 /dev/zero';
      const term = new TmuxProgram(cleanEnv(path.join(base, 'home'), { TERM: 'xterm-256color', TZ: 'UTC' }));
      try {
        await term.start(['sh', '-c', `${feed} | "$0" "$1" rcat -i "$2"`, process.execPath, NCLONE, target], base);
        await term.waitUntil('the question', (s) => s.includes(`nclone: ${question}`) && s.trimEnd().endsWith('y/n/s/!/q>'));
        await type(term, answer);
        expect(await term.exitCode(30_000)).toBe(0);
      } finally {
        await term.stop();
      }
      expect(existsSync(target)).toBe(answer === 'y');
    }
    expect(readFileSync(path.join(dir, 'small'), 'utf8')).toBe('abc');
  });

  for (const [label, first] of [
    ['before the cutoff is reached', 1000],
    ['while the input streams', 2 * 1024 * 1024],
  ] as const) {
    it(`Ctrl-C ${label}: exit 7, no file and no temporary file left`, async () => {
      const dir = tree(`rcat-int-${first}`, {});
      let stderr = '';
      const r = await nclone(['rcat', '-vv', path.join(dir, 'f.bin')], {
        onStderr: (text) => (stderr = text),
        // Part of the input, with stdin left open: the command waits for the rest. Ctrl-C
        // comes once it runs and, when streaming, has begun writing the file.
        feed: (child) => {
          child.stdin!.write(bytes(first));
          const poll = setInterval(() => {
            if (!stderr.includes('Config file') || (first > 100_000 && readdirSync(dir).length === 0)) return;
            clearInterval(poll);
            child.kill('SIGINT');
          }, 100);
          child.once('close', () => clearInterval(poll));
        },
      });
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toContain('nclone: interrupted by SIGINT');
      expect(readdirSync(dir)).toEqual([]);
    });
  }
});

describe('copyto', () => {
  it('copies a file to a new name with its mtime; an identical destination is left alone, a changed source replaces it', async () => {
    const src = tree('copyto-src', { 'f.txt': 'hello' });
    const dst = tree('copyto-dst', {});
    const to = path.join(dst, 'deep', 'g.txt');
    const first = await nclone(['copyto', '-v', path.join(src, 'f.txt'), to]);
    expect(first.code, first.stderr).toBe(0);
    expect(messages(first.stderr)).toContain('INFO  : g.txt: Copied (new)');
    expect(readFileSync(to, 'utf8')).toBe('hello');
    expect(mtimeNs(to)).toBe(mtimeNs(path.join(src, 'f.txt')));
    // Same size and time: not copied (the changed bytes prove it was not rewritten).
    writeFileSync(to, 'HELLO');
    utimesSync(to, 1_600_000_000, 1_600_000_000);
    const again = await nclone(['copyto', '-v', path.join(src, 'f.txt'), to]);
    expect(again.code, again.stderr).toBe(0);
    expect(messages(again.stderr)).toContain('INFO  : There was nothing to transfer');
    expect(readFileSync(to, 'utf8')).toBe('HELLO');
    writeFileSync(path.join(src, 'f.txt'), 'hello, world');
    expectQuietOk(await nclone(['copyto', path.join(src, 'f.txt'), to]));
    expect(readFileSync(to, 'utf8')).toBe('hello, world');
  });

  it('a directory is copied as copy does, like rclone copyto', async () => {
    const src = tree('copyto-dir', { 'a.txt': 'a', 'sub/b.txt': 'bb' });
    const n = path.join(base, 'copyto-dir-n');
    const r = path.join(base, 'copyto-dir-r');
    expectQuietOk(await nclone(['copyto', src, n]));
    expect((await rclone(['copyto', src, r])).code).toBe(0);
    expect(files(n)).toEqual(['a.txt', 'sub/b.txt']);
    expect(files(n)).toEqual(files(r));
    expect(mtimeNs(path.join(n, 'sub/b.txt'))).toBe(mtimeNs(path.join(r, 'sub/b.txt')));
  });

  it('a destination ending in / is one line, exit 1; a missing source is exit 3; both as rclone', async () => {
    const src = tree('copyto-bad', { 'f.txt': 'f' });
    const dst = tree('copyto-bad-dst', {});
    const slash = await nclone(['copyto', path.join(src, 'f.txt'), dst + '/']);
    expect(expectOneLine(slash, 1)).toBe(`nclone: ${dst}/ names a directory: give the new file's name (copyto SOURCE-FILE DEST-DIR/NAME)`);
    expect((await rclone(['copyto', path.join(src, 'f.txt'), dst + '/'])).code).toBe(1);
    const missing = await nclone(['copyto', path.join(src, 'nope'), path.join(dst, 'x')]);
    expect(missing.code, missing.stderr).toBe(3);
    expect((await rclone(['copyto', path.join(src, 'nope'), path.join(dst, 'y')])).code).toBe(3);
    expect(files(dst)).toEqual([]);
  });

  it('filters with a single-file source are refused, one line, exit 1, as rclone refuses them', async () => {
    const src = tree('copyto-filter', { 'f.txt': 'f' });
    const dst = tree('copyto-filter-dst', {});
    const n = await nclone(['copyto', '--include', '*.md', path.join(src, 'f.txt'), path.join(dst, 'g.txt')]);
    expect(expectOneLine(n, 1)).toBe(`nclone: can't copyto the single file ${src}/f.txt when filters are given: drop the filter flags`);
    const r = await rclone(['copyto', '--include', '*.md', path.join(src, 'f.txt'), path.join(dst, 'g.txt')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("can't limit to single files when using filters");
    expect(files(dst)).toEqual([]);
  });

  it('--dry-run writes nothing; a file copied onto itself is left as it is; --suffix keeps the replaced file', async () => {
    const dir = tree('copyto-misc', { 'f.txt': 'one', 'g.txt': 'old' });
    const dry = await nclone(['copyto', '-n', path.join(dir, 'f.txt'), path.join(dir, 'h.txt')]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(messages(dry.stderr)[0]).toBe('NOTICE: h.txt: Skipped copy as --dry-run is set (size 3)');
    const before = mtimeNs(path.join(dir, 'f.txt'));
    expectQuietOk(await nclone(['copyto', path.join(dir, 'f.txt'), path.join(dir, 'f.txt')]));
    expect(mtimeNs(path.join(dir, 'f.txt'))).toBe(before);
    writeFileSync(path.join(dir, 'f.txt'), 'newer');
    expectQuietOk(await nclone(['copyto', '--suffix', '.bak', path.join(dir, 'f.txt'), path.join(dir, 'g.txt')]));
    expect(files(dir)).toEqual(['f.txt', 'g.txt', 'g.txt.bak']);
    expect(readFileSync(path.join(dir, 'g.txt.bak'), 'utf8')).toBe('old');
    expect(readFileSync(path.join(dir, 'g.txt'), 'utf8')).toBe('newer');
  });
});

describe('touch', () => {
  /** `lsl` of a directory by nclone, sorted. */
  async function lsl(dir: string): Promise<string[]> {
    const r = await nclone(['lsl', dir]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.toString().split('\n').filter((l) => l !== '').sort();
  }

  it('creates, re-times and skips files as rclone does, with each --timestamp form', async () => {
    const layout = { 'keep.txt': 'k', 'd/a.txt': 'aa', 'd/sub/b.txt': 'bbb', 'e/c.txt': 'c', 'f/x.txt': 'x', 'f/sub/y.txt': 'y' };
    const n = tree('touch-n', layout, 946_684_800);
    const r = tree('touch-r', layout, 946_684_800);
    const steps: { args: (root: string) => string[]; tz?: string }[] = [
      { args: (t) => ['touch', '-t', '2006-01-02T15:04:05.123456', `${t}/new/deep/created.txt`] },
      { args: (t) => ['touch', '-t', '171030', `${t}/keep.txt`] },
      { args: (t) => ['touch', '-C', `${t}/not-created.txt`] },
      { args: (t) => ['touch', '-R', `${t}/not-created-either.txt`] },
      { args: (t) => ['touch', '-t', '2001-02-03T04:05:06', `${t}/f`] },
      { args: (t) => ['touch', '-R', '-t', '2002-02-03T04:05:06', '--exclude', 'b.txt', `${t}/d`] },
      { args: (t) => ['touch', '--localtime', '-t', '2003-03-04T05:06:07', `${t}/e/c.txt`], tz: 'Asia/Tokyo' },
    ];
    for (const step of steps) {
      const opts = step.tz ? { env: { ...env, TZ: step.tz } } : {};
      const [a, b] = await Promise.all([nclone(step.args(n), opts), rclone(step.args(r), opts)]);
      expect(a.code, `${step.args('').join(' ')}: ${a.stderr}`).toBe(0);
      expect(b.code, b.stderr).toBe(0);
    }
    expect(await lsl(n)).toEqual(await lsl(r));
    expect(await lsl(n)).toEqual(
      [
        '        0 2006-01-02 15:04:05.123456000 new/deep/created.txt',
        '        1 2017-10-30 00:00:00.000000000 keep.txt',
        '        2 2002-02-03 04:05:06.000000000 d/a.txt',
        '        3 2000-01-01 00:00:00.000000000 d/sub/b.txt',
        '        1 2003-03-03 20:06:07.000000000 e/c.txt',
        '        1 2001-02-03 04:05:06.000000000 f/x.txt',
        '        1 2000-01-01 00:00:00.000000000 f/sub/y.txt',
      ].sort(),
    );
  });

  it('a directory without -R touches only the files directly in it', async () => {
    const dir = tree('touch-dir', { 'a.txt': 'a', 'sub/b.txt': 'b' }, 946_684_800);
    expectQuietOk(await nclone(['touch', '-t', '2010-01-01T00:00:00', dir]));
    expect(mtimeNs(path.join(dir, 'a.txt'))).toBe(1_262_304_000_000_000_000n);
    expect(mtimeNs(path.join(dir, 'sub/b.txt'))).toBe(946_684_800_000_000_000n);
    expect(files(dir)).toEqual(['a.txt', 'sub/b.txt']);
    // "sub/." and "sub/.." are directories too: nothing named "." is created.
    expectQuietOk(await nclone(['touch', '-t', '2011-01-01T00:00:00', path.join(dir, 'sub') + '/.']));
    expectQuietOk(await nclone(['touch', '-t', '2012-01-01T00:00:00', path.join(dir, 'sub') + '/..']));
    expect(mtimeNs(path.join(dir, 'sub/b.txt'))).toBe(1_293_840_000_000_000_000n);
    expect(mtimeNs(path.join(dir, 'a.txt'))).toBe(1_325_376_000_000_000_000n);
    expect(files(dir)).toEqual(['a.txt', 'sub/b.txt']);
  });

  it('a bad --timestamp is one line, exit 1, and nothing is touched', async () => {
    const dir = tree('touch-bad', { 'a.txt': 'a' });
    for (const [stamp, why] of [
      ['2001-13-01', 'not a date'],
      ['2001-02-29T00:00:00', 'day out of range'],
      ['2001-01-01T00:00:00Z', 'not a date and time'],
      ['2001-01-01T24:00:00', 'time out of range'],
    ]) {
      const r = await nclone(['touch', '-t', stamp!, path.join(dir, 'a.txt')]);
      expect(expectOneLine(r, 1)).toBe(`nclone: --timestamp "${stamp}": ${why}: use YYMMDD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS (UTC unless --localtime)`);
      expect((await rclone(['touch', '--retries', '1', '-t', stamp!, path.join(dir, 'a.txt')])).code).toBe(1);
    }
    expect(mtimeNs(path.join(dir, 'a.txt'))).toBe(1_600_000_000_000_000_000n);
  });

  it('--dry-run changes nothing and says what it would do', async () => {
    const dir = tree('touch-dry', { 'a.txt': 'a', 'sub/b.txt': 'bb' });
    const create = await nclone(['touch', '-n', path.join(dir, 'new.txt')]);
    const recurse = await nclone(['touch', '-n', '-R', dir]);
    const rRecurse = await rclone(['touch', '-n', '-R', dir]);
    expect(create.code, create.stderr).toBe(0);
    expect(messages(create.stderr)[0]).toBe('NOTICE: new.txt: Skipped touch (create) as --dry-run is set');
    // Named from the directory given, as rclone names them.
    const name = path.basename(dir);
    expect(messages(recurse.stderr).slice(0, 2)).toEqual([`NOTICE: ${name}/a.txt: Skipped touch as --dry-run is set (size 1)`, `NOTICE: ${name}/sub/b.txt: Skipped touch as --dry-run is set (size 2)`]);
    expect(messages(rRecurse.stderr)).toEqual(messages(recurse.stderr).slice(0, 2));
    expect(files(dir)).toEqual(['a.txt', 'sub/b.txt']);
    expect(mtimeNs(path.join(dir, 'sub/b.txt'))).toBe(1_600_000_000_000_000_000n);
  });
});

describe('deletefile', () => {
  it('removes the one file, filters or not; a directory or a missing path is one line, exit 1, as rclone', async () => {
    const dir = tree('deletefile', { 'a.txt': 'a', 'b.txt': 'b', 'sub/c.txt': 'c' });
    const del = await nclone(['deletefile', '-v', '--exclude', '*.txt', path.join(dir, 'a.txt')]);
    expect(del.code, del.stderr).toBe(0);
    expect(messages(del.stderr)[0]).toBe('INFO  : a.txt: Deleted');
    for (const target of [path.join(dir, 'sub'), path.join(dir, 'nope.txt')]) {
      const r = await nclone(['deletefile', target]);
      expect(expectOneLine(r, 1)).toBe(`nclone: ${target} is a directory or doesn't exist: deletefile removes one existing file (use delete or purge for a directory)`);
      expect((await rclone(['deletefile', '--retries', '1', target])).code).toBe(1);
    }
    expect(files(dir)).toEqual(['b.txt', 'sub/c.txt']);
  });

  it('--dry-run keeps the file; --max-delete 0 refuses it, exit 7', async () => {
    const dir = tree('deletefile-dry', { 'a.txt': 'abc' });
    const dry = await nclone(['deletefile', '-n', path.join(dir, 'a.txt')]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(messages(dry.stderr)[0]).toBe('NOTICE: a.txt: Skipped delete as --dry-run is set (size 3)');
    const limited = await nclone(['deletefile', '--max-delete', '0', path.join(dir, 'a.txt')]);
    expect(limited.code, limited.stderr).toBe(7);
    expect(limited.stderr).toContain('--max-delete threshold (0) reached: not deleting a.txt');
    expect(files(dir)).toEqual(['a.txt']);
  });

  describe('-i', () => {
    let term: TmuxProgram | undefined;
    afterEach(async () => {
      await term?.stop();
      term = undefined;
    });

    it('without a terminal it is refused, exit 1, and the file stays', async () => {
      const dir = tree('deletefile-i-none', { 'a.txt': 'a' });
      const r = await nclone(['deletefile', '-i', path.join(dir, 'a.txt')], { detached: true });
      expect(expectOneLine(r, 1)).toBe('nclone: --interactive needs a terminal to ask its questions on, and there is none: run it from a terminal, or use --dry-run to see what would be done');
      expect(files(dir)).toEqual(['a.txt']);
    });

    it('asks in a terminal: "n" keeps the file, "y" removes it', async () => {
      const dir = tree('deletefile-i', { 'a.txt': 'a' });
      const target = path.join(dir, 'a.txt');
      for (const answer of ['n', 'y']) {
        term = new TmuxProgram(cleanEnv(path.join(base, 'home'), { TERM: 'xterm-256color', TZ: 'UTC' }));
        await term.start([process.execPath, NCLONE, 'deletefile', '-i', target], base);
        await term.waitUntil('the question', (s) => s.includes(`nclone: delete "a.txt"?`) && s.trimEnd().endsWith('y/n/s/!/q>'));
        await type(term, answer);
        expect(await term.exitCode(30_000)).toBe(0);
        await term.stop();
        term = undefined;
        expect(existsSync(target)).toBe(answer === 'n');
      }
    });
  });
});
