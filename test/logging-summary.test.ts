/**
 * --summary-json through bin/nclone: one JSON document at the end of every run (success,
 * failure, usage error, Ctrl-C, a second Ctrl-C), written atomically with mode 0600 and no
 * secret in it; locally and against the test RGW.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchTrees } from './helpers/scratch.js';
import { NCLONE, cleanEnv, run, type RunResult } from './helpers/run.js';
import { makeCli, removeBuckets, uniqueBucket, type Cli } from './s3/helpers-cli.js';

let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-summary-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const { fresh, tree, slowTree: slowFiles } = scratchTrees(() => base);
/** A source whose copy takes seconds under --bwlimit: time to interrupt it. */
const slowTree = (files = 4, size = 8 * 1024 * 1024) => slowFiles(files, size);




const nclone = (args: string[], extra: Record<string, string> = {}) => run('node', [NCLONE, ...args], { ...env, ...extra }, { timeoutMs: 60_000 });

function summary(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The summary's directory holds nothing but the files named: no temporary file is left. */
function expectOnly(dir: string, names: string[]): void {
  expect(readdirSync(dir).sort()).toEqual([...names].sort());
}

function summaryDir(): string {
  const dir = fresh('state');
  mkdirSync(dir);
  return dir;
}

/**
 * Runs nclone at -vv and, once the run has started (its first log line), sends SIGINT; or,
 * `twice`, a SIGINT and a SIGTERM that arrive together (the process is stopped while both
 * are sent, so the second finds the orderly stop of the first under way, however fast).
 */
function interrupted(args: string[], twice: boolean): Promise<RunResult> {
  let armed = false;
  return run('node', [NCLONE, '-vv', ...args], env, {
    timeoutMs: 60_000,
    onStderr: (_text, child) => {
      if (armed) return;
      armed = true;
      const signals = twice ? (['SIGSTOP', 'SIGINT', 'SIGTERM', 'SIGCONT'] as const) : (['SIGINT'] as const);
      setTimeout(() => signals.forEach((sig) => child.kill(sig)), 700);
    },
  });
}

describe('--summary-json', () => {
  it('after a successful sync: the counts, the times, exit code 0, mode 0600, no temporary file, no secret', async () => {
    const src = tree(['a.txt', 'b.txt', 'c.txt']);
    const dst = fresh('dst');
    mkdirSync(dst);
    writeFileSync(path.join(dst, 'old.txt'), 'to be deleted');
    writeFileSync(path.join(dst, 'a.txt'), Buffer.alloc(100, 0));
    const dir = summaryDir();
    const file = path.join(dir, 'run.json');
    // An older summary, readable by all: replaced by the new one, which is private.
    writeFileSync(file, '{"old":true}\n', { mode: 0o644 });
    const before = Date.now();
    const r = await nclone(['sync', src, dst, '--summary-json', file, '--s3-secret-access-key', 'SHH-SECRET', '-c']);
    const after = Date.now();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const s = summary(file);
    expect(s).toMatchObject({
      program: 'nclone',
      command: 'sync',
      status: 'ok',
      exitCode: 0,
      dryRun: false,
      transfers: 2,
      bytes: 200,
      checks: 1,
      deletes: 1,
      deletedDirs: 0,
      renames: 0,
      errors: 0,
      firstErrors: [],
      lastError: null,
      retries: 0,
    });
    expect(s.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(s.pid).toEqual(expect.any(Number));
    const started = Date.parse(String(s.started));
    const finished = Date.parse(String(s.finished));
    expect(started).toBeGreaterThanOrEqual(before - 1000);
    expect(finished).toBeLessThanOrEqual(after + 1000);
    expect(finished).toBeGreaterThanOrEqual(started);
    expect(s.elapsed).toBeCloseTo((finished - started) / 1000, 2);
    expect(s.args).toEqual(['sync', src, dst, '--summary-json', file, '--s3-secret-access-key', '*** REDACTED ***', '-c']);
    expect(readFileSync(file, 'utf8')).not.toContain('SHH-SECRET');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expectOnly(dir, ['run.json']);
  });

  it('after a failed run: the exit code and the first error messages', async () => {
    const src = fresh('src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'fine.txt'), 'ok');
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dangling-1'));
    symlinkSync(path.join(base, 'nowhere'), path.join(src, 'dangling-2'));
    const file = path.join(summaryDir(), 'failed.json');
    const r = await nclone(['copy', '-L', src, fresh('dst'), '--summary-json', file]);
    expect(r.code, r.stderr).toBe(4);
    const s = summary(file);
    expect(s).toMatchObject({ command: 'copy', status: 'failed', exitCode: 4, transfers: 1, errors: 2, retries: 0 });
    const first = s.firstErrors as string[];
    expect(first).toHaveLength(2);
    expect(first.join('\n')).toMatch(/dangling-1[^]*\n.*dangling-2|dangling-2[^]*\n.*dangling-1/);
    expect(first).toContain(s.lastError);
  });

  it('--max-delete stops a sync: exit 7 in the summary, nothing deleted', async () => {
    const src = tree(['keep.txt']);
    const dst = fresh('dst');
    mkdirSync(dst);
    for (const name of ['x1', 'x2', 'x3']) writeFileSync(path.join(dst, name), name);
    const file = path.join(summaryDir(), 'maxdel.json');
    const r = await nclone(['sync', src, dst, '--max-delete', '2', '--summary-json', file]);
    expect(r.code, r.stderr).toBe(7);
    const s = summary(file);
    expect(s).toMatchObject({ status: 'failed', exitCode: 7, deletes: 0, errors: 1 });
    expect(String(s.lastError)).toContain('--max-delete');
    expect(readdirSync(dst).sort()).toEqual(['keep.txt', 'x1', 'x2', 'x3']);
  });

  it('a usage error found after the command line was read: exit 1 in the summary; --dry-run is recorded', async () => {
    const file = path.join(summaryDir(), 'usage.json');
    const r = await nclone(['copy', tree(['a']), fresh('dst'), '--transfers', '0', '--summary-json', file, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('nclone: invalid value "0" for --transfers: must be a whole number of 1 or more\n');
    expect(summary(file)).toMatchObject({ status: 'failed', exitCode: 1, errors: 1, firstErrors: ['invalid value "0" for --transfers: must be a whole number of 1 or more'] });

    const dry = path.join(summaryDir(), 'dry.json');
    expect((await nclone(['copy', tree(['a']), fresh('dst'), '--dry-run'], { NCLONE_SUMMARY_JSON: dry })).code).toBe(0);
    expect(summary(dry)).toMatchObject({ status: 'ok', dryRun: true, transfers: 1 });
  });

  it('no secret from a malformed connection string: not in args, not in the error messages quoting it', async () => {
    const file = path.join(summaryDir(), 'secret.json');
    const paths = [":s3,secret_access_key=SHH-ONE,access_key_id=AKID,endpoint=http://127.0.0.1:9:bucket", ':s3,secret_access_key="SHH-TWO:bucket'];
    for (const p of paths) {
      const r = await nclone(['lsf', p, '--summary-json', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^nclone: malformed path /);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/SHH-|AKID/);
      const s = summary(file);
      expect(s).toMatchObject({ status: 'failed', exitCode: 1, errors: 1 });
      expect(String(s.lastError)).toMatch(/^malformed path ":s3,secret_access_key=\*\*\* REDACTED \*\*\*/);
      expect(s.firstErrors).toEqual([s.lastError]);
      expect((s.args as string[])[1]).toMatch(/^:s3,secret_access_key=\*\*\* REDACTED \*\*\*/);
    }
  });

  it('a FILE whose directory is missing, or a directory: one line, exit 1, nothing done', async () => {
    const dir = summaryDir();
    for (const [file, why] of [
      [path.join(dir, 'no', 'such', 's.json'), /directory .*no\/such does not exist/],
      [dir, /it is a directory: give a file name/],
    ] as const) {
      const dst = fresh('dst');
      const r = await nclone(['copy', tree(['a']), dst, '--summary-json', file]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^nclone: can't write --summary-json ${file.replace(/[/.]/g, '\\$&')}: .*\\n$`));
      expect(r.stderr).toMatch(why);
      expect(existsSync(dst)).toBe(false);
    }
    expectOnly(dir, []);
  });

  it('Ctrl-C: status "interrupted", exit code 7', async () => {
    const dir = summaryDir();
    const file = path.join(dir, 'int.json');
    const r = await interrupted(['copy', slowTree(2, 4 * 1024 * 1024), fresh('dst'), '--bwlimit', '2M', '--summary-json', file], false);
    expect(r.code, r.stderr.slice(-1500)).toBe(7);
    const s = summary(file);
    expect(s).toMatchObject({ status: 'interrupted', exitCode: 7, errors: 1 });
    expect(String(s.lastError)).toBe('interrupted by SIGINT');
    expect(s.bytes).toBeGreaterThan(0);
    expectOnly(dir, ['int.json']);
  });

  it('a second signal (exit 130 at once): the summary is still written, from the exit hook', async () => {
    const dir = summaryDir();
    const file = path.join(dir, 'twice.json');
    const r = await interrupted(['copy', slowTree(), fresh('dst'), '--transfers', '4', '--bwlimit', '8M', '--summary-json', file], true);
    expect(r.code, r.stderr.slice(-1500)).toBe(130);
    expect(r.stderr).not.toMatch(/Elapsed time/);
    expect(summary(file)).toMatchObject({ status: 'interrupted', exitCode: 130, command: 'copy' });
    expectOnly(dir, ['twice.json']);
  });

  describe('local → RGW', () => {
    let cli: Cli;
    const bucket = uniqueBucket('nclone-summary');
    beforeAll(() => {
      const b = fresh('rgw');
      mkdirSync(path.join(b, 'home'), { recursive: true });
      cli = makeCli(b, false);
    });
    afterAll(() => removeBuckets([bucket]));

    it('a sync, then a sync with nothing to do, then one that deletes: each summary counts what happened', async () => {
      const src = tree(['one.txt', 'two.txt']);
      const file = path.join(summaryDir(), 'rgw.json');
      const go = () => cli.nclone('sync', src, `rgw:${bucket}/d`, '--summary-json', file);
      expect((await go()).code).toBe(0);
      expect(summary(file)).toMatchObject({ status: 'ok', exitCode: 0, transfers: 2, bytes: 200, checks: 0, deletes: 0 });
      expect((await go()).code).toBe(0);
      expect(summary(file)).toMatchObject({ status: 'ok', transfers: 0, bytes: 0, checks: 2 });
      rmSync(path.join(src, 'two.txt'));
      expect((await go()).code).toBe(0);
      expect(summary(file)).toMatchObject({ status: 'ok', transfers: 0, checks: 1, deletes: 1 });
    });
  });
});
