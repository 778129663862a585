/**
 * Ctrl-C during a sync, at many moments of the run: every interrupted run must end the
 * documented way, with its summary and exit code 7 (docs/exit-codes.md), never with
 * Node's 13 ("unsettled top-level await") because something it awaited was abandoned.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run, type RunResult } from './helpers/run.js';
import { s3ConnectionString, uniqueBucket } from './helpers/s3.js';
import { dropBucket } from './s3/helpers-backend.js';

let base: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-interrupt-'));
  mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function tree(name: string, big: number, bigSize: number, small: number): string {
  const dir = path.join(base, name);
  mkdirSync(dir);
  for (let i = 0; i < big; i++) writeFileSync(path.join(dir, `big${i}.bin`), randomBytes(bigSize));
  for (let i = 0; i < small; i++) writeFileSync(path.join(dir, `small${i}.txt`), `${i}\n`);
  return dir;
}

/**
 * Runs nclone at -vv and sends SIGINT `delayMs` after its first log line (the start of the
 * run: the time Node itself takes to start varies too much to aim at). A child that hangs
 * is killed after 60 s, so a failure is reported instead of a timeout.
 */
function interrupted(args: string[], delayMs: number): Promise<RunResult> {
  let armed = false;
  return run('node', [NCLONE, '-vv', ...args], env, {
    timeoutMs: 60_000,
    onStderr: (_text, child) => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill('SIGINT'), delayMs);
    },
  });
}

function expectInterruptedRun(o: RunResult, what: string): void {
  const tail = o.stderr.split('\n').filter((l) => !l.includes(' DEBUG : ')).slice(-12).join('\n');
  expect({ what, code: o.code, signal: o.signal }, tail).toEqual({ what, code: 7, signal: null });
  expect(o.stderr, what).toMatch(/ INFO  : \nTransferred: [^]*Elapsed time: /);
  expect(o.stderr, what).toMatch(/ ERROR : Failed to sync with \d+ errors?: last error was: interrupted by SIGINT/);
}

describe('SIGINT during sync: exit 7 with the summary, at any moment', () => {
  it('local to local with --bwlimit', async () => {
    const src = tree('local-src', 40, 1536 * 1024, 30);
    let n = 0;
    for (const delay of [0, 20, 60, 150, 300, 500, 800, 1200, 1700, 2300, 3000, 3800]) {
      const dst = path.join(base, `local-dst${++n}`);
      const o = await interrupted(['sync', '--bwlimit', '8M', src, dst], delay);
      expectInterruptedRun(o, `SIGINT ${delay} ms in`);
      // The downloads that were stopped removed their temporary files.
      const left = existsSync(dst) ? readdirSync(dst).filter((f) => f.startsWith('.nclone-')) : [];
      expect(left, `temporary files after SIGINT ${delay} ms in`).toEqual([]);
    }
  }, 240_000);

  it('local to S3 with multipart uploads (an MD5 pass before each) and --bwlimit', async () => {
    const src = tree('s3-src', 6, 12 * 1024 * 1024, 20);
    const buckets: string[] = [];
    try {
      for (const delay of [0, 200, 600, 1200, 2000, 3000, 4200]) {
        const bucket = uniqueBucket('interrupt');
        buckets.push(bucket);
        const o = await interrupted(['sync', '--s3-upload-cutoff', '10M', '--bwlimit', '8M', src, `${s3ConnectionString()}${bucket}`], delay);
        expectInterruptedRun(o, `SIGINT ${delay} ms in`);
      }
    } finally {
      for (const b of buckets) await dropBucket(b);
    }
  }, 300_000);
});
