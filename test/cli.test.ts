/**
 * The command line end to end: `node bin/nclone ...` on real temporary directories,
 * checking stdout, stderr and exit codes against rclone's documented behaviour.
 * Needs a build (npx tsc -p .), which `npm test` does in pretest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, existsSync, lstatSync, openSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS } from '../src/commands/index.js';
import { childEnv, expectOneLineError, lines, nclone, type Result } from './cli/run.js';

const PKG_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** 2020-09-13 12:26:40 UTC. */
const T0 = 1_600_000_000;

let base: string;
let home: string;
let env: NodeJS.ProcessEnv;
let counter = 0;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-cli-'));
  home = path.join(base, 'home');
  mkdirSync(home);
  env = childEnv(home);
  if (!existsSync(new URL('../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** A new, not yet existing, path under the test directory. */
function fresh(name: string): string {
  return path.join(base, `${String(++counter).padStart(3, '0')}-${name}`);
}

function run(args: string[], extraEnv: Record<string, string | undefined> = {}, cwd?: string): Promise<Result> {
  return nclone(args, { env: Object.keys(extraEnv).length ? childEnv(home, extraEnv) : env, cwd });
}

/** Sets atime and mtime to sec + us microseconds exactly (libuv keeps microseconds, truncating). */
function setMtime(p: string, sec: number, us: number): void {
  const t = sec + (us + 0.5) / 1e6;
  utimesSync(p, t, t);
}

function mtimeUs(p: string): bigint {
  return statSync(p, { bigint: true }).mtimeNs / 1000n;
}

/** "YYYY-MM-DD HH:MM:SS" of an epoch second, in UTC shifted by offsetHours. */
function wallClock(sec: number, offsetHours = 0): string {
  return new Date((sec + offsetHours * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

interface FileSpec {
  path: string;
  content: string;
  sec: number;
  us: number;
}

const FILES: FileSpec[] = [
  { path: 'one.txt', content: 'hello\n', sec: T0, us: 123456 },
  { path: 'two.dat', content: 'z'.repeat(1234), sec: T0 + 3600, us: 1 },
  { path: 'a/three.txt', content: 'x'.repeat(17), sec: T0 + 7200, us: 999999 },
  { path: 'a/b/four.dat', content: 'y'.repeat(300), sec: T0 - 86_400, us: 500000 },
  { path: 'c/five.txt', content: '', sec: T0 + 60, us: 0 },
];
const DIRS = [
  { path: 'a', sec: T0 + 100 },
  { path: 'a/b', sec: T0 + 200 },
  { path: 'c', sec: T0 + 300 },
];

/** The fixture tree: five files at known times in three directories, also at known times. */
function makeTree(root: string): string {
  for (const f of FILES) {
    const p = path.join(root, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    setMtime(p, f.sec, f.us);
  }
  // Deepest first: setting a directory's time after its contents are in place.
  for (const d of [...DIRS].reverse()) setMtime(path.join(root, d.path), d.sec, 0);
  return root;
}

function lsLine(f: { path: string; content: string }, rel = f.path): string {
  return `${String(Buffer.byteLength(f.content)).padStart(9)} ${rel}`;
}

function lslLine(f: FileSpec, offsetHours = 0): string {
  return `${String(Buffer.byteLength(f.content)).padStart(9)} ${wallClock(f.sec, offsetHours)}.${String(f.us).padStart(6, '0')}000 ${f.path}`;
}

function lsdLine(d: { path: string; sec: number }): string {
  return `${'-1'.padStart(12)} ${wallClock(d.sec).padStart(13)} ${'-1'.padStart(9)} ${d.path}`;
}

const sorted = (xs: string[]) => [...xs].sort();

/** Every file below root (relative path -> content), for before/after comparisons. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const d of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else out[r] = readFileSync(path.join(root, r), 'utf8');
    }
  };
  walk('');
  return out;
}

function treeContents(): Record<string, string> {
  return Object.fromEntries(FILES.map((f) => [f.path, f.content]));
}

function expectQuietSuccess(r: Result): void {
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
}

describe('listing: ls, lsl, lsd', () => {
  let tree: string;
  beforeAll(() => {
    tree = makeTree(fresh('tree'));
  });

  it('ls prints "%9d path" for every file, recursively', async () => {
    const r = await run(['ls', tree]);
    expectQuietSuccess(r);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(sorted(lines(r.stdout))).toEqual(sorted(FILES.map((f) => lsLine(f))));
  });

  it('ls puts the files of a directory in sorted order', async () => {
    const r = await run(['ls', '--max-depth', '1', tree]);
    expectQuietSuccess(r);
    expect(r.stdout).toBe(`${lsLine(FILES[0]!)}\n${lsLine(FILES[1]!)}\n`);
  });

  it('lsl adds the modification time in local time to the nanosecond (TZ=UTC)', async () => {
    const r = await run(['lsl', tree]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted(FILES.map((f) => lslLine(f))));
  });

  it('lsl prints local time: TZ=Asia/Tokyo shifts it by nine hours', async () => {
    const r = await run(['lsl', '--max-depth', '1', tree], { TZ: 'Asia/Tokyo' });
    expectQuietSuccess(r);
    expect(lines(r.stdout)).toEqual([lslLine(FILES[0]!, 9), lslLine(FILES[1]!, 9)]);
  });

  it('lsd lists only the directories directly inside, in rclone\'s columns', async () => {
    const r = await run(['lsd', tree]);
    expectQuietSuccess(r);
    expect(r.stdout).toBe(`${lsdLine(DIRS[0]!)}\n${lsdLine(DIRS[2]!)}\n`);
  });

  it('lsd -R and lsd --recursive list every directory', async () => {
    for (const flag of ['-R', '--recursive']) {
      const r = await run(['lsd', flag, tree]);
      expectQuietSuccess(r);
      expect(sorted(lines(r.stdout))).toEqual(sorted(DIRS.map(lsdLine)));
    }
  });

  it('lsd --max-depth 2 goes one level further', async () => {
    const r = await run(['lsd', '--max-depth', '2', tree]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted(DIRS.map(lsdLine)));
  });

  it('--max-depth limits ls', async () => {
    const two = await run(['ls', '--max-depth', '2', tree]);
    expectQuietSuccess(two);
    expect(sorted(lines(two.stdout))).toEqual(sorted(FILES.filter((f) => f.path.split('/').length <= 2).map((f) => lsLine(f))));
    const one = await run(['ls', '--max-depth=1', tree]);
    expect(sorted(lines(one.stdout))).toEqual(sorted([lsLine(FILES[0]!), lsLine(FILES[1]!)]));
  });

  it('ls and lsl on a single file list just that file, by its name', async () => {
    const f = FILES[2]!;
    const ls = await run(['ls', path.join(tree, f.path)]);
    expectQuietSuccess(ls);
    expect(ls.stdout).toBe(`${lsLine(f, 'three.txt')}\n`);
    const lsl = await run(['lsl', path.join(tree, f.path)]);
    expectQuietSuccess(lsl);
    expect(lsl.stdout).toBe(`${lslLine({ ...f, path: 'three.txt' })}\n`);
  });

  it('lsd on a file lists nothing and succeeds, as rclone does', async () => {
    const r = await run(['lsd', path.join(tree, 'one.txt')]);
    expectQuietSuccess(r);
    expect(r.stdout).toBe('');
  });

  it('ls with a relative path lists relative to the working directory', async () => {
    const r = await run(['ls', 'a'], {}, tree);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted([lsLine(FILES[2]!, 'three.txt'), lsLine(FILES[3]!, 'b/four.dat')]));
  });

  it('--include keeps only matching files', async () => {
    const r = await run(['ls', '--include', '*.txt', tree]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted(FILES.filter((f) => f.path.endsWith('.txt')).map((f) => lsLine(f))));
  });

  it('--exclude drops matching files and directories', async () => {
    const r = await run(['ls', '--exclude', 'a/**', '--exclude', 'two.dat', tree]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted([lsLine(FILES[0]!), lsLine(FILES[4]!)]));
  });

  it('filters apply to lsd too', async () => {
    const r = await run(['lsd', '-R', '--exclude', 'a/b/**', tree]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(sorted([lsdLine(DIRS[0]!), lsdLine(DIRS[2]!)]));
  });

  it('an empty directory lists nothing and succeeds', async () => {
    const empty = fresh('empty');
    mkdirSync(empty);
    for (const cmd of ['ls', 'lsl', 'lsd']) {
      const r = await run([cmd, empty]);
      expectQuietSuccess(r);
      expect(r.stdout).toBe('');
    }
  });
});

describe('mkdir', () => {
  it('creates nested directories and is idempotent', async () => {
    const top = fresh('mk');
    const deep = path.join(top, 'x', 'y', 'z');
    const r = await run(['mkdir', deep]);
    expectQuietSuccess(r);
    expect(r.stdout).toBe('');
    expect(statSync(deep).isDirectory()).toBe(true);
    const again = await run(['mkdir', deep]);
    expectQuietSuccess(again);
    expect(statSync(deep).isDirectory()).toBe(true);
  });

  it('--dry-run creates nothing', async () => {
    const top = fresh('mk-dry');
    const r = await run(['mkdir', '--dry-run', path.join(top, 'x')]);
    expect(r.code).toBe(0);
    expect(existsSync(top)).toBe(false);
  });
});

describe('copy and sync', () => {
  it('copy makes the files with their content and mtime; stdout stays empty', async () => {
    const src = makeTree(fresh('src'));
    const dst = fresh('dst');
    const r = await run(['copy', src, dst]);
    expectQuietSuccess(r);
    expect(r.stdout).toBe('');
    expect(snapshot(dst)).toEqual(treeContents());
    for (const f of FILES) expect(mtimeUs(path.join(dst, f.path)), f.path).toBe(BigInt(f.sec) * 1_000_000n + BigInt(f.us));
  });

  it('copy -v reports each file and the summary; a second run only checks', async () => {
    const src = makeTree(fresh('src'));
    const dst = fresh('dst');
    const first = await run(['copy', '-v', src, dst]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    for (const f of FILES) expect(first.stderr).toContain(`${f.path}: Copied (new)`);
    expect(first.stderr).toMatch(/Transferred:\s+5 \/ 5, 100%/);
    // Like rclone, the final stats are logged at INFO: "INFO  : " then the block on the next lines.
    expect(first.stderr).toMatch(/ INFO  : \nTransferred: /);

    const second = await run(['copy', '-v', src, dst]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('');
    expect(second.stderr).not.toContain('Copied');
    expect(second.stderr).toMatch(/Transferred:\s+0 B \/ 0 B/);
    expect(second.stderr).toMatch(/Checks:\s+5 \/ 5, 100%/);
    expect(second.stderr).not.toMatch(/Transferred:\s+\d+ \/ \d+, /);
    expect(second.stderr).not.toMatch(/^\s+at /m);
  });

  it('copy of a single file puts it into the destination directory', async () => {
    const src = makeTree(fresh('src'));
    const dst = fresh('dst');
    const r = await run(['copy', path.join(src, 'a', 'three.txt'), dst]);
    expectQuietSuccess(r);
    expect(snapshot(dst)).toEqual({ 'three.txt': FILES[2]!.content });
    expect(mtimeUs(path.join(dst, 'three.txt'))).toBe(BigInt(FILES[2]!.sec) * 1_000_000n + BigInt(FILES[2]!.us));
  });

  it('copy never deletes; sync deletes what the source does not have and updates what changed', async () => {
    const src = makeTree(fresh('src'));
    const dst = makeTree(fresh('dst'));
    writeFileSync(path.join(dst, 'extra.txt'), 'extra');
    mkdirSync(path.join(dst, 'old'));
    writeFileSync(path.join(dst, 'old', 'gone.txt'), 'gone');
    writeFileSync(path.join(dst, 'two.dat'), 'changed');

    const copy = await run(['copy', src, dst]);
    expectQuietSuccess(copy);
    expect(copy.stdout).toBe('');
    expect(snapshot(dst)).toEqual({ ...treeContents(), 'extra.txt': 'extra', 'old/gone.txt': 'gone' });

    const sync = await run(['sync', src, dst]);
    expectQuietSuccess(sync);
    expect(sync.stdout).toBe('');
    expect(snapshot(dst)).toEqual(treeContents());
    expect(existsSync(path.join(dst, 'old'))).toBe(false);
    for (const f of FILES) expect(mtimeUs(path.join(dst, f.path)), f.path).toBe(BigInt(f.sec) * 1_000_000n + BigInt(f.us));

    const again = await run(['sync', '-v', src, dst]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/Checks:\s+5 \/ 5, 100%/);
    expect(again.stderr).not.toMatch(/Copied|Deleted/);
  });

  it('--dry-run (and -n) changes nothing', async () => {
    const src = makeTree(fresh('src'));
    const dst = makeTree(fresh('dst'));
    writeFileSync(path.join(dst, 'extra.txt'), 'extra');
    writeFileSync(path.join(dst, 'one.txt'), 'changed');
    const before = snapshot(dst);
    const sync = await run(['sync', '--dry-run', src, dst]);
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toBe('');
    expect(sync.stderr).toMatch(/extra\.txt: Skipped delete as --dry-run is set/);
    // --dry-run raises the stats to NOTICE, so the summary shows without -v, as in rclone.
    expect(sync.stderr).toMatch(/ NOTICE: \nTransferred: /);
    expect(sync.stderr).toMatch(/Deleted:\s+1 \(files\)/);
    expect(snapshot(dst)).toEqual(before);

    const newDst = fresh('never');
    const copy = await run(['copy', '-n', src, newDst]);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toBe('');
    expect(existsSync(newDst)).toBe(false);
  });

  it('--max-delete stops sync from deleting more than allowed (fatal error, exit 7)', async () => {
    const src = makeTree(fresh('src'));
    const dst = makeTree(fresh('dst'));
    writeFileSync(path.join(dst, 'x1'), '1');
    writeFileSync(path.join(dst, 'x2'), '2');
    const r = await run(['sync', '--max-delete', '0', src, dst]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--max-delete');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(dst, 'x1'))).toBe(true);
    expect(existsSync(path.join(dst, 'x2'))).toBe(true);

    const enough = await run(['sync', '--max-delete', '2', src, dst]);
    expectQuietSuccess(enough);
    expect(snapshot(dst)).toEqual(treeContents());
  });

  it('--error-on-no-transfer exits 9 when nothing was copied and 0 when something was', async () => {
    const src = makeTree(fresh('src'));
    const dst = fresh('dst');
    const first = await run(['copy', '--error-on-no-transfer', src, dst]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe('');
    const second = await run(['copy', '--error-on-no-transfer', src, dst]);
    expect(second.code, second.stderr).toBe(9);
    expect(second.stdout).toBe('');
    expect(second.stderr).not.toMatch(/^\s+at /m);
    // Without the flag the same no-op run is a success.
    expectQuietSuccess(await run(['copy', src, dst]));
  });

  it('--max-transfer 1K on a bigger tree stops with exit 8', async () => {
    const src = fresh('big');
    mkdirSync(src);
    for (let i = 0; i < 6; i++) writeFileSync(path.join(src, `f${i}`), Buffer.alloc(5000, i));
    const dst = fresh('dst');
    const r = await run(['copy', '--max-transfer', '1K', '--transfers', '1', src, dst]);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/max transfer/i);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const copied = existsSync(dst) ? readdirSync(dst).filter((n) => !n.startsWith('.nclone-')) : [];
    expect(copied.length).toBeLessThan(6);
  });
});

describe('help and version', () => {
  const names = COMMANDS.map((c) => c.name);

  it('knows the commands this suite covers', () => {
    for (const n of ['copy', 'sync', 'ls', 'lsl', 'lsd', 'mkdir', 'version']) expect(names).toContain(n);
  });

  it('version prints the package version and the runtime', async () => {
    const r = await run(['version']);
    expectQuietSuccess(r);
    expect(lines(r.stdout)).toEqual([`nclone v${PKG_VERSION}`, `- os/arch: ${process.platform}/${process.arch}`, `- node version: ${process.version}`]);
  });

  it('--version and -V print the version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expectQuietSuccess(r);
      expect(r.stdout).toBe(`nclone v${PKG_VERSION}\n`);
    }
  });

  it('help, --help and -h list every command', async () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const r = await run(args);
      expectQuietSuccess(r);
      expect(r.stdout).toContain('Usage: nclone');
      for (const n of names) expect(r.stdout, `${args.join(' ')} lists ${n}`).toMatch(new RegExp(`^  ${n} `, 'm'));
    }
  });

  it('help flags says each flag default once', async () => {
    const r = await run(['help', 'flags']);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--max-transfer SIZE Maximum size of data to transfer (default off)');
    expect(text).not.toMatch(/\(default [^)]*\) \(default /);
  });

  for (const def of COMMANDS) {
    it(`help ${def.name} and ${def.name} --help describe the command`, async () => {
      for (const args of [['help', def.name], [def.name, '--help'], [def.name, '-h']]) {
        const r = await run(args);
        expectQuietSuccess(r);
        expect(r.stdout, args.join(' ')).toContain(`Usage: nclone ${def.name}`);
        expect(r.stdout).toContain(def.summary);
      }
    });
  }

  it('no arguments at all prints the help and exits 1, like rclone', async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Usage: nclone');
  });

  it('flags without a command show the help on stderr and exit 1', async () => {
    for (const args of [['-v'], ['--dry-run']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('Usage: nclone');
    }
  });
});

describe('bad input: one line on stderr and the documented exit code', () => {
  let tree: string;
  let afile: string;
  beforeAll(() => {
    tree = makeTree(fresh('tree'));
    afile = fresh('plain-file');
    writeFileSync(afile, 'hello\n');
  });

  it('unknown command (1)', async () => {
    expect(expectOneLineError(await run(['nosuchcmd']), 1)).toContain('nosuchcmd');
  });

  it('unknown flag (1)', async () => {
    expect(expectOneLineError(await run(['ls', '--no-such-flag', tree]), 1)).toContain('--no-such-flag');
    expect(expectOneLineError(await run(['--no-such-flag', 'ls', tree]), 1)).toContain('--no-such-flag');
  });

  it('wrong number of arguments (1)', async () => {
    expectOneLineError(await run(['ls']), 1);
    expectOneLineError(await run(['ls', tree, tree]), 1);
    expectOneLineError(await run(['copy', tree]), 1);
    expectOneLineError(await run(['sync', tree, fresh('x'), fresh('y')]), 1);
    expectOneLineError(await run(['version', 'extra']), 1);
  });

  it('--transfers 0 (1)', async () => {
    const dst = fresh('dst');
    expect(expectOneLineError(await run(['copy', '--transfers', '0', tree, dst]), 1)).toContain('--transfers');
    expect(existsSync(dst)).toBe(false);
  });

  it('--bwlimit abc (1)', async () => {
    const dst = fresh('dst');
    expect(expectOneLineError(await run(['copy', '--bwlimit', 'abc', tree, dst]), 1)).toContain('--bwlimit');
    expect(existsSync(dst)).toBe(false);
  });

  it('--max-age 3x (1)', async () => {
    expect(expectOneLineError(await run(['ls', '--max-age', '3x', tree]), 1)).toContain('--max-age');
  });

  it('--max-depth and --max-transfer with bad values (1)', async () => {
    expect(expectOneLineError(await run(['ls', '--max-depth', 'deep', tree]), 1)).toContain('--max-depth');
    expect(expectOneLineError(await run(['copy', '--max-transfer', '1Q', tree, fresh('dst')]), 1)).toContain('--max-transfer');
  });

  it('unknown remote nosuch: (1)', async () => {
    expect(expectOneLineError(await run(['ls', 'nosuch:']), 1)).toContain('nosuch');
    expect(expectOneLineError(await run(['copy', tree, 'nosuch:dir']), 1)).toContain('nosuch');
  });

  it('malformed paths (1)', async () => {
    expect(expectOneLineError(await run(['ls', ':local,bad option:']), 1)).toContain(':local,bad option:');
    expect(expectOneLineError(await run(['ls', '--', '-bad:x']), 1)).toContain('-bad:x');
    expect(expectOneLineError(await run(['ls', ':nosuchbackend:/tmp']), 1)).toContain('nosuchbackend');
    expect(expectOneLineError(await run(['ls', `:local,nosuchoption=1:${tree}`]), 1)).toContain('nosuchoption');
    expect(expectOneLineError(await run(['ls', `:local,links='unterminated:${tree}`]), 1)).toContain('quote');
  });

  it('a source that does not exist (3)', async () => {
    const missing = fresh('missing');
    for (const cmd of ['ls', 'lsl', 'lsd']) expect(expectOneLineError(await run([cmd, missing]), 3)).toContain(missing);
    const dst = fresh('dst');
    expect(expectOneLineError(await run(['copy', missing, dst]), 3)).toContain(missing);
  });

  it('sync from a source that does not exist deletes nothing (3)', async () => {
    const dst = makeTree(fresh('dst'));
    expectOneLineError(await run(['sync', fresh('missing'), dst]), 3);
    expect(snapshot(dst)).toEqual(treeContents());
  });

  it('config file that is a directory (1)', async () => {
    const dir = fresh('confdir');
    mkdirSync(dir);
    expect(expectOneLineError(await run(['ls', '--config', dir, tree]), 1)).toContain(dir);
  });

  it('encrypted config file (1)', async () => {
    const conf = fresh('enc.conf');
    writeFileSync(conf, '# Encrypted rclone configuration File\n\nRCLONE_ENCRYPT_V0:\nc2VjcmV0\n');
    expect(expectOneLineError(await run(['ls', '--config', conf, tree]), 1)).toMatch(/encrypt/i);
    writeFileSync(conf, 'RCLONE_ENCRYPT_V0:\nc2VjcmV0\n');
    expect(expectOneLineError(await run(['ls', '--config', conf, tree]), 1)).toMatch(/encrypt/i);
  });

  it('malformed config file (1)', async () => {
    const conf = fresh('bad.conf');
    writeFileSync(conf, '[disk]\ntype = local\nthis line is garbage\n');
    expect(expectOneLineError(await run(['ls', '--config', conf, tree]), 1)).toContain('line 3');
    expect(expectOneLineError(await run(['ls', tree], { NCLONE_CONFIG: conf }), 1)).toContain('line 3');
  });

  it('a remote without a type in the config file (1)', async () => {
    const conf = fresh('notype.conf');
    writeFileSync(conf, '[disk]\nfoo = bar\n');
    expect(expectOneLineError(await run(['ls', '--config', conf, `disk:${tree}`]), 1)).toContain('disk');
  });

  it('a destination that cannot be written (below a regular file)', async () => {
    const documented = [2, 3, 4, 5, 6, 7];
    const dst = path.join(afile, 'sub');
    expectOneLineError(await run(['copy', tree, dst]), documented);
    expectOneLineError(await run(['sync', tree, dst]), documented);
    expectOneLineError(await run(['mkdir', dst]), documented);
    expect(readFileSync(afile, 'utf8')).toBe('hello\n');
  });

  it('copying a file to a destination that names a file (1)', async () => {
    const dst = makeTree(fresh('dst'));
    expectOneLineError(await run(['copy', tree, path.join(dst, 'one.txt')]), 1);
  });

  it('--delete-before with --delete-after (1)', async () => {
    const dst = fresh('dst');
    expect(expectOneLineError(await run(['sync', '--delete-before', '--delete-after', tree, dst]), 1)).toMatch(/--delete-before/);
    expect(existsSync(dst)).toBe(false);
  });

  it('copying a directory into its own subdirectory (1)', async () => {
    const src = makeTree(fresh('src'));
    expectOneLineError(await run(['copy', src, path.join(src, 'sub')]), 1);
    expect(existsSync(path.join(src, 'sub'))).toBe(false);
    expectOneLineError(await run(['copy', src, src]), 1);
    // rclone refuses an overlapping sync as well (its code is 7, "fatal").
    expectOneLineError(await run(['sync', src, path.join(src, 'sub')]), [1, 7]);
    expect(snapshot(src)).toEqual(treeContents());
  });

  it('a bad NCLONE_ value names the variable (1)', async () => {
    expect(expectOneLineError(await run(['ls', tree], { NCLONE_DRY_RUN: 'maybe' }), 1)).toContain('NCLONE_DRY_RUN');
    expect(expectOneLineError(await run(['ls', tree], { NCLONE_LOG_LEVEL: 'LOUD' }), 1)).toContain('LOUD');
  });
});

describe('environment, config and paths', () => {
  let tree: string;
  beforeAll(() => {
    tree = makeTree(fresh('tree'));
  });
  const expected = () => sorted(FILES.map((f) => lsLine(f)));

  it('NCLONE_TRANSFERS=0 is refused like --transfers 0; the command line wins over the variable', async () => {
    const viaFlag = await run(['copy', '--transfers', '0', tree, fresh('dst')]);
    const viaEnv = await run(['copy', tree, fresh('dst')], { NCLONE_TRANSFERS: '0' });
    expectOneLineError(viaEnv, 1);
    expect(viaEnv.code).toBe(viaFlag.code);
    expect(viaEnv.stderr).toBe(viaFlag.stderr);
    const dst = fresh('dst');
    expectQuietSuccess(await run(['copy', '--transfers', '2', tree, dst], { NCLONE_TRANSFERS: '0' }));
    expect(snapshot(dst)).toEqual(treeContents());
  });

  it('NCLONE_DRY_RUN=true makes sync change nothing; NCLONE_DRY_RUN=false does not', async () => {
    const dst = makeTree(fresh('dst'));
    writeFileSync(path.join(dst, 'extra.txt'), 'extra');
    const before = snapshot(dst);
    const dry = await run(['sync', tree, dst], { NCLONE_DRY_RUN: 'true' });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain('--dry-run');
    expect(snapshot(dst)).toEqual(before);
    const wet = await run(['sync', tree, dst], { NCLONE_DRY_RUN: 'false' });
    expectQuietSuccess(wet);
    expect(snapshot(dst)).toEqual(treeContents());
  });

  it('a remote defined only by NCLONE_CONFIG_MYDISK_TYPE=local works as mydisk:/abs/path', async () => {
    const r = await run(['ls', `mydisk:${tree}`], { NCLONE_CONFIG_MYDISK_TYPE: 'local' });
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(expected());
    const dst = fresh('dst');
    expectQuietSuccess(await run(['copy', `mydisk:${tree}`, `mydisk:${dst}`], { NCLONE_CONFIG_MYDISK_TYPE: 'local' }));
    expect(snapshot(dst)).toEqual(treeContents());
  });

  it('a config file remote works with --config, NCLONE_CONFIG and the default location', async () => {
    const conf = fresh('nclone.conf');
    writeFileSync(conf, '# my remotes\n[disk]\ntype = local\n');
    const viaFlag = await run(['ls', '--config', conf, `disk:${tree}`]);
    expectQuietSuccess(viaFlag);
    expect(sorted(lines(viaFlag.stdout))).toEqual(expected());

    const viaEnv = await run(['ls', `disk:${tree}`], { NCLONE_CONFIG: conf });
    expectQuietSuccess(viaEnv);
    expect(sorted(lines(viaEnv.stdout))).toEqual(expected());

    const home2 = fresh('home');
    mkdirSync(path.join(home2, '.config', 'nclone'), { recursive: true });
    writeFileSync(path.join(home2, '.config', 'nclone', 'nclone.conf'), '[disk]\ntype = local\n');
    const viaDefault = await nclone(['ls', `disk:${tree}`], { env: childEnv(home2) });
    expectQuietSuccess(viaDefault);
    expect(sorted(lines(viaDefault.stdout))).toEqual(expected());

    // Without any of them the remote is unknown.
    expectOneLineError(await run(['ls', `disk:${tree}`]), 1);
  });

  it('on-the-fly :local:/path works', async () => {
    const r = await run(['ls', `:local:${tree}`]);
    expectQuietSuccess(r);
    expect(sorted(lines(r.stdout))).toEqual(expected());
  });

  it('--links and -l show a symlink as name.rclonelink; without them it is skipped with a notice', async () => {
    const src = makeTree(fresh('src'));
    symlinkSync('one.txt', path.join(src, 'link'));
    for (const flag of ['--links', '-l']) {
      const r = await run(['ls', flag, '--max-depth', '1', src]);
      expectQuietSuccess(r);
      expect(sorted(lines(r.stdout))).toEqual(sorted([lsLine(FILES[0]!), lsLine(FILES[1]!), `${'7'.padStart(9)} link.rclonelink`]));
    }
    const plain = await run(['ls', '--max-depth', '1', src]);
    expect(plain.code).toBe(0);
    expect(sorted(lines(plain.stdout))).toEqual(sorted([lsLine(FILES[0]!), lsLine(FILES[1]!)]));
    expect(plain.stderr).toMatch(/link: Can't follow symlink/);

    const dst = fresh('dst');
    expectQuietSuccess(await run(['copy', '-l', src, dst]));
    expect(lstatSync(path.join(dst, 'link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(dst, 'link'))).toBe('one.txt');
  });
});

describe('stdout closed early (nclone ls DIR | head -1)', () => {
  let big: string;
  beforeAll(() => {
    big = fresh('many');
    mkdirSync(big);
    // Far more than a pipe buffer (64 KiB) of listing, so writes go on after the reader left.
    for (let i = 0; i < 5000; i++) writeFileSync(path.join(big, `a-file-with-a-rather-long-name-${String(i).padStart(5, '0')}.txt`), '');
  });

  for (const cmd of ['ls', 'lsl']) {
    it(`${cmd} exits quietly when the reader goes away`, async () => {
      const r = await nclone([cmd, big], { env, closeStdoutEarly: true });
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.signal).toBe(null);
      expect(r.code).toBe(0);
    });
  }

  it('a stdout that fails otherwise (a full disk) is an error, not a silent success', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      for (const args of [['ls', big], ['version']]) {
        const r = await nclone(args, { env, stdoutFd: fd });
        expect(r.code, args.join(' ')).toBe(2);
        expect(lines(r.stderr)).toHaveLength(1);
        expect(r.stderr).toMatch(/standard output.*ENOSPC/);
        expect(r.stderr).not.toMatch(/^\s+at /m);
      }
    } finally {
      closeSync(fd);
    }
  });
});
