/**
 * Issue 9, "Tests that inject faults for real", the bounds: under 100% faults a sync fails with
 * exit 5 (temporary error) in bounded time and deletes nothing, in either direction, both when
 * nothing gets through and when listings work but every transfer fails; no unfinished
 * multipart upload is left; a 503 SlowDown's Retry-After is honoured; a connection silent
 * past --timeout is dropped and the request retried. The fault proxy
 * (test/servers/fault-proxy.ts) sits between nclone and the real test RGW. The 10% runs are
 * in faults.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { ALL_FAULT_KINDS, randomFaults, startFaultProxy, isObjectGet, isObjectPut, type Fault, type FaultProxy, type FaultSchedule, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { makeBase, makeCli, removeBuckets, uniqueBucket, type Cli } from '../s3/helpers-cli.js';
import { runNclone, via } from '../s3/helpers-faults.js';
import { bucketMd5s, compareBucket, compareDir, dirMd5s, makeTree, md5, putObjects, unfinishedUploads, writeFiles, type Comparison, type TreeFile } from './helpers.js';

/** nclone's idle timeout in these runs, and how long delay/stall faults hold an answer (well past it). */
const TIMEOUT = '3s';
const HOLD_MS = 6000;
const FLAGS = ['--transfers', '8', '--checkers', '16', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', '--timeout', TIMEOUT, '--contimeout', '2s'];

function report(label: string, schedule: FaultSchedule | undefined, cmp: Comparison, orphans: string[], ms: number, extra = ''): void {
  console.log(
    `[faults] ${label}: ${schedule ? schedule.summary() : 'no faults'}; files checked ${cmp.checked}, lost ${cmp.lost.length}, corrupted ${cmp.corrupted.length}, ` +
      `orphaned uploads ${orphans.length}; ${(ms / 1000).toFixed(1)} s${extra ? `; ${extra}` : ''}`,
  );
}

function expectPerfect(cmp: Comparison, files: TreeFile[]): void {
  expect(cmp.lost, 'lost files').toEqual([]);
  expect(cmp.corrupted, 'corrupted files').toEqual([]);
  expect(cmp.unexpected, 'unexpected files (partial or temporary ones?)').toEqual([]);
  expect(cmp.checked).toBe(files.length);
}

/** CreateMultipartUpload, UploadPart, PutObject, GetObject: the transfers, not the listings. */
function isTransfer(req: ProxiedRequest): boolean {
  return isObjectPut(req) || isObjectGet(req) || (req.method === 'POST' && req.query.has('uploads'));
}

/** Every request faulted; or the listings answered and every transfer faulted (the sync then reaches its deletes). */
const SCOPES: { label: string; filter?: (req: ProxiedRequest) => boolean }[] = [
  { label: 'every request' },
  { label: 'every transfer, listings pass', filter: isTransfer },
];

describe('sync under 100% faults: fails with exit 5 in bounded time and deletes nothing', () => {
  const bucket = uniqueBucket('nclone-faults-all');
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  let files: TreeFile[];
  let src: string;
  /** Objects only the destination has: a sync would delete them, if it got that far. */
  const extras: TreeFile[] = [0, 1, 2, 3, 4].map((i) => ({ path: `extra/only-in-bucket-${i}.txt`, data: Buffer.from(`extra object ${i}\n`) }));
  /** Source files the destination holds older versions of: a sync would replace them. */
  let stale: TreeFile[] = [];
  const LIMIT_MS = 120_000;
  const QUICK = ['--low-level-retries', '2', '--retries', '2'];

  beforeAll(async () => {
    base = makeBase('faults-all');
    cli = makeCli(base, false);
    files = makeTree(8, [12], 11);
    src = path.join(base, 'src');
    writeFiles(src, files);
    stale = files.slice(0, 3).map((f) => ({ path: f.path, data: Buffer.from(`older version of ${f.path}\n`) }));
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    const mk = await cli.nclone('mkdir', `rgw:${bucket}`);
    expect(mk.code, mk.stderr).toBe(0);
    await putObjects(bucket, [...extras, ...stale]);
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  for (const scope of SCOPES) {
  it(`upload into a bucket holding extra objects (${scope.label})`, { timeout: 180_000 }, async () => {
    const schedule = randomFaults({ seed: 100, rate: 1, kinds: ALL_FAULT_KINDS, delayMs: HOLD_MS, filter: scope.filter });
    rule = schedule.rule;
    const start = Date.now();
    const r = await runNclone(['sync', src, `rgw:${bucket}`, ...FLAGS, ...QUICK], via(cli.env, proxy.endpoint), LIMIT_MS);
    const ms = Date.now() - start;
    schedule.stop();
    rule = () => undefined;

    // What is in the bucket now, on the RGW itself: every extra object and every stale one
    // as it was, or (for a source file) the right bytes; never anything corrupted or partial.
    const now = await bucketMd5s(bucket);
    const orphans = await unfinishedUploads(bucket);
    const want = new Map(files.map((f) => [f.path, md5(f.data)]));
    const old = new Map([...extras, ...stale].map((f) => [f.path, md5(f.data)]));
    const missing = [...old.keys()].filter((k) => !now.has(k));
    const wrong = [...now.entries()].filter(([k, sum]) => sum !== old.get(k) && sum !== want.get(k)).map(([k]) => k);
    const written = [...now.entries()].filter(([k, sum]) => sum === want.get(k)).length;
    report(`upload, 100% faults (${scope.label}), seed 100`, schedule, { checked: now.size, lost: missing, corrupted: wrong, unexpected: [] }, orphans, ms, `exit ${r.code}; extra objects kept ${extras.filter((e) => now.get(e.path) === old.get(e.path)).length}/${extras.length}; source files that got through anyway ${written}`);

    expect(r.timedOut, `still running after ${LIMIT_MS} ms:\n${r.stderr.slice(-3000)}`).toBe(false);
    expect(r.code, r.stderr.slice(-3000)).toBe(5);
    expect(ms).toBeLessThan(LIMIT_MS);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(missing, 'objects deleted').toEqual([]);
    for (const e of extras) expect(now.get(e.path), e.path).toBe(old.get(e.path));
    expect(wrong, 'objects whose bytes are neither the source nor what was there').toEqual([]);
    expect(orphans).toEqual([]);
    expect(schedule.total()).toBeGreaterThan(0);
  });

  it(`download into a local directory holding extra files (${scope.label})`, { timeout: 180_000 }, async () => {
    const dst = path.join(base, `download-${scope.label.replace(/\W+/g, '-')}`);
    const local = [0, 1, 2].map((i) => ({ path: `local-only/file-${i}.txt`, data: Buffer.from(`only on the local disk ${i}\n`) }));
    writeFiles(dst, local);
    const objects = await bucketMd5s(bucket);
    const schedule = randomFaults({ seed: 101, rate: 1, kinds: ALL_FAULT_KINDS, delayMs: HOLD_MS, filter: scope.filter });
    rule = schedule.rule;
    const start = Date.now();
    const r = await runNclone(['sync', `rgw:${bucket}`, dst, ...FLAGS, ...QUICK], via(cli.env, proxy.endpoint), LIMIT_MS);
    const ms = Date.now() - start;
    schedule.stop();
    rule = () => undefined;
    // Every file there is a local one, unchanged, or a complete copy of an object: no partial files.
    const now = dirMd5s(dst);
    const old = new Map(local.map((f) => [f.path, md5(f.data)]));
    const missing = [...old.keys()].filter((k) => now.get(k) !== old.get(k));
    const wrong = [...now.entries()].filter(([k, sum]) => !old.has(k) && sum !== objects.get(k)).map(([k]) => k);
    report(`download, 100% faults (${scope.label}), seed 101`, schedule, { checked: now.size, lost: missing, corrupted: wrong, unexpected: [] }, [], ms, `exit ${r.code}`);

    expect(r.timedOut, r.stderr.slice(-3000)).toBe(false);
    expect(r.code, r.stderr.slice(-3000)).toBe(5);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(ms).toBeLessThan(LIMIT_MS);
    expect(missing, 'local files deleted or changed').toEqual([]);
    expect(wrong, 'files that are no complete copy of an object (partial, corrupted)').toEqual([]);
  });
  }
});

describe('503 SlowDown with Retry-After: the retry waits that long', () => {
  const bucket = uniqueBucket('nclone-faults-retryafter');
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;

  beforeAll(async () => {
    base = makeBase('faults-retryafter');
    cli = makeCli(base, false);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    const mk = await cli.nclone('mkdir', `rgw:${bucket}`);
    expect(mk.code, mk.stderr).toBe(0);
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('every PUT answered 503 SlowDown with Retry-After: 2 the first time is sent again no sooner than 2 s later', { timeout: 90_000 }, async () => {
    const files = makeTree(4, [], 31);
    const src = path.join(base, 'src');
    writeFiles(src, files);
    const slowed = new Map<string, number>();
    rule = (req) => {
      if (!isObjectPut(req) || slowed.has(req.path)) return undefined;
      slowed.set(req.path, req.at!);
      return { status: 503, retryAfter: 2 };
    };
    const r = await runNclone(['copy', src, `rgw:${bucket}`, '--transfers', '4'], via(cli.env, proxy.endpoint), 60_000);
    rule = () => undefined;
    expect(r.code, r.stderr).toBe(0);
    expect(slowed.size).toBe(files.length);
    const waits = [...slowed.entries()].map(([p, first]) => {
      const again = proxy.requests.find((q) => q.method === 'PUT' && q.path === p && q.at! > first);
      return again ? again.at! - first : -1;
    });
    console.log(`[faults] 503 SlowDown, Retry-After: 2 on the first PUT of ${files.length} files: the second PUT came after ${waits.join(', ')} ms`);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(1900);
    const cmp = await compareBucket(bucket, files);
    expect(cmp.lost).toEqual([]);
    expect(cmp.corrupted).toEqual([]);
  });
});

describe('--timeout: a connection silent longer than that is dropped and the request retried', () => {
  const bucket = uniqueBucket('nclone-faults-timeout');
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  const files = makeTree(6, [], 21);
  /** Held far longer than the test may take: only a timeout gets past them. */
  const FOREVER = 600_000;

  beforeAll(async () => {
    base = makeBase('faults-timeout');
    cli = makeCli(base, false);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    const mk = await cli.nclone('mkdir', `rgw:${bucket}`);
    expect(mk.code, mk.stderr).toBe(0);
    await putObjects(bucket, files);
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  /** The first attempt of each matching request gets the fault; the others go through. */
  function firstAttempt(match: (req: ProxiedRequest) => boolean, fault: Fault): { rule: (req: ProxiedRequest) => Fault | undefined; hits: () => number } {
    const seen = new Set<string>();
    let hits = 0;
    return {
      rule: (req) => {
        if (!match(req) || seen.has(req.path)) return undefined;
        seen.add(req.path);
        hits++;
        return fault;
      },
      hits: () => hits,
    };
  }

  it('downloads whose bodies stall in the middle finish, exit 0, in a few timeouts', { timeout: 90_000 }, async () => {
    const f = firstAttempt(isObjectGet, { delay: FOREVER, afterBytes: 512 });
    rule = f.rule;
    const dst = path.join(base, 'stalled');
    const start = Date.now();
    const r = await runNclone(['copy', `rgw:${bucket}`, dst, '--timeout', '2s', '--transfers', '8'], via(cli.env, proxy.endpoint), 60_000);
    const ms = Date.now() - start;
    rule = () => undefined;
    console.log(`[faults] --timeout 2s, ${f.hits()} GETs stalled after 512 bytes for ${FOREVER / 1000} s: exit ${r.code} in ${(ms / 1000).toFixed(1)} s`);
    expect(r.timedOut, 'a stalled download hung the run').toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(f.hits()).toBe(files.length);
    expectPerfect(compareDir(dst, files), files);
    expect(ms).toBeLessThan(30_000);
  });

  it('uploads whose answers never come finish, exit 0, in a few timeouts', { timeout: 90_000 }, async () => {
    const f = firstAttempt(isObjectPut, { delay: FOREVER });
    rule = f.rule;
    const src = path.join(base, 'up');
    const more = makeTree(6, [], 22).map((t) => ({ ...t, path: `up/${t.path}` }));
    writeFiles(path.join(base), more);
    const start = Date.now();
    const r = await runNclone(['copy', src, `rgw:${bucket}/up`, '--timeout', '2s', '--transfers', '8'], via(cli.env, proxy.endpoint), 60_000);
    const ms = Date.now() - start;
    rule = () => undefined;
    console.log(`[faults] --timeout 2s, ${f.hits()} PUTs never answered: exit ${r.code} in ${(ms / 1000).toFixed(1)} s`);
    expect(r.timedOut, 'an unanswered upload hung the run').toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(f.hits()).toBe(more.length);
    const cmp = await compareBucket(bucket, more);
    expect(cmp.lost).toEqual([]);
    expect(cmp.corrupted).toEqual([]);
    expect(ms).toBeLessThan(30_000);
  });
});
