/**
 * Issue 9: "SIGINT and kill -9 mid-sync (upload and download), then a rerun, converge".
 * A sync of a few hundred small files and a multipart file, slowed by --bwlimit, is killed
 * (SIGKILL: nothing of nclone runs after it) or interrupted (SIGINT) once part of the tree
 * has arrived; the same command run again must end with the destination identical to the
 * source (checked on the RGW directly, or on disk), with no partial file, no unfinished
 * upload, and the destination's extra objects deleted only by the run that succeeded.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, run, type RunResult } from '../helpers/run.js';
import { serverKeys } from '../s3/helpers-backend.js';
import { makeBase, makeCli, removeBuckets, uniqueBucket, type Cli } from '../s3/helpers-cli.js';
import { runNclone } from '../s3/helpers-faults.js';
import { compareBucket, compareDir, makeTree, putObjects, unfinishedUploads, writeFiles, type TreeFile } from './helpers.js';

const bucket = uniqueBucket('nclone-kill');
const FLAGS = ['--transfers', '4', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];
/** Slow enough that a kill lands in the middle (about 14 MiB at 2 MiB/s). */
const SLOW = ['--bwlimit', '2M'];
let base: string;
let cli: Cli;
let env: NodeJS.ProcessEnv;
let files: TreeFile[];
let src: string;
const extras: TreeFile[] = [0, 1, 2].map((i) => ({ path: `extra-${i}.txt`, data: Buffer.from(`only in the destination ${i}\n`) }));

beforeAll(async () => {
  base = makeBase('kill-sync');
  cli = makeCli(base, false);
  env = { ...cli.env, NCLONE_CACHE_DIR: path.join(base, 'cache') };
  files = makeTree(300, [12], 21);
  src = path.join(base, 'src');
  writeFiles(src, files);
  expect((await cli.nclone('mkdir', `rgw:${bucket}`)).code).toBe(0);
});

afterAll(async () => {
  await removeBuckets([bucket]);
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

/** Runs nclone and sends it `signal` once `ready()` says so. */
function runAndSignal(args: string[], ready: () => Promise<boolean> | boolean, signal: NodeJS.Signals): Promise<RunResult> {
  return run(NCLONE, args, env, { timeoutMs: 60_000, signalWhen: { ready, signal } });
}

function localFiles(root: string): string[] {
  if (!nfs.existsSync(root)) return [];
  return (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[]).filter((d) => !d.isDirectory()).map((d) => path.relative(root, path.join(d.parentPath, d.name)));
}

describe.each([
  { signal: 'SIGKILL' as const, code: null },
  { signal: 'SIGINT' as const, code: 7 },
])('$signal in the middle of a sync, then the same sync again', ({ signal, code }) => {
  it('upload: the bucket ends identical to the source, extras deleted only by the rerun, no unfinished upload', async () => {
    const prefix = `up-${signal}/`;
    await putObjects(bucket, extras.map((e) => ({ ...e, path: prefix + e.path })));
    const dst = `rgw:${bucket}/${prefix.slice(0, -1)}`;
    const arrived = async () => (await serverKeys(bucket, prefix)).length >= extras.length + 30;
    const first = await runAndSignal(['sync', src, dst, ...FLAGS, ...SLOW], arrived, signal);
    expect(first.signalled, first.stderr).toBe(true);
    if (code === null) expect(first.signal).toBe('SIGKILL');
    else expect(first.code, first.stderr).toBe(code);
    const midway = await serverKeys(bucket, prefix);
    // Stopped in the middle: some files arrived, not all, and nothing was deleted.
    expect(midway.length).toBeLessThan(files.length + extras.length);
    for (const e of extras) expect(midway).toContain(prefix + e.path);

    const second = await runNclone(['sync', src, dst, ...FLAGS], env, 120_000);
    expect(second.code, second.stderr).toBe(0);
    const cmp = await compareBucket(bucket, files, prefix);
    expect(cmp).toEqual({ checked: files.length, lost: [], corrupted: [], unexpected: [] });
    expect(await unfinishedUploads(bucket)).toEqual([]);
  }, 180_000);

  it('download: the directory ends identical to the bucket, no partial file, extras deleted only by the rerun', async () => {
    const from = `rgw:${bucket}/up-${signal}`;
    const dst = path.join(base, `down-${signal}`);
    writeFiles(dst, extras);
    const arrived = () => localFiles(dst).filter((f) => !f.startsWith('extra-') && !path.basename(f).startsWith('.nclone-')).length >= 30;
    const first = await runAndSignal(['sync', from, dst, ...FLAGS, ...SLOW], arrived, signal);
    expect(first.signalled, first.stderr).toBe(true);
    if (code === null) expect(first.signal).toBe('SIGKILL');
    else expect(first.code, first.stderr).toBe(code);
    const midway = localFiles(dst);
    expect(midway.length).toBeLessThan(files.length + extras.length);
    for (const e of extras) expect(midway).toContain(e.path);
    // (After SIGKILL a temporary file may be left; after SIGINT none is.)
    if (code !== null) expect(midway.filter((f) => path.basename(f).startsWith('.nclone-'))).toEqual([]);

    const second = await runNclone(['sync', from, dst, ...FLAGS], env, 120_000);
    expect(second.code, second.stderr).toBe(0);
    expect(compareDir(dst, files)).toEqual({ checked: files.length, lost: [], corrupted: [], unexpected: [] });
  }, 180_000);
});
