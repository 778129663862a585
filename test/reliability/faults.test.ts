/**
 * Issue 9, "Tests that inject faults for real": the fault proxy (test/servers/fault-proxy.ts)
 * sits between nclone and the real test RGW and, at random with a fixed seed, answers 500
 * InternalError, 503 SlowDown (Retry-After), 429, resets connections before and during
 * request bodies, after the server did the work, after response headers and during response
 * bodies, truncates bodies, holds answers back past --timeout (before the answer, and in the
 * middle of a body), and flips bytes of downloaded and uploaded bodies.
 *
 * - Under 10% faults of every kind, a sync of 1000 small files and three multipart files
 *   ends with exit 0 and a bucket byte-identical to the source, checked on the RGW directly
 *   (listing and MD5 of every object); the download of that bucket likewise.
 * - No unfinished multipart upload is left after the runs.
 * - Request and per-file retries absorb these faults: no file fails, no second pass.
 *
 * 100% faults, Retry-After and --timeout: faults-limits.test.ts.
 *
 * The numbers (faults injected by kind, files checked, lost, corrupted, orphaned uploads) are
 * printed as `[faults] ...` lines for docs/reliability.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { ALL_FAULT_KINDS, randomFaults, startFaultProxy, type Fault, type FaultKind, type FaultProxy, type FaultSchedule, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { makeBase, makeCli, removeBuckets, uniqueBucket, type Cli } from '../s3/helpers-cli.js';
import { runNclone, via } from '../s3/helpers-faults.js';
import { observer } from '../s3/helpers-backend.js';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { compareBucket, compareDir, makeTree, mib, putObjects, totalBytes, unfinishedUploads, writeFiles, type Comparison, type TreeFile } from './helpers.js';

/** nclone's idle timeout in these runs, and how long delay/stall faults hold an answer (well past it). */
const TIMEOUT = '3s';
const HOLD_MS = 6000;
const FLAGS = ['--transfers', '8', '--checkers', '16', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', '--timeout', TIMEOUT, '--contimeout', '2s'];

/** The kinds a run's traffic can meet: uploads send bodies, downloads receive them. */
const UPLOAD_KINDS: FaultKind[] = ['status500', 'status503', 'status429', 'resetBeforeRequestBody', 'resetDuringRequestBody', 'resetBeforeResponse', 'delay', 'corruptUpload'];
const DOWNLOAD_KINDS: FaultKind[] = [
  'status500',
  'status503',
  'status429',
  'resetBeforeRequestBody',
  'resetBeforeResponse',
  'resetAfterResponseHeaders',
  'resetDuringResponseBody',
  'truncate',
  'delay',
  'stall',
  'corrupt',
];

/** A run may take this long before it is killed (and its test fails). */
const RUN_MS = 150_000;

/** The ERROR lines of a run, and the notices of a whole-sync retry ("Attempt 1/3 failed ..."). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => / ERROR : | Attempt \d+\/\d+ failed/.test(l));
}

function fileErrors(stderr: string): number {
  return stderr.split('\n').filter((l) => / ERROR : /.test(l) && !/ ERROR : (Failed to|not deleting)/.test(l)).length;
}

function report(label: string, schedule: FaultSchedule | undefined, cmp: Comparison, orphans: string[], ms: number, extra = ''): void {
  console.log(
    `[faults] ${label}: ${schedule ? schedule.summary() : 'no faults'}; files checked ${cmp.checked}, lost ${cmp.lost.length}, corrupted ${cmp.corrupted.length}, ` +
      `unexpected ${cmp.unexpected.length}, orphaned uploads ${orphans.length}; ${(ms / 1000).toFixed(1)} s${extra ? `; ${extra}` : ''}`,
  );
}

function expectPerfect(cmp: Comparison, files: TreeFile[]): void {
  expect(cmp.lost, 'lost files').toEqual([]);
  expect(cmp.corrupted, 'corrupted files').toEqual([]);
  expect(cmp.unexpected, 'unexpected files (partial or temporary ones?)').toEqual([]);
  expect(cmp.checked).toBe(files.length);
}

/** At least `min` faults of each kind really reached nclone. */
function expectInjected(schedule: FaultSchedule, kinds: FaultKind[], min: number): void {
  const short = kinds.filter((k) => schedule.injected[k] < min);
  expect(short, `kinds injected fewer than ${min} times: ${schedule.summary()}`).toEqual([]);
}

describe('sync under 10% injected faults of every kind (fault proxy in front of the real RGW)', () => {
  const bucket = uniqueBucket('nclone-faults');
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  let files: TreeFile[];
  let src: string;

  beforeAll(async () => {
    base = makeBase('faults');
    cli = makeCli(base, false);
    files = makeTree(1000, [12, 16, 20], 9);
    src = path.join(base, 'src');
    writeFiles(src, files);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    const mk = await cli.nclone('mkdir', `rgw:${bucket}`);
    expect(mk.code, mk.stderr).toBe(0);
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  /** The runs' results, for the tests that check more of the same run. */
  const runs: Record<string, { stderr: string; code: number } | undefined> = {};

  it('upload: 1000 small files and 3 multipart files arrive byte-identical, exit 0, no unfinished upload', { timeout: 200_000 }, async () => {
    const schedule = randomFaults({ seed: 9, rate: 0.1, kinds: ALL_FAULT_KINDS, delayMs: HOLD_MS, retryAfter: null });
    rule = schedule.rule;
    const start = Date.now();
    const r = await runNclone(['sync', src, `rgw:${bucket}`, ...FLAGS], via(cli.env, proxy.endpoint), RUN_MS);
    const ms = Date.now() - start;
    schedule.stop();
    rule = () => undefined;
    runs.upload = r;
    const cmp = await compareBucket(bucket, files);
    const orphans = await unfinishedUploads(bucket);
    report('upload, 10% faults, seed 9', schedule, cmp, orphans, ms, `${files.length} files, ${mib(totalBytes(files))}, exit ${r.code}, ${fileErrors(r.stderr)} file errors`);

    expect(r.timedOut, `killed after ${RUN_MS} ms:\n${r.stderr.slice(-3000)}`).toBe(false);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expectPerfect(cmp, files);
    expect(orphans).toEqual([]);
    expectInjected(schedule, UPLOAD_KINDS, 2);
  });

  it('upload: request and per-file retries absorb 10% faults: no file fails, no second pass of the whole sync', () => {
    expect(runs.upload, 'the upload did not run').toBeDefined();
    expect(errorLines(runs.upload!.stderr), runs.upload!.stderr.slice(-3000)).toEqual([]);
  });

  it('download: the bucket into an empty local directory, byte-identical, exit 0, no partial file', { timeout: 200_000 }, async () => {
    // Independent of the upload above: put back (directly, not through nclone) whatever it left wrong.
    const before = await compareBucket(bucket, files);
    await putObjects(bucket, files.filter((f) => before.lost.includes(f.path) || before.corrupted.includes(f.path)));
    for (const k of before.unexpected) await observer().send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));

    const dst = path.join(base, 'download');
    const schedule = randomFaults({ seed: 10, rate: 0.1, kinds: ALL_FAULT_KINDS, delayMs: HOLD_MS, retryAfter: null });
    rule = schedule.rule;
    const start = Date.now();
    const r = await runNclone(['sync', `rgw:${bucket}`, dst, ...FLAGS], via(cli.env, proxy.endpoint), RUN_MS);
    const ms = Date.now() - start;
    schedule.stop();
    rule = () => undefined;
    runs.download = r;
    const cmp = compareDir(dst, files);
    report('download, 10% faults, seed 10', schedule, cmp, [], ms, `exit ${r.code}, ${fileErrors(r.stderr)} file errors`);

    expect(r.timedOut, `killed after ${RUN_MS} ms:\n${r.stderr.slice(-3000)}`).toBe(false);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expectPerfect(cmp, files);
    expectInjected(schedule, DOWNLOAD_KINDS, 2);
  });

  it('download: request and per-file retries absorb 10% faults: no file fails, no second pass of the whole sync', () => {
    expect(runs.download, 'the download did not run').toBeDefined();
    expect(errorLines(runs.download!.stderr), runs.download!.stderr.slice(-3000)).toEqual([]);
  });
});

