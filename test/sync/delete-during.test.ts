/** --delete-during: once an error has been counted, no delete starts, queued or not. */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run as spawnRun } from '../helpers/run.js';
import { FaultyFs, contents, pair, run, tmpDir, useSyncTestEnv } from './helpers.js';

const logs = useSyncTestEnv();

const hasError = () => logs.some((l) => l.includes('ERROR'));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('--delete-during after an error', () => {
  it('a source file that vanishes while deletes wait in the queue: no delete starts after the error', async () => {
    const stale = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`b${String(i).padStart(3, '0')}.txt`, 'stale']));
    const { src, dst } = pair({ 'a-gone.txt': 'will vanish', 'c.txt': 'c' }, stale);
    // Each remove notes whether an error had been logged when it started, then waits for
    // the failed transfer, so that later deletes are still queued when the error comes.
    const starts: { remote: string; afterError: boolean }[] = [];
    const r = await run('sync', src, dst, {
      opt: { deleteMode: 'during', checkers: 2, transfers: 2 },
      wrapSrc: (fs) =>
        new FaultyFs(fs, {
          // Listed, then gone: its transfer fails when it opens the file (ENOENT, which
          // running as root cannot bypass).
          afterList: (dir) => {
            if (dir === '') unlinkSync(join(src, 'a-gone.txt'));
          },
        }),
      wrapDst: (fs) =>
        new FaultyFs(fs, {
          onRemove: async (remote) => {
            starts.push({ remote, afterError: hasError() });
            await until(hasError);
          },
        }),
    });
    expect(logs.join('')).toMatch(/a-gone\.txt.*(not found|no such file)/i);
    expect(r.stats.errors).toBe(1);
    expect(starts.length).toBeGreaterThan(0);
    expect(starts.filter((s) => s.afterError)).toEqual([]);
    expect(r.stats.deletes).toBe(starts.length);
    const left = Object.keys(contents(dst)).filter((n) => n.startsWith('b'));
    expect(left).toHaveLength(40 - starts.length);
    expect(logs.join('')).toContain('not deleting files or directories as there were IO errors');
  });

  it('without an error every extra file is deleted while transferring', async () => {
    const stale = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`b${String(i).padStart(3, '0')}.txt`, 'stale']));
    const { src, dst } = pair({ 'a.txt': 'a', 'c.txt': 'c' }, stale);
    const r = await run('sync', src, dst, { opt: { deleteMode: 'during', checkers: 2, transfers: 2 } });
    expect(r.error).toBeUndefined();
    expect(r.stats.deletes).toBe(40);
    expect(contents(dst)).toEqual({ 'a.txt': 'a', 'c.txt': 'c' });
  });
});

describe('nclone sync --delete-during (CLI)', () => {
  // The deletes pool runs CHECKERS deletes and holds as many more queued; the march keeps
  // it full. When the transfer of m fails (dst has a directory m), up to CHECKERS deletes
  // are under way (they may finish, and log, after the error) and CHECKERS more wait. The
  // waiting ones must not run: at most CHECKERS "Deleted" lines may follow the error.
  // Deleting the queued ones too gives 2 * CHECKERS + 1 (measured: 65 with 32 checkers,
  // every run), so the margin is wide whatever the timing.
  const CHECKERS = 32;

  it('a transfer blocked by a directory of the same name stops the deletes queued behind it', async () => {
    const stale: Record<string, string> = { 'm/x': 'in the way' };
    for (let i = 0; i < 1000; i++) stale[`a${String(i).padStart(4, '0')}`] = stale[`z${String(i).padStart(4, '0')}`] = 's';
    const { src, dst } = pair({ m: 'a file where dst has a directory' }, stale);
    const home = tmpDir('home');
    const r = await spawnRun(process.execPath, [NCLONE, 'sync', src, dst, '--delete-during', '--checkers', String(CHECKERS), '-v'], cleanEnv(home));
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n');
    const firstError = lines.findIndex((l) => l.includes('ERROR'));
    expect(lines[firstError]).toMatch(/ERROR : m: .*is a directory/);
    const deletedAfter = lines.slice(firstError).filter((l) => / : [az]\d{4}: Deleted$/.test(l));
    expect(deletedAfter.length, `${deletedAfter.length} deleted after the error`).toBeLessThanOrEqual(CHECKERS);
    // Top-level names only: m/x, inside the directory in the way, may be deleted too.
    const deleted = lines.filter((l) => / : [az]\d{4}: Deleted$/.test(l)).map((l) => l.replace(/.* : (.*): Deleted$/, '$1'));
    const left = readdirSync(dst);
    expect(left.filter((n) => n !== 'm').length).toBe(2000 - deleted.length);
    for (const n of deleted) expect(left).not.toContain(n);
    expect(left).toContain('m');
    expect(r.stderr).toContain('not deleting files or directories as there were IO errors');
  });
});
