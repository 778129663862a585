/**
 * The log a program reads: --use-json-log (side by side with rclone 1.60's JSON lines),
 * --log-file appending and --log-file-max-size rotation, --stats-log-level and
 * --stats-unit, each through bin/nclone, locally and against the test RGW.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { scratchTrees } from './helpers/scratch.js';
import { NCLONE, cleanEnv, run } from './helpers/run.js';
import { makeCli, removeBuckets, uniqueBucket, type Cli } from './s3/helpers-cli.js';

let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-logging-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const { fresh, tree } = scratchTrees(() => base);



const nclone = (args: string[], extra: Record<string, string> = {}) => run('node', [NCLONE, ...args], { ...env, ...extra });
const rclone = (args: string[]) => run('rclone', ['--config', '/dev/null', ...args], env);

/** Each line of the text as a JSON object; the test fails naming the first line that is not one. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        const v = JSON.parse(l) as unknown;
        expect(typeof v === 'object' && v !== null && !Array.isArray(v), l).toBe(true);
        return v as Record<string, unknown>;
      } catch (err) {
        throw new Error(`not a JSON object: ${JSON.stringify(l)} (${(err as Error).message})`);
      }
    });
}

const statsLine = (lines: Record<string, unknown>[]) => lines.filter((l) => typeof l.stats === 'object').at(-1);
/** rclone's keys that mean something only in Go (the caller's type and source line). */
const GO_ONLY = new Set(['objectType', 'source']);
const keysOf = (o: object | undefined) => Object.keys(o ?? {}).filter((k) => !GO_ONLY.has(k)).sort();

describe('--use-json-log', () => {
  it('local → local: every line is a JSON object with the keys and levels rclone 1.60 writes for the same run', async () => {
    const src = tree(['a.txt', 'b.txt']);
    const mine = await nclone(['--use-json-log', '-v', 'sync', src, fresh('dst')]);
    const theirs = await rclone(['--use-json-log', '-v', 'sync', src, fresh('dst')]);
    expect(mine.code, mine.stderr).toBe(0);
    expect(theirs.code, theirs.stderr).toBe(0);
    const m = jsonLines(mine.stderr);
    const t = jsonLines(theirs.stderr);
    const copied = (lines: Record<string, unknown>[]) => lines.filter((l) => l.msg === 'Copied (new)');
    expect(copied(m).map((l) => l.object).sort()).toEqual(['a.txt', 'b.txt']);
    expect(keysOf(copied(m)[0])).toEqual(keysOf(copied(t)[0]));
    expect(copied(m).map((l) => l.level)).toEqual(copied(t).map((l) => l.level));
    // The final stats: the block as msg, and the stats object with rclone's keys.
    const ms = statsLine(m)!;
    const ts = statsLine(t)!;
    expect(keysOf(ms)).toEqual(keysOf(ts));
    expect(ms.level).toBe(ts.level);
    expect(keysOf(ms.stats as object)).toEqual(keysOf(ts.stats as object));
    expect(ms.stats).toMatchObject({ bytes: 200, transfers: 2, totalTransfers: 2, errors: 0, fatalError: false, eta: expect.anything() });
    expect(ms.msg).toMatch(/^\nTransferred: [^]*Elapsed time: /);
    // time: local time with its offset, like rclone's (which has microseconds).
    for (const l of m) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d\d:\d\d$/);
    for (const l of t) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d:\d\d$/);
    const when = Date.parse(String(m[0]!.time));
    expect(Math.abs(Date.now() - when)).toBeLessThan(120_000);
  });

  it('--dry-run: NOTICE lines are "warning", as rclone 1.60 writes them', async () => {
    const src = tree(['x.txt']);
    const dst = fresh('dst');
    mkdirSync(dst);
    writeFileSync(path.join(dst, 'extra.txt'), 'old');
    const m = jsonLines((await nclone(['--use-json-log', '--dry-run', 'sync', src, dst])).stderr);
    const t = jsonLines((await rclone(['--use-json-log', '--dry-run', 'sync', src, dst])).stderr);
    const skipped = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).startsWith('Skipped '));
    expect(skipped(m).map((l) => [l.object, l.level]).sort()).toEqual(skipped(t).map((l) => [l.object, l.level]).sort());
    expect(skipped(m).length).toBe(2);
    expect(statsLine(m)?.level).toBe('warning');
    expect(statsLine(t)?.level).toBe('warning');
  });

  it('a name with control characters is one line that decodes to the real name; --stats-one-line carries the stats too', async () => {
    const evil = 'evil\n{"level":"error"}\x1b[31m\u202e\u2028.txt';
    const src = fresh('src');
    mkdirSync(src);
    writeFileSync(path.join(src, evil), 'x');
    const r = await nclone(['--use-json-log', '-v', '--stats-one-line', 'copy', src, fresh('dst')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u2028\u202e]/);
    const lines = jsonLines(r.stderr);
    expect(lines.find((l) => l.msg === 'Copied (new)')?.object).toBe(evil);
    expect(lines.some((l) => l.level === 'error')).toBe(false);
    const last = statsLine(lines)!;
    expect(last.msg).toMatch(/^ +1 B \/ 1 B, 100%, .* \(xfr#1\/1\)$/);
    expect(last.stats).toMatchObject({ bytes: 1, transfers: 1 });
  });

  it('errors: the failure, the final line and a usage error are JSON objects at error level', async () => {
    const src = fresh('src');
    mkdirSync(src);
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dangling'));
    const r = await nclone(['--use-json-log', '-L', 'copy', src, fresh('dst'), '--retries', '1']);
    expect(r.code, r.stderr).toBe(4);
    const lines = jsonLines(r.stderr);
    expect(lines.find((l) => String(l.msg).startsWith('Failed to copy with 1 error'))?.level).toBe('error');
    const s = statsLine(jsonLines((await nclone(['--use-json-log', '-v', '-L', 'copy', src, fresh('dst'), '--retries', '1'])).stderr))!;
    expect(s.stats).toMatchObject({ errors: 1, lastError: expect.stringContaining('dangling') });

    const usage = await nclone(['--use-json-log', 'copy', src, fresh('dst'), '--transfers', '0']);
    expect(usage.code).toBe(1);
    const [only, ...rest] = jsonLines(usage.stderr);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ level: 'error', msg: expect.stringContaining('--transfers') });
  });

  it('NCLONE_USE_JSON_LOG=true does the same; the -vv start lines are JSON too', async () => {
    const r = await nclone(['-vv', 'ls', tree(['one.txt'])], { NCLONE_USE_JSON_LOG: 'true' });
    expect(r.code, r.stderr).toBe(0);
    const lines = jsonLines(r.stderr);
    expect(lines[0]).toMatchObject({ level: 'debug', object: 'nclone', msg: expect.stringMatching(/^Version "v\d/) });
    expect(r.stdout).toBe('      100 one.txt\n');
  });

  describe('local → RGW', () => {
    let cli: Cli;
    const bucket = uniqueBucket('nclone-jsonlog');
    beforeAll(() => {
      const b = fresh('rgw');
      mkdirSync(path.join(b, 'home'), { recursive: true });
      cli = makeCli(b, false);
    });
    afterAll(() => removeBuckets([bucket]));

    it('each object copied is a line naming it, and the final stats line counts them', async () => {
      const src = tree(['one.txt', 'two.txt', 'three.txt']);
      const r = await cli.nclone('--use-json-log', '-v', 'sync', src, `rgw:${bucket}/d`);
      expect(r.code, r.stderr).toBe(0);
      const lines = jsonLines(r.stderr);
      expect(lines.filter((l) => l.msg === 'Copied (new)').map((l) => l.object).sort()).toEqual(['one.txt', 'three.txt', 'two.txt']);
      expect(statsLine(lines)!.stats).toMatchObject({ bytes: 300, transfers: 3, errors: 0 });
      const log = fresh('rgw.log');
      const again = await cli.nclone('--use-json-log', '-v', 'sync', src, `rgw:${bucket}/d`, '--log-file', log);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toBe('');
      expect(statsLine(jsonLines(readFileSync(log, 'utf8')))!.stats).toMatchObject({ checks: 3, transfers: 0 });
    });
  });
});

describe('--log-file', () => {
  it('appends: a second run adds to what the first wrote', async () => {
    const file = fresh('append.log');
    writeFileSync(file, 'line from before\n');
    const src = tree(['a', 'b']);
    expect((await nclone(['-v', 'copy', src, fresh('dst'), '--log-file', file])).code).toBe(0);
    const first = readFileSync(file, 'utf8');
    expect(first.startsWith('line from before\n')).toBe(true);
    expect((await nclone(['-v', 'copy', src, fresh('dst'), '--log-file', file])).code).toBe(0);
    const second = readFileSync(file, 'utf8');
    expect(second.startsWith(first)).toBe(true);
    expect(second.match(/INFO  : a: Copied \(new\)/g)).toHaveLength(2);
    // rclone 1.60 appends too.
    const theirs = fresh('rclone.log');
    writeFileSync(theirs, 'line from before\n');
    for (let i = 0; i < 2; i++) expect((await rclone(['-v', 'copy', src, fresh('dst'), '--log-file', theirs])).code).toBe(0);
    const text = readFileSync(theirs, 'utf8');
    expect(text.startsWith('line from before\n')).toBe(true);
    expect(text.match(/INFO  : a: Copied \(new\)/g)).toHaveLength(2);
  });

  it('the last line of a failed run goes to the file and to stderr (what cron mails); other lines only to the file', async () => {
    const src = fresh('src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'fine.txt'), 'ok');
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dangling'));
    const file = fresh('failed.log');
    const r = await nclone(['-v', '-L', 'copy', src, fresh('dst'), '--retries', '1', '--log-file', file]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d ERROR : Failed to copy with 1 error: last error was: .*dangling.*\n$/);
    const logged = readFileSync(file, 'utf8');
    expect(logged).toContain(r.stderr.trim());
    expect(logged).toContain('fine.txt: Copied (new)');
  });
});

describe('--log-file-max-size', () => {
  it('moves the file to FILE.1 before a line would take it past the size; no line is split, nothing is lost', async () => {
    const file = fresh('rot.log');
    const src = tree(Array.from({ length: 6 }, (_, i) => `file-${i}.txt`));
    let runs = 0;
    // Each run logs 6 "Copied" lines and the stats block (~600 bytes): 2 KiB holds about three runs.
    while (!existsSync(`${file}.1`) && runs < 10) {
      const r = await nclone(['-v', 'copy', src, fresh('dst'), '--log-file', file, '--log-file-max-size', '2K']);
      expect(r.code, r.stderr).toBe(0);
      runs++;
    }
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(runs).toBeGreaterThan(1);
    const older = readFileSync(`${file}.1`, 'utf8');
    const newer = readFileSync(file, 'utf8');
    for (const text of [older, newer]) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.split('\n')[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (INFO  |NOTICE): /);
    }
    // One rotation: every run's six lines are in one file or the other.
    expect((older + newer).match(/: Copied \(new\)$/gm)).toHaveLength(6 * runs);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}.1`).mode & 0o777).toBe(0o600);

    // A second rotation replaces FILE.1 with what FILE held.
    let more = 0;
    while (readFileSync(`${file}.1`, 'utf8') === older && more < 10) {
      expect((await nclone(['-v', 'copy', src, fresh('dst'), '--log-file', file, '--log-file-max-size', '2K'])).code).toBe(0);
      more++;
    }
    expect(readFileSync(`${file}.1`, 'utf8').startsWith(newer)).toBe(true);
  });

  it('a single line larger than the size goes whole into a fresh file; NCLONE_LOG_FILE_MAX_SIZE works; a bad size is a usage error', async () => {
    const file = fresh('small.log');
    writeFileSync(file, 'x'.repeat(50) + '\n');
    const r = await nclone(['-v', 'copy', tree(['a-name-long-enough.txt']), fresh('dst'), '--log-file', file], { NCLONE_LOG_FILE_MAX_SIZE: '40B' });
    expect(r.code, r.stderr).toBe(0);
    // Every line is longer than 40 bytes: each one rotates, so FILE holds the last line
    // whole and FILE.1 the one before it (only one older file is kept).
    const last = readFileSync(file, 'utf8');
    const before = readFileSync(`${file}.1`, 'utf8');
    expect(last).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO  : \nTransferred: [^]*Elapsed time: +\S+\n$/);
    expect(before).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d INFO  : a-name-long-enough\.txt: Copied \(new\)\n$/);

    const bad = await nclone(['ls', tree(['a']), '--log-file', fresh('bad.log'), '--log-file-max-size', 'lots']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^nclone: invalid value "lots" for --log-file-max-size: .*\n$/);
  });
});

describe('--log-file shared, or failing', () => {
  it('two processes logging to the same file: lines written after the other one rotated it go to the new FILE, each file within the size', async () => {
    const file = fresh('shared.log');
    const slow = fresh('slow');
    mkdirSync(slow);
    for (const name of ['s1.bin', 's2.bin', 's3.bin']) writeFileSync(path.join(slow, name), Buffer.alloc(512 * 1024, 1));
    // One file at a time at 256 KiB/s: its lines come seconds apart.
    const first = nclone(['-v', 'copy', slow, fresh('dst'), '--transfers', '1', '--bwlimit', '256K', '--log-file', file, '--log-file-max-size', '1K']);
    await vi.waitFor(() => expect(existsSync(file) && readFileSync(file, 'utf8')).toMatch(/: s1\.bin: Copied \(new\)$/m), { timeout: 30_000, interval: 25 });
    // The second run's -vv lines (about 1.4 kB) pass 1 KiB: it moves FILE (with the first run's line) to FILE.1.
    const second = await nclone(['-vv', 'copy', tree(Array.from({ length: 20 }, (_, i) => `q${i}.txt`)), fresh('dst'), '--log-file', file, '--log-file-max-size', '1K']);
    expect(second.code, second.stderr).toBe(0);
    expect(existsSync(`${file}.1`)).toBe(true);
    const done = await first;
    expect(done.code, done.stderr).toBe(0);
    // Had the first run written on where it began, its last lines would be in FILE.1, or lost with it.
    const now = readFileSync(file, 'utf8');
    expect(now).toMatch(/: s3\.bin: Copied \(new\)\n/);
    expect(now).toMatch(/^Transferred: +3 \/ 3, 100%$/m);
    for (const f of [file, `${file}.1`]) {
      const text = readFileSync(f, 'utf8');
      expect(Buffer.byteLength(text), f).toBeLessThanOrEqual(1024);
      expect(text.split('\n')[0]).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (DEBUG |INFO  |NOTICE): /);
    }
  }, 60_000);

  it.runIf(existsSync('/dev/full'))("a log file that can't take a line (disk full): one line on stderr says so, and the log goes on there", async () => {
    const src = tree(['a', 'b']);
    const r = await nclone(['-v', 'copy', src, fresh('dst'), '--log-file', '/dev/full']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^nclone: can't write --log-file \/dev\/full: ENOSPC: .*; logging to standard error from now on$/);
    expect(lines.filter((l) => / INFO  : [ab]: Copied \(new\)$/.test(l))).toHaveLength(2);
    expect(r.stderr).toMatch(/^Elapsed time: /m);

    const json = await nclone(['--use-json-log', '-v', 'copy', src, fresh('dst'), '--log-file', '/dev/full']);
    expect(json.code, json.stderr).toBe(0);
    const objects = jsonLines(json.stderr);
    expect(objects[0]).toMatchObject({ level: 'error', msg: expect.stringMatching(/^can't write --log-file \/dev\/full: ENOSPC: /) });
    expect(objects.filter((l) => l.msg === 'Copied (new)')).toHaveLength(2);
  });

  it("a rotation that fails (FILE.1 is a directory): said once on stderr, a JSON object with --use-json-log, and the log goes on in FILE", async () => {
    const file = fresh('norotate.log');
    mkdirSync(`${file}.1`);
    writeFileSync(path.join(`${file}.1`, 'keep'), 'x');
    writeFileSync(file, `${'x'.repeat(100)}\n`);
    const r = await nclone(['--use-json-log', '-v', 'copy', tree(['a', 'b']), fresh('dst'), '--log-file', file, '--log-file-max-size', '50B']);
    expect(r.code, r.stderr).toBe(0);
    const said = jsonLines(r.stderr);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ level: 'error', msg: `can't rotate --log-file ${file}: EISDIR: illegal operation on a directory, rename '${file}' -> '${file}.1'; writing on without rotating` });
    const [old, ...logged] = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(old).toBe('x'.repeat(100));
    expect(jsonLines(logged.join('\n')).filter((l) => l.msg === 'Copied (new)')).toHaveLength(2);
  });
});

describe('--stats-log-level and --stats-unit', () => {
  const block = / (NOTICE|INFO  |DEBUG |ERROR ): \nTransferred: [^]*Elapsed time: /;

  it('NOTICE shows the final stats without -v, as rclone does; DEBUG hides them at -v; ERROR shows them with -q', async () => {
    const src = tree(['a', 'b']);
    const notice = await nclone(['copy', src, fresh('dst'), '--stats-log-level', 'notice']);
    const theirs = await rclone(['copy', src, fresh('dst'), '--stats-log-level', 'NOTICE']);
    expect(notice.stderr).toMatch(/ NOTICE: \nTransferred: /);
    expect(theirs.stderr).toMatch(/ NOTICE: \nTransferred: /);
    const debug = await nclone(['-v', 'copy', src, fresh('dst'), '--stats-log-level', 'DEBUG']);
    expect(debug.stderr).toContain('Copied (new)');
    expect(debug.stderr).not.toMatch(block);
    const quiet = await nclone(['-q', 'copy', src, fresh('dst')], { NCLONE_STATS_LOG_LEVEL: 'ERROR' });
    expect(quiet.stderr).toMatch(/ ERROR : \nTransferred: /);
    // --dry-run logs them at NOTICE whatever the flag says (rclone does the same).
    const dry = await nclone(['copy', src, fresh('dst'), '--dry-run', '--stats-log-level', 'DEBUG']);
    expect(dry.stderr).toMatch(/ NOTICE: \nTransferred: /);
  });

  it('--stats-unit bits gives the rate in bit/s, as rclone does; sizes stay in bytes', async () => {
    const src = tree(['a', 'b'], 3000);
    const mine = await nclone(['-v', 'copy', src, fresh('dst'), '--stats-unit', 'bits']);
    const theirs = await rclone(['-v', 'copy', src, fresh('dst'), '--stats-unit', 'bits']);
    const rate = /^Transferred: +\t +5\.859 KiB \/ 5\.859 KiB, 100%, \d+(\.\d+)? ([KMG]i)?bit\/s, ETA /m;
    expect(mine.stderr).toMatch(rate);
    expect(theirs.stderr).toMatch(rate);
    const oneLine = await nclone(['-v', 'copy', src, fresh('dst'), '--stats-one-line'], { NCLONE_STATS_UNIT: 'bits' });
    expect(oneLine.stderr).toMatch(/5\.859 KiB \/ 5\.859 KiB, 100%, \d+(\.\d+)? ([KMG]i)?bit\/s, ETA/);
    const bytes = await nclone(['-v', 'copy', src, fresh('dst')]);
    expect(bytes.stderr).toMatch(/100%, \d+(\.\d+)? ([KMG]i)?B\/s, ETA/);
  });

  it('bad values: one line naming the flag, exit 1, nothing done', async () => {
    for (const [flag, value, hint] of [
      ['--stats-log-level', 'LOUD', 'use DEBUG, INFO, NOTICE or ERROR'],
      ['--stats-unit', 'nibbles', 'use bits or bytes'],
    ]) {
      const dst = fresh('dst');
      const r = await nclone(['copy', tree(['a']), dst, flag!, value!]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`nclone: invalid value "${value}" for ${flag}: ${hint}\n`);
      expect(existsSync(dst)).toBe(false);
    }
  });
});
