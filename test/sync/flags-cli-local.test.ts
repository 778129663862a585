/**
 * The engine's flags through the command line on local disks, beside rclone 1.60 where
 * their outcomes can be compared: --order-by, --check-first, --max-backlog,
 * --no-traverse, --max-duration and --cutoff-mode, --compare-dest, --copy-dest,
 * --track-renames. Needs a build (npx tsc -p .).
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCode, snapshot } from '../s3/helpers-cli.js';
import { named, useWorkspace } from './flags-cli-helpers.js';

const ws = useWorkspace('flags-local');
const { tree, fresh } = ws;

const bytes = (k: number, c: string) => Buffer.alloc(k, c);

describe('--order-by and --check-first', () => {
  const files: Record<string, [Buffer, number]> = { 'b.bin': [bytes(3000, 'b'), 1_600_000_300], 'a.bin': [bytes(1000, 'a'), 1_600_000_100], 'd/c.bin': [bytes(4000, 'c'), 1_600_000_200], 'e.bin': [bytes(2000, 'e'), 1_600_000_400] };

  it('--order-by size,descending with --check-first and --transfers 1 copies the largest first, as rclone does', async () => {
    const src = tree({ ...files });
    const ours = await ws.cli.nclone('copy', src, fresh(), '--order-by', 'size,descending', '--check-first', '--transfers', '1', '-v');
    expectCode(ours, 0);
    expect(named(ours.stderr, /^Copied \(new\)$/)).toEqual(['d/c.bin', 'b.bin', 'e.bin', 'a.bin']);
    const theirs = await ws.cli.rclone('copy', src, fresh(), '--order-by', 'size,descending', '--check-first', '--transfers', '1', '-v');
    expectCode(theirs, 0);
    expect(named(theirs.stderr, /^Copied \(new\)$/)).toEqual(named(ours.stderr, /^Copied \(new\)$/));
  });

  it('NCLONE_ORDER_BY=modtime and NCLONE_CHECK_FIRST=true do the same from the environment: oldest first', async () => {
    const src = tree({ ...files });
    const r = await ws.cli.nclone('copy', src, fresh(), '--transfers', '1', '-v');
    expect(named(r.stderr, /^Copied \(new\)$/)).not.toEqual(['a.bin', 'd/c.bin', 'b.bin', 'e.bin']);
    const env = { ...ws.cli.env, NCLONE_ORDER_BY: 'modtime', NCLONE_CHECK_FIRST: 'true' };
    const { run, NCLONE } = await import('../helpers/run.js');
    const ordered = await run(NCLONE, ['copy', src, fresh(), '--transfers', '1', '-v'], env);
    expectCode(ordered, 0);
    expect(named(ordered.stderr, /^Copied \(new\)$/)).toEqual(['a.bin', 'd/c.bin', 'b.bin', 'e.bin']);
    expect(ordered.stderr).toMatch(/Running all checks before starting transfers/);
  });

  it('--check-first: every check is logged before the first copy', async () => {
    const src = tree({ 'a.txt': 'new a', 'b.txt': 'b', 'c.txt': 'new c' });
    const dst = tree({ 'a.txt': 'old a!', 'b.txt': 'b', 'c.txt': 'old c!' });
    const r = await ws.cli.nclone('copy', src, dst, '--check-first', '--transfers', '1', '-vv');
    expectCode(r, 0);
    const lines = r.stderr.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const lastCheck = Math.max(at(/a\.txt: Sizes differ/), at(/b\.txt: Unchanged skipping/), at(/c\.txt: Sizes differ/));
    expect(at(/Running all checks before starting transfers/)).toBeLessThan(lastCheck);
    expect(lastCheck).toBeLessThan(at(/Checks finished, now starting transfers/));
    expect(at(/Checks finished, now starting transfers/)).toBeLessThan(at(/Copied/));
  });

  it('a bad --order-by is one line and exit code 1, before anything is written', async () => {
    const dst = fresh();
    const r = await ws.cli.nclone('copy', tree({ 'a.txt': 'a' }), dst, '--order-by', 'size,sideways');
    expectCode(r, 1);
    expect(r.stderr).toBe('nclone: invalid value "size,sideways" for --order-by: unknown direction "sideways"; use size, name or modtime, then optionally ,ascending ,descending or ,mixed[,PERCENT] (e.g. size,descending)\n');
    expect(nfs.existsSync(dst)).toBe(false);
  });
});

describe('--max-backlog', () => {
  it('0 (hand each item over), 1 and negative (no bound) all copy the whole tree; a non-number is refused', async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 30; i++) spec[`d${i % 3}/f${i}.txt`] = `file ${i}`;
    const src = tree(spec);
    for (const backlog of ['0', '1', '-1']) {
      const dst = fresh();
      const r = await ws.cli.nclone('copy', src, dst, '--max-backlog', backlog, '--transfers', '2', '--checkers', '2', '-v');
      expectCode(r, 0);
      expect(r.stderr).toMatch(/Transferred:\s+30 \/ 30, 100%/);
      expect(snapshot(dst)).toEqual(snapshot(src));
    }
    const bad = await ws.cli.nclone('copy', src, fresh(), '--max-backlog', 'lots');
    expectCode(bad, 1);
    expect(bad.stderr).toBe('nclone: invalid value "lots" for --max-backlog: must be a whole number\n');
  });
});

describe('--no-traverse', () => {
  it('copy checks the files that are there and copies the others; sync ignores it with rclone\'s ERROR line and exit 0', async () => {
    const src = tree({ 'same.txt': 'same', 'new.txt': 'new' });
    const dst = tree({ 'same.txt': 'same', 'other.txt': 'other' });
    const r = await ws.cli.nclone('copy', src, dst, '--no-traverse', '-v');
    expectCode(r, 0);
    expect(named(r.stderr, /^Copied/)).toEqual(['new.txt']);
    expect(r.stderr).toMatch(/Checks:\s+1 \/ 1, 100%/);
    const s = await ws.cli.nclone('sync', src, dst, '--no-traverse');
    const theirs = await ws.cli.rclone('sync', src, tree({ 'other.txt': 'other' }), '--no-traverse');
    expectCode(s, 0);
    expectCode(theirs, 0);
    expect(s.stderr).toMatch(/ERROR : Ignoring --no-traverse with sync\n/);
    expect(theirs.stderr).toMatch(/ERROR : Ignoring --no-traverse with sync\n/);
    expect(Object.keys(snapshot(dst)).sort()).toEqual(['new.txt', 'same.txt']);
  });
});

describe('--max-duration and --cutoff-mode', () => {
  // Four 300 kB files at 200 kB/s, one at a time: about 1.5 s each; the deadline is 2 s.
  const slow = () => tree({ f1: bytes(300_000, '1'), f2: bytes(300_000, '2'), f3: bytes(300_000, '3'), f4: bytes(300_000, '4') });
  const args = ['--bwlimit', '200k', '--transfers', '1', '--max-duration', '2s', '-v'];

  it('hard (the default): stops at the deadline, transfers under way included, and exits 7 like rclone 1.60', async () => {
    const src = slow();
    const dst = fresh();
    const ours = await ws.cli.nclone('copy', src, dst, ...args);
    expectCode(ours, 7);
    expect(ours.stderr).toMatch(/INFO  : .*: Transfer session HARD deadline: \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\n/);
    expect(ours.stderr).toMatch(/ERROR : Failed to copy with 1 error: last error was: max transfer duration reached as set by --max-duration\n/);
    // Only whole files were left, fewer than all.
    const got = snapshot(dst);
    expect(Object.keys(got).length).toBeLessThan(4);
    for (const f of Object.values(got)) expect(f.size).toBe(300_000);
    const theirs = await ws.cli.rclone('copy', src, fresh(), ...args);
    expectCode(theirs, 7);
    expect(theirs.stderr).toContain('max transfer duration reached as set by --max-duration');
  });

  it('soft: the transfer under way at the deadline finishes, no other starts; exit 7', async () => {
    const src = slow();
    const dst = fresh();
    const r = await ws.cli.nclone('copy', src, dst, ...args, '--cutoff-mode', 'soft');
    expectCode(r, 7);
    const copied = named(r.stderr, /^Copied \(new\)$/);
    expect(copied.length).toBeGreaterThanOrEqual(2);
    expect(copied.length).toBeLessThan(4);
    expect(Object.keys(snapshot(dst)).sort()).toEqual([...copied].sort());
    expect(r.stderr).toMatch(/Transfer session SOFT deadline/);
  });

  it('--max-transfer with --cutoff-mode soft lets the transfer under way finish and exits 8; a bad mode is refused', async () => {
    const src = tree({ a: bytes(100_000, 'a'), b: bytes(100_000, 'b'), c: bytes(100_000, 'c') });
    const r = await ws.cli.nclone('copy', src, fresh(), '--max-transfer', '150k', '--cutoff-mode', 'SOFT', '--transfers', '1', '-v');
    expectCode(r, 8);
    expect(named(r.stderr, /^Copied \(new\)$/)).toHaveLength(2);
    expect(r.stderr).toMatch(/NOTICE: max transfer limit reached as set by --max-transfer - stopping transfers\n/);
    const bad = await ws.cli.nclone('copy', src, fresh(), '--cutoff-mode', 'gentle');
    expectCode(bad, 1);
    expect(bad.stderr).toBe('nclone: invalid value "gentle" for --cutoff-mode: use hard, soft or cautious\n');
  });
});

describe('--compare-dest and --copy-dest', () => {
  it('--compare-dest: files identical to those in the directory are not copied (as rclone); the directory is left alone', async () => {
    const src = tree({ 'same.txt': 'same', 'changed.txt': 'changed', 'new.txt': 'new' });
    const cmp = tree({ 'same.txt': 'same', 'changed.txt': 'before' });
    const before = snapshot(cmp);
    const ours = fresh();
    const r = await ws.cli.nclone('copy', src, ours, '--compare-dest', cmp, '-vv');
    expectCode(r, 0);
    expect(r.stderr).toContain('same.txt: Destination found in --compare-dest, skipping');
    const theirs = fresh();
    expectCode(await ws.cli.rclone('copy', src, theirs, '--compare-dest', cmp), 0);
    expect(Object.keys(snapshot(ours)).sort()).toEqual(['changed.txt', 'new.txt']);
    expect(snapshot(ours)).toEqual(snapshot(theirs));
    expect(snapshot(cmp)).toEqual(before);
  });

  it('is refused: both at once, a directory inside the destination, --copy-dest on a disk (no server-side copy)', async () => {
    const src = tree({ 'a.txt': 'a' });
    const dst = fresh();
    const both = await ws.cli.nclone('copy', src, dst, '--compare-dest', src, '--copy-dest', src);
    expectCode(both, 1);
    expect(both.stderr).toBe("nclone: can't use --compare-dest with --copy-dest: give one or the other\n");
    const inside = await ws.cli.nclone('copy', src, dst, '--compare-dest', path.join(dst, 'old'));
    expectCode(inside, 1);
    expect(inside.stderr).toMatch(/^nclone: --compare-dest .* must not overlap the destination .*: put it outside\n$/);
    const disk = await ws.cli.nclone('copy', src, dst, '--copy-dest', tree({}));
    expectCode(disk, 1);
    expect(disk.stderr).toMatch(/^nclone: can't use --copy-dest .*: its backend can't copy server-side \(the local disk can't\); use --compare-dest\n$/);
    // rclone refuses it too (at run time, as a fatal error).
    const theirs = await ws.cli.rclone('copy', src, fresh(), '--copy-dest', tree({}));
    expect(theirs.stderr).toContain("can't use --copy-dest on a remote which doesn't support server side copy");
    expect(nfs.existsSync(dst)).toBe(false);
  });
});

describe('--track-renames', () => {
  it('a renamed file is moved on the destination, not copied again; the outcome is rclone\'s', async () => {
    const big = bytes(200_000, 'x');
    const src = tree({ 'keep.txt': 'keep', 'big.bin': big });
    const ours = fresh();
    const theirs = fresh();
    expectCode(await ws.cli.nclone('sync', src, ours), 0);
    expectCode(await ws.cli.rclone('sync', src, theirs), 0);
    nfs.mkdirSync(path.join(src, 'moved'));
    nfs.renameSync(path.join(src, 'big.bin'), path.join(src, 'moved', 'renamed.bin'));
    const r = await ws.cli.nclone('sync', src, ours, '--track-renames', '-v');
    expectCode(r, 0);
    expect(r.stderr).toContain('moved/renamed.bin: Renamed from "big.bin"');
    expect(r.stderr).toMatch(/Renamed:\s+1\n/);
    expect(r.stderr).not.toMatch(/Copied|Deleted/);
    expect(r.stderr).toContain('There was nothing to transfer');
    const t = await ws.cli.rclone('sync', src, theirs, '--track-renames', '-v');
    expectCode(t, 0);
    expect(t.stderr).toContain('moved/renamed.bin: Renamed from "big.bin"');
    expect(snapshot(ours)).toEqual(snapshot(theirs));
    expect(snapshot(ours)).toEqual(snapshot(src));
  });

  it('copy ignores it with rclone\'s ERROR line; --delete-before with it is refused; a bad strategy too', async () => {
    const src = tree({ 'a.txt': 'a' });
    const dst = fresh();
    const c = await ws.cli.nclone('copy', src, dst, '--track-renames');
    expectCode(c, 0);
    expect(c.stderr).toMatch(/ERROR : .*: Ignoring --track-renames as it doesn't work with copy or move, only sync\n/);
    const before = await ws.cli.nclone('sync', src, dst, '--track-renames', '--delete-before');
    expectCode(before, 1);
    expect(before.stderr).toBe("nclone: can't use --delete-before with --track-renames: drop one (renames need the deletes after the transfers)\n");
    const strategy = await ws.cli.nclone('sync', src, dst, '--track-renames', '--track-renames-strategy', 'hash,inode');
    expectCode(strategy, 1);
    expect(strategy.stderr).toMatch(/^nclone: invalid value "hash,inode" for --track-renames-strategy: unknown strategy "inode"/);
  });
});

it('nclone help flags lists every new flag', async () => {
  const r = await ws.cli.nclone('help', 'flags');
  expectCode(r, 0);
  for (const f of ['--check-first', '--no-traverse', '--max-duration', '--cutoff-mode', '--max-backlog', '--order-by', '--compare-dest', '--copy-dest', '--track-renames', '--track-renames-strategy']) expect(r.stdout).toContain(f);
});
