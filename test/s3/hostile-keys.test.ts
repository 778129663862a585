/**
 * Issue 8 items 1 and 4, through the CLI against the real RGW (which stores such keys as
 * they are): a bucket whose owner planted keys with "..", ".", "//", a leading "/" and
 * control characters must not make `copy`/`sync` to a local directory write, delete or
 * move anything outside it, must not loop, must map distinct keys to distinct files, and
 * must not let a name forge a log line or reach the terminal raw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { makeBase, makeCli, putObject, removeBuckets, uniqueBucket, type Cli } from './helpers-cli.js';
import { filesUnder, runNclone } from './helpers-faults.js';

/** Keys that name a file inside the destination once "." and ".." are translated. */
const ESCAPING = ['../victim.txt', 'dir/../../escape.txt', './dot', 'a/./b', 'a/b/..', 'x/.'];
/** Keys with an empty path segment: no local name can stand for them. */
const EMPTY_SEGMENT = ['/abs', '//dbl', 'e//f'];
const CONTROL = ['nl\nINFO  : forged.txt', 'esc\x1b[31mred\x1b[0m.txt'];
const ORDINARY = ['ok.txt', 'sub/ok2.txt'];

/** The local name a key gets: "." and ".." segments become U+FF0E ones (rclone's encoding). */
function localName(key: string): string {
  return key
    .split('/')
    .map((s) => (s === '.' ? '\uff0e' : s === '..' ? '\uff0e\uff0e' : s))
    .join('/');
}

describe('keys a bucket owner can plant', () => {
  const bucket = uniqueBucket('nclone-keys');
  let base: string;
  let cli: Cli;
  /** base/restore/victim.txt sits next to the destination base/restore/inner. */
  let restore: string;
  let victim: string;

  beforeAll(async () => {
    base = makeBase('keys');
    cli = makeCli(base, false);
    expect((await cli.nclone('mkdir', `rgw:${bucket}`)).code).toBe(0);
    for (const key of [...ESCAPING, ...EMPTY_SEGMENT, ...CONTROL, ...ORDINARY]) await putObject(bucket, key, `data of ${JSON.stringify(key)}`);
    restore = path.join(base, 'restore');
    victim = path.join(restore, 'victim.txt');
  });

  afterAll(async () => {
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  for (const command of ['sync', 'copy'] as const) {
    for (const fastList of [false, true]) {
      it(`${command}${fastList ? ' --fast-list' : ''} writes every key inside the destination, each under its own name, and ends fast`, async () => {
        nfs.rmSync(restore, { recursive: true, force: true });
        const inner = path.join(restore, 'inner');
        nfs.mkdirSync(inner, { recursive: true });
        nfs.writeFileSync(victim, 'precious');
        const outsideBefore = filesUnder(restore).filter((f) => !f.startsWith('inner/'));

        const r = await runNclone([command, `rgw:${bucket}`, inner, '-v', ...(fastList ? ['--fast-list'] : [])], cli.env, 30_000);
        expect(r.timedOut, 'the run ended by itself').toBe(false);

        // Nothing outside the destination changed.
        expect(nfs.readFileSync(victim, 'utf8')).toBe('precious');
        expect(filesUnder(restore).filter((f) => !f.startsWith('inner/'))).toEqual(outsideBefore);
        expect(nfs.existsSync(path.join(base, 'escape.txt'))).toBe(false);

        // Each key with "." or ".." is a distinct file inside, with its own content.
        for (const key of [...ESCAPING, ...CONTROL, ...ORDINARY]) {
          expect(nfs.readFileSync(path.join(inner, localName(key)), 'utf8'), key).toBe(`data of ${JSON.stringify(key)}`);
        }
        expect(filesUnder(inner)).toHaveLength(ESCAPING.length + CONTROL.length + ORDINARY.length);

        // Keys with empty segments are reported, counted and skipped: exit non-zero, no loop.
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stderr).toContain('not a name in that directory');
        const copied = r.stderr.split('\n').filter((l) => l.includes('Copied (new)'));
        expect(copied).toHaveLength(ESCAPING.length + CONTROL.length + ORDINARY.length);

        // No name reached the terminal raw or started a line of its own.
        expect(r.stderr).not.toContain('\x1b');
        expect(r.stderr.split('\n').filter((l) => l.startsWith('INFO  : forged'))).toEqual([]);
        expect(r.stderr).toContain('esc\\x1b[31mred\\x1b[0m.txt: Copied (new)');
      });
    }
  }

  it('a second sync finds everything in place and deletes nothing outside (deletes withheld while keys are skipped)', async () => {
    const inner = path.join(restore, 'inner');
    const r = await runNclone(['sync', `rgw:${bucket}`, inner, '-v'], cli.env, 30_000);
    expect(r.timedOut).toBe(false);
    expect(r.stderr).not.toContain('Copied');
    expect(nfs.readFileSync(victim, 'utf8')).toBe('precious');
    expect(filesUnder(inner)).toHaveLength(ESCAPING.length + CONTROL.length + ORDINARY.length);
  });

  it('ls shows the keys as they are (control characters quoted) and reports the ones it cannot list', async () => {
    const r = await runNclone(['ls', `rgw:${bucket}`], cli.env, 30_000);
    expect(r.timedOut).toBe(false);
    const names = r.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.slice(10));
    expect(names.sort()).toEqual([...ESCAPING, ...ORDINARY, ...CONTROL.map((k) => JSON.stringify(k).replace(/\\u001b/g, '\\x1b'))].sort());
    expect(r.stdout).not.toContain('\x1b');
    expect(r.code).not.toBe(0);
  });

  it('copy --links never writes through a symlink the bucket planted (x.rclonelink -> outside, then x/authorized_keys)', async () => {
    const linked = uniqueBucket('nclone-keys-links');
    const outside = path.join(base, 'ssh');
    const dst = path.join(base, 'links-dst');
    try {
      nfs.mkdirSync(outside, { recursive: true });
      nfs.writeFileSync(path.join(outside, 'authorized_keys'), 'mine');
      expect((await cli.nclone('mkdir', `rgw:${linked}`)).code).toBe(0);
      // First the link arrives (a symlink is data with --links)...
      await putObject(linked, 'x.rclonelink', outside);
      await putObject(linked, 'ok.txt', 'ok');
      const first = await runNclone(['copy', '--links', `rgw:${linked}`, dst], cli.env, 30_000);
      expect(first.code, first.stderr).toBe(0);
      expect(nfs.readlinkSync(path.join(dst, 'x'))).toBe(outside);
      // ...then a file below it: writing it would land in the directory the link points to.
      await putObject(linked, 'x/authorized_keys', 'attacker');
      const second = await runNclone(['copy', '--links', `rgw:${linked}`, dst], cli.env, 30_000);
      expect(second.timedOut).toBe(false);
      expect(second.code, second.stderr).not.toBe(0);
      expect(second.stderr).toContain('is a symlink');
      expect(nfs.readdirSync(outside)).toEqual(['authorized_keys']);
      expect(nfs.readFileSync(path.join(outside, 'authorized_keys'), 'utf8')).toBe('mine');
      expect(nfs.readFileSync(path.join(dst, 'ok.txt'), 'utf8')).toBe('ok');
    } finally {
      await removeBuckets([linked]);
    }
  });

  it('a local tree with the translated names syncs back to the same keys (the encoding is reversible)', async () => {
    const back = uniqueBucket('nclone-keys-back');
    try {
      const inner = path.join(restore, 'inner');
      const r = await runNclone(['sync', inner, `rgw:${back}`], cli.env, 30_000);
      expect(r.code, r.stderr).toBe(0);
      const ls = await runNclone(['ls', `rgw:${back}`], cli.env, 30_000);
      const keys = ls.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.slice(10));
      expect(keys.sort()).toEqual([...ESCAPING, ...ORDINARY, ...CONTROL.map((k) => JSON.stringify(k).replace(/\\u001b/g, '\\x1b'))].sort());
    } finally {
      await removeBuckets([back]);
    }
  });
});
