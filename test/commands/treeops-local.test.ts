/**
 * move, moveto, delete, purge, rmdir and rmdirs on local disks through the command line,
 * with rclone 1.60 run on an identical tree where the two must agree: what stays in the
 * source and what is in the destination afterwards (contents and mtimes), a destination
 * that refuses writes (an immutable directory) leaving its source files in place, the
 * exit codes and the one-line refusals.
 */
import { execFileSync } from 'node:child_process';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, expectOneLineError, lines, nclone, runChild, type Result } from '../cli/run.js';

let base: string;
let env: NodeJS.ProcessEnv;
let counter = 0;
/** Directories made unwritable, made writable again at the end so they can be removed. */
const locked: string[] = [];

beforeAll(() => {
  base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-treeops-'));
  nfs.mkdirSync(path.join(base, 'home'));
  env = childEnv(path.join(base, 'home'));
  if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
});

afterAll(() => {
  for (const dir of locked) unlock(dir);
  nfs.rmSync(base, { recursive: true, force: true });
});

const run = (...args: string[]): Promise<Result> => nclone(args, { env });
const rclone = (...args: string[]): Promise<Result> => runChild('rclone', ['--config', path.join(base, 'no-rclone.conf'), ...args], { env });

/** 2020-09-13 12:26:40 UTC, plus a different second and microsecond per file. */
const T0 = 1_600_000_000;

/** A new directory holding the files (name -> content), each with its own mtime; names ending in / are empty directories. */
function tree(label: string, files: Record<string, string>): string {
  const dir = path.join(base, `${String(++counter).padStart(3, '0')}-${label}`);
  nfs.mkdirSync(dir, { recursive: true });
  let i = 0;
  for (const [name, data] of Object.entries(files)) {
    const p = path.join(dir, name);
    if (name.endsWith('/')) {
      nfs.mkdirSync(p, { recursive: true });
      continue;
    }
    nfs.mkdirSync(path.dirname(p), { recursive: true });
    nfs.writeFileSync(p, data);
    i++;
    nfs.utimesSync(p, T0 + i * 61 + i / 1000, T0 + i * 61 + (i * 1001) / 1_000_000);
  }
  return dir;
}

/** Every file under root as "path content mtime-in-microseconds", sorted; [] when root is gone. */
function contents(root: string): string[] {
  if (!nfs.existsSync(root)) return [];
  return (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => {
      const p = path.join(d.parentPath, d.name);
      return `${path.relative(root, p)} ${nfs.readFileSync(p, 'utf8')} ${nfs.statSync(p, { bigint: true }).mtimeNs / 1000n}`;
    })
    .sort();
}

/** Every directory under root, relative, sorted. */
function dirs(root: string): string[] {
  return (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => d.isDirectory())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .sort();
}

/** Log lines without their date and time. */
function messages(stderr: string): string[] {
  return lines(stderr).map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
}

/**
 * Makes a directory refuse new entries, also for root (which ignores permission bits): the
 * immutable attribute. Fails the test if a file can still be made there.
 */
function lock(dir: string): void {
  nfs.chmodSync(dir, 0o555);
  if (process.getuid?.() === 0) execFileSync('chattr', ['+i', dir]);
  locked.push(dir);
  const probe = path.join(dir, '.probe');
  let writable = true;
  try {
    nfs.writeFileSync(probe, '');
    nfs.rmSync(probe);
  } catch {
    writable = false;
  }
  if (writable) throw new Error(`could not make ${dir} refuse writes on this machine`);
}

function unlock(dir: string): void {
  if (process.getuid?.() === 0) execFileSync('chattr', ['-i', dir]);
  nfs.chmodSync(dir, 0o755);
}

const TREE = { 'top.txt': 'top', 'a/one.txt': 'one', 'a/b/two.txt': 'two', 'c/three.log': 'three', 'empty/': '' };

describe('move', () => {
  it('renames each file into place, keeping contents and mtimes; the source keeps its directories; as rclone', async () => {
    const srcN = tree('src', TREE);
    const srcR = tree('src', TREE);
    const before = contents(srcN);
    // A destination that exists, so that rclone moves file by file too (it renames a whole directory into a missing one).
    const dstN = tree('dst', { 'old.txt': 'old' });
    const dstR = tree('dst', { 'old.txt': 'old' });
    const r = await run('move', '-v', srcN, dstN);
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr).filter((l) => /Moved/.test(l)).sort()).toEqual([
      'INFO  : a/b/two.txt: Moved (server-side)',
      'INFO  : a/one.txt: Moved (server-side)',
      'INFO  : c/three.log: Moved (server-side)',
      'INFO  : top.txt: Moved (server-side)',
    ]);
    expect(r.stderr).toMatch(/Renamed:\s+4\n/);
    expect(r.stderr).toContain('There was nothing to transfer');
    expect((await rclone('move', srcR, dstR)).code).toBe(0);
    expect(contents(dstN)).toEqual([...before, contents(dstR).find((l) => l.startsWith('old.txt'))!].sort());
    expect(contents(dstN)).toEqual(contents(dstR));
    expect(contents(srcN)).toEqual([]);
    expect(dirs(srcN)).toEqual(['a', 'a/b', 'c', 'empty']);
    expect(dirs(srcN)).toEqual(dirs(srcR));
  });

  it('--delete-empty-src-dirs removes the directories left empty, not one holding an excluded file, nor the top one; as rclone', async () => {
    const srcN = tree('src', TREE);
    const srcR = tree('src', TREE);
    const dstN = tree('dst', { 'old.txt': 'old' });
    const dstR = tree('dst', { 'old.txt': 'old' });
    const r = await run('move', '-v', '--delete-empty-src-dirs', '--exclude', '*.log', srcN, dstN);
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr)).toEqual(expect.arrayContaining(['INFO  : a/b: Removing directory', 'INFO  : a: Removing directory', 'INFO  : empty: Removing directory']));
    expect((await rclone('move', '--delete-empty-src-dirs', '--exclude', '*.log', srcR, dstR)).code).toBe(0);
    expect(dirs(srcN)).toEqual(['c']);
    expect(contents(srcN).map((l) => l.split(' ')[0])).toEqual(['c/three.log']);
    expect(dirs(srcN)).toEqual(dirs(srcR));
    expect(contents(dstN)).toEqual(contents(dstR));
  });

  it('a file already identical in the destination: only the source goes; a different one is replaced; --ignore-existing keeps both', async () => {
    const src = tree('src', { 'same.txt': 'same', 'new.txt': 'newer data', 'kept.txt': 'k' });
    const dst = path.join(base, 'dst-identical');
    nfs.mkdirSync(dst);
    nfs.copyFileSync(path.join(src, 'same.txt'), path.join(dst, 'same.txt'));
    const t = nfs.statSync(path.join(src, 'same.txt'));
    nfs.utimesSync(path.join(dst, 'same.txt'), t.atime, t.mtime);
    nfs.writeFileSync(path.join(dst, 'new.txt'), 'old');
    nfs.writeFileSync(path.join(dst, 'kept.txt'), 'other');
    const keep = await run('move', '--ignore-existing', '--include', 'kept.txt', src, dst);
    expect(keep.code, keep.stderr).toBe(0);
    expect(nfs.readFileSync(path.join(src, 'kept.txt'), 'utf8')).toBe('k');
    expect(nfs.readFileSync(path.join(dst, 'kept.txt'), 'utf8')).toBe('other');
    const r = await run('move', '-v', '--exclude', 'kept.txt', src, dst);
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr)).toEqual(expect.arrayContaining(['INFO  : same.txt: Deleted', 'INFO  : new.txt: Moved (server-side)']));
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['kept.txt']);
    expect(nfs.readFileSync(path.join(dst, 'new.txt'), 'utf8')).toBe('newer data');
    expect(nfs.readFileSync(path.join(dst, 'same.txt'), 'utf8')).toBe('same');
  });

  it('a destination directory that refuses writes leaves its source files in place; the rest still moves; exit 6', async () => {
    const src = tree('src', { 'ok.txt': 'ok', 'locked/x.txt': 'x', 'other/y.txt': 'y' });
    const dst = tree('dst', { 'locked/': '' });
    lock(path.join(dst, 'locked'));
    const r = await run('move', '--delete-empty-src-dirs', src, dst);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stderr).toMatch(/ERROR : locked\/x\.txt: .*permission denied/);
    expect(r.stderr).toContain('ERROR : not deleting directories as there were IO errors');
    expect(r.stderr).toMatch(/Failed to move with 1 error: last error was: .*permission denied/);
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['locked/x.txt']);
    expect(dirs(src)).toEqual(['locked', 'other']);
    expect(contents(dst).map((l) => l.split(' ')[0])).toEqual(['ok.txt', 'other/y.txt']);
  });

  it('--dry-run changes nothing and says what would move', async () => {
    const src = tree('src', TREE);
    const before = contents(src);
    const dst = path.join(base, 'dst-dry');
    const r = await run('move', '-n', src, dst);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('NOTICE: a/b/two.txt: Skipped move as --dry-run is set (size 3)');
    expect(contents(src)).toEqual(before);
    expect(nfs.existsSync(dst)).toBe(false);
  });

  it('a file source moves only that file into the directory (none into its own directory); overlapping directories are refused', async () => {
    const src = tree('src', { 'f.txt': 'f', 'g.txt': 'g' });
    const dst = path.join(base, 'dst-file');
    const r = await run('move', path.join(src, 'f.txt'), dst);
    expect(r.code, r.stderr).toBe(0);
    expect(contents(dst).map((l) => l.split(' ')[0])).toEqual(['f.txt']);
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['g.txt']);
    // Into the directory it is already in: nothing to do, and the file stays.
    const onto = await run('move', path.join(src, 'g.txt'), src);
    expect(onto.code, onto.stderr).toBe(0);
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['g.txt']);
    const overlap = await run('move', src, path.join(src, 'inside'));
    expect(expectOneLineError(overlap, 1)).toMatch(/^nclone: can't move .*: source and destination overlap/);
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['g.txt']);
  });
});

describe('moveto', () => {
  it('renames a file (mtime kept), into a new directory, over a different file; the same name is a no-op', async () => {
    const src = tree('src', { 'a.txt': 'a', 'b.txt': 'b' });
    const [a, b] = contents(src);
    let r = await run('moveto', path.join(src, 'a.txt'), path.join(src, 'new/dir/renamed.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(contents(src)).toEqual([b, a!.replace('a.txt', 'new/dir/renamed.txt')]);
    r = await run('moveto', '-v', path.join(src, 'b.txt'), path.join(src, 'new/dir/renamed.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr)).toContain('INFO  : b.txt: Moved (server-side) to: renamed.txt');
    expect(contents(src).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['new/dir/renamed.txt b']);
    r = await run('moveto', path.join(src, 'new/dir/renamed.txt'), path.join(src, 'new/dir/renamed.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(contents(src).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['new/dir/renamed.txt b']);
  });

  it('refuses filters with a file source, a destination that names a directory, and a directory onto a file', async () => {
    const src = tree('src', { 'a.txt': 'a' });
    const file = path.join(src, 'a.txt');
    expect(expectOneLineError(await run('moveto', '--include', '*.txt', file, path.join(src, 'b.txt')), 1)).toMatch(/when filters are given/);
    expect(expectOneLineError(await run('moveto', file, src + '/'), 1)).toMatch(/names a directory: give the new file's name/);
    expect(expectOneLineError(await run('moveto', tree('dir', { 'x/': '' }), file), 1)).toMatch(/that is a file/);
    expect(contents(src).map((l) => l.split(' ')[0])).toEqual(['a.txt']);
  });
});

describe('delete', () => {
  it('deletes the files the filters select and with --rmdirs the directories left empty, keeping the top one; as rclone', async () => {
    const files = { ...TREE, 'c/keep.jpg': 'jpg', 'd/e/gone.txt': 'g' };
    const n = tree('del', files);
    const rc = tree('del', files);
    const r = await run('delete', '-v', '--rmdirs', '--exclude', '*.jpg', n);
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr).filter((l) => l.endsWith('Deleted')).sort()).toEqual([
      'INFO  : a/b/two.txt: Deleted',
      'INFO  : a/one.txt: Deleted',
      'INFO  : c/three.log: Deleted',
      'INFO  : d/e/gone.txt: Deleted',
      'INFO  : top.txt: Deleted',
    ]);
    expect(contents(n).map((l) => l.split(' ')[0])).toEqual(['c/keep.jpg']);
    expect(dirs(n)).toEqual(['c']);
    // rclone 1.60 agrees on the files; its --rmdirs then stops at c (the .jpg it did not list keeps c non-empty).
    await rclone('delete', '--rmdirs', '--exclude', '*.jpg', rc);
    expect(contents(n)).toEqual(contents(rc));
  });

  it('without --rmdirs the directories stay; --dry-run and --max-delete over the limit delete nothing', async () => {
    const dir = tree('del', TREE);
    const before = contents(dir);
    const dry = await run('delete', '--dry-run', '--include', '*.txt', dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(messages(dry.stderr).sort()).toEqual([
      'NOTICE: a/b/two.txt: Skipped delete as --dry-run is set (size 3)',
      'NOTICE: a/one.txt: Skipped delete as --dry-run is set (size 3)',
      'NOTICE: top.txt: Skipped delete as --dry-run is set (size 3)',
    ]);
    const over = await run('delete', '--max-delete', '2', '--include', '*.txt', dir);
    expect(expectOneLineError(over, 7)).toBe('nclone: --max-delete threshold (2) reached: 3 files to delete, so none were deleted');
    expect(contents(dir)).toEqual(before);
    const r = await run('delete', '--max-delete', '3', '--include', '*.txt', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(contents(dir).map((l) => l.split(' ')[0])).toEqual(['c/three.log']);
    expect(dirs(dir)).toEqual(['a', 'a/b', 'c', 'empty']);
  });

  it('a file path deletes that file only; with filters it is refused; a missing path exits 3', async () => {
    const dir = tree('del', { 'a.txt': 'a', 'b.txt': 'b' });
    expect(expectOneLineError(await run('delete', '--include', 'a.txt', path.join(dir, 'a.txt')), 1)).toMatch(/can't delete the single file .* when filters are given/);
    const r = await run('delete', path.join(dir, 'a.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(contents(dir).map((l) => l.split(' ')[0])).toEqual(['b.txt']);
    expect(expectOneLineError(await run('delete', path.join(dir, 'missing')), 3)).toMatch(/directory not found/);
  });

  it('a file that cannot be deleted is reported, the others go, and --rmdirs is skipped', async () => {
    const dir = tree('del', { 'a.txt': 'a', 'locked/b.txt': 'b', 'z/c.txt': 'c' });
    lock(path.join(dir, 'locked'));
    const r = await run('delete', '--rmdirs', dir);
    expect(r.code, r.stderr).toBe(6);
    expect(messages(r.stderr)[0]).toMatch(/^ERROR : locked\/b\.txt: Couldn't delete: .*permission denied$/);
    expect(messages(r.stderr)[1]).toMatch(/^nclone: failed to delete 1 file: last error was: .*permission denied$/);
    expect(contents(dir).map((l) => l.split(' ')[0])).toEqual(['locked/b.txt']);
    expect(dirs(dir)).toEqual(['locked', 'z']);
  });
});

describe('purge', () => {
  it('removes the directory and everything in it; a second purge finds nothing (exit 3)', async () => {
    const dir = tree('purge', TREE);
    const dry = await run('purge', '-n', dir);
    expect(dry.code, dry.stderr).toBe(0);
    expect(messages(dry.stderr)).toEqual([`NOTICE: ${dir}: Skipped purge directory as --dry-run is set`]);
    expect(contents(dir).length).toBe(4);
    const r = await run('purge', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(nfs.existsSync(dir)).toBe(false);
    expect(expectOneLineError(await run('purge', dir), 3)).toMatch(/directory not found/);
  });

  it('refuses filters (it would delete everything anyway) and a file, deleting nothing', async () => {
    const dir = tree('purge', TREE);
    const before = contents(dir);
    expect(expectOneLineError(await run('purge', '--include', '*.txt', dir), 1)).toBe(
      `nclone: purge does not take filters: it deletes everything under ${dir}. Use delete to remove only the files the filters select`,
    );
    expect(expectOneLineError(await run('purge', path.join(dir, 'top.txt')), 1)).toMatch(/is a file, not a directory: use delete/);
    expect(contents(dir)).toEqual(before);
  });
});

describe('rmdir and rmdirs', () => {
  it('rmdir removes an empty directory; one holding only an empty directory is not empty (exit 6); a missing one exits 3', async () => {
    const dir = tree('rmdir', { 'empty/': '', 'nested/inner/': '' });
    const r = await run('rmdir', '-v', path.join(dir, 'empty'));
    expect(r.code, r.stderr).toBe(0);
    expect(messages(r.stderr)).toEqual([`INFO  : ${path.join(dir, 'empty')}: Removing directory`]);
    expect(expectOneLineError(await run('rmdir', path.join(dir, 'nested')), 6)).toMatch(/directory not empty$/);
    expect(expectOneLineError(await run('rmdir', path.join(dir, 'missing')), 3)).toMatch(/directory not found$/);
    expect(dirs(dir)).toEqual(['nested', 'nested/inner']);
  });

  it('rmdirs removes nested empty directories deepest first, then the top one unless --leave-root; as rclone', async () => {
    const layout = { 'keep/f.txt': 'f', 'keep/e1/': '', 'x/y/z/': '', 'x/w/': '' };
    const n = tree('rmdirs', layout);
    const rc = tree('rmdirs', layout);
    const dry = await run('rmdirs', '-n', '--leave-root', n);
    expect(dry.code, dry.stderr).toBe(0);
    // A trial run shows the parents that would go once their children are gone.
    expect(messages(dry.stderr).sort()).toEqual(['keep/e1', 'x', 'x/w', 'x/y', 'x/y/z'].map((d) => `NOTICE: ${d}: Skipped remove directory as --dry-run is set`).sort());
    expect(dirs(n)).toEqual(dirs(rc));
    const r = await run('rmdirs', '-v', '--leave-root', n);
    expect(r.code, r.stderr).toBe(0);
    const removed = messages(r.stderr).map((l) => l.replace(/^INFO  : (.*): Removing directory$/, '$1'));
    expect([...removed].sort()).toEqual(['keep/e1', 'x', 'x/w', 'x/y', 'x/y/z']);
    expect(removed.indexOf('x/y/z')).toBeLessThan(removed.indexOf('x/y'));
    expect(removed.indexOf('x/y')).toBeLessThan(removed.indexOf('x'));
    expect((await rclone('rmdirs', '--leave-root', rc)).code).toBe(0);
    expect(dirs(n)).toEqual(['keep']);
    expect(dirs(n)).toEqual(dirs(rc));
    const empty = tree('rmdirs', { 'a/b/': '' });
    expect((await run('rmdirs', '--leave-root', empty)).code).toBe(0);
    expect(nfs.existsSync(empty)).toBe(true);
    expect((await run('rmdirs', empty)).code).toBe(0);
    expect(nfs.existsSync(empty)).toBe(false);
  });

  it('rmdirs with filters removes only the empty directories they select, never one holding an excluded file', async () => {
    const dir = tree('rmdirs', { 'keep/x/': '', 'drop/y/': '', 'hold/z/a.jpg': 'a' });
    const r = await run('rmdirs', '--leave-root', '--exclude', 'keep/**', '--exclude', '*.jpg', dir);
    expect(r.code, r.stderr).toBe(0);
    expect(dirs(dir)).toEqual(['hold', 'hold/z', 'keep', 'keep/x']);
  });
});
