/**
 * Helpers for the command-line tests against the test Ceph RGW: a child environment that
 * defines the remote `rgw` for nclone (NCLONE_CONFIG_RGW_* variables only) and a temporary
 * rclone.conf with an [rgw] section for rclone, fixture trees with nanosecond mtimes, the
 * lines `ls`/`lsl`/`md5sum` should print for them, and direct S3 access (AWS SDK, v4) for
 * checks and clean-up. Only the test server on 127.0.0.1 is ever contacted.
 */
import { observer } from './helpers-backend.js';
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { NCLONE, cleanEnv, run, type RunResult } from '../helpers/run.js';
import { s3Server } from '../helpers/s3.js';

export { uniqueBucket } from '../helpers/s3.js';

/** 2020-09-13 12:26:40 UTC. */
export const T0 = 1_600_000_000;

/** Each scenario runs once signed with v4 and once with v2. */
export const SIGNATURES = [
  { sig: 'v4', v2: false },
  { sig: 'v2', v2: true },
] as const;

/** Upload flags that make a 12 MiB file a 3-part multipart upload. */
export const NCLONE_MULTIPART = ['--s3-upload-cutoff', '1Mi', '--s3-chunk-size', '5Mi'];
export const RCLONE_MULTIPART = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M'];
export const BIG_SIZE = 12 * 1024 * 1024;

export interface FileSpec {
  path: string;
  data: Buffer;
  sec: number;
  /** Nanoseconds of the mtime (0..999999999). */
  ns: number;
}

/** A small tree: nested directories, names with spaces, unicode, # % + & = ?, and an empty file. */
export function fixtureTree(): FileSpec[] {
  const f = (p: string, data: string | Buffer, i: number, ns: number): FileSpec => ({ path: p, data: Buffer.from(data), sec: T0 + i * 3607, ns });
  return [
    f('top.txt', 'hello\n', 0, 123456789),
    f('empty file', '', 1, 1),
    f('dir one/nested/deep.txt', 'deep '.repeat(40), 2, 999999999),
    f('dir one/with space & más.txt', 'x'.repeat(1000), 3, 0),
    f('ünïcödé/日本語 ファイル.txt', 'こんにちは\n', 4, 500000000),
    f('odd/hash#pct%plus+.txt', 'odd\n', 5, 42),
    f('odd/a b/c#d%2Fe+f=g?.dat', Buffer.from([0, 1, 2, 255, 254]), 6, 7),
    f('odd/100% sure+#1.txt', 'sure\n', 7, 987654321),
    f("odd/a~b!c*d'e(f)/semi;colon,comma@$&[x]{y}^|.txt", 'punctuation\n', 8, 13579),
  ];
}

/** A 12 MiB file of pseudo-random bytes (deterministic, so failures repeat). */
export function bigFile(p: string, seed: number): FileSpec {
  const data = Buffer.alloc(BIG_SIZE);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.writeUInt32LE(x >>> 0, i);
  }
  return { path: p, data, sec: T0 + 86_400, ns: 246813579 };
}

const bases: string[] = [];

/** Ensures the compiled CLI is there and returns a private base directory (removeBases removes it). */
export function makeBase(label: string): string {
  if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
  const base = nfs.mkdtempSync(path.join(os.tmpdir(), `nclone-s3-${label}-`));
  bases.push(base);
  nfs.mkdirSync(path.join(base, 'home'));
  return base;
}

/** Removes every base directory this test file made, for its afterAll: they can hold hundreds of MiB. */
export function removeBases(): void {
  for (const b of bases.splice(0)) nfs.rmSync(b, { recursive: true, force: true });
}

export interface Cli {
  base: string;
  env: NodeJS.ProcessEnv;
  /** Runs bin/nclone with the remote `rgw` defined by environment variables. */
  nclone(...args: string[]): Promise<RunResult>;
  /** Runs rclone with --config pointing at a temporary rclone.conf that defines [rgw]. */
  rclone(...args: string[]): Promise<RunResult>;
}

/** Both tools set up for the test RGW; v2 selects signature v2 for both; tz is TZ for both. */
export function makeCli(base: string, v2: boolean, tz = 'UTC'): Cli {
  const s = s3Server();
  const home = path.join(base, 'home');
  // cleanEnv drops every NCLONE_*, RCLONE_* and AWS_* variable (AWS_CA_BUNDLE breaks rclone over http).
  const env = cleanEnv(home, {
    TZ: tz,
    AWS_EC2_METADATA_DISABLED: 'true',
    NCLONE_CONFIG_RGW_TYPE: 's3',
    NCLONE_CONFIG_RGW_PROVIDER: 'Ceph',
    NCLONE_CONFIG_RGW_ENDPOINT: s.endpoint,
    NCLONE_CONFIG_RGW_ACCESS_KEY_ID: s.accessKeyId,
    NCLONE_CONFIG_RGW_SECRET_ACCESS_KEY: s.secretAccessKey,
    ...(v2 ? { NCLONE_CONFIG_RGW_V2_AUTH: 'true' } : {}),
  });
  const conf = path.join(base, 'rclone.conf');
  nfs.writeFileSync(conf, ['[rgw]', 'type = s3', 'provider = Ceph', `endpoint = ${s.endpoint}`, `access_key_id = ${s.accessKeyId}`, `secret_access_key = ${s.secretAccessKey}`, ''].join('\n'));
  return {
    base,
    env,
    nclone: (...args) => run(NCLONE, args, env),
    rclone: (...args) => run('rclone', ['--config', conf, ...(v2 ? ['--s3-v2-auth'] : []), ...args], env),
  };
}

/** Writes the files under root and sets their mtimes to the nanosecond with touch(1). */
export async function writeTree(root: string, files: FileSpec[]): Promise<void> {
  for (const f of files) {
    const p = path.join(root, f.path);
    nfs.mkdirSync(path.dirname(p), { recursive: true });
    nfs.writeFileSync(p, f.data);
    await touch(p, f);
  }
}

export async function touch(p: string, f: { sec: number; ns: number }): Promise<void> {
  const r = await run('touch', ['-m', '-d', `@${f.sec}.${String(f.ns).padStart(9, '0')}`, p], process.env);
  if (r.code !== 0) throw new Error(`touch ${p}: ${r.stderr}`);
}

/** Non-empty lines, sorted (rclone and nclone may list in different orders). */
export function sortedLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '').sort();
}

function utc(sec: number): string {
  return new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** What `lsl` prints for the files (TZ=UTC), sorted. */
export function lslLines(files: FileSpec[], prefix = ''): string[] {
  return files.map((f) => `${String(f.data.length).padStart(9)} ${utc(f.sec)}.${String(f.ns).padStart(9, '0')} ${prefix}${f.path}`).sort();
}

/** What `ls` prints for the files, sorted. */
export function lsLines(files: FileSpec[], prefix = ''): string[] {
  return files.map((f) => `${String(f.data.length).padStart(9)} ${prefix}${f.path}`).sort();
}

export function md5hex(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** What `rclone md5sum` prints for the files, sorted. */
export function md5Lines(files: FileSpec[]): string[] {
  return files.map((f) => `${md5hex(f.data)}  ${f.path}`).sort();
}

export interface LocalInfo {
  size: number;
  mtimeUs: bigint;
  md5: string;
}

/** Every file under root with its size, mtime in microseconds and MD5. */
export function snapshot(root: string): Record<string, LocalInfo> {
  const out: Record<string, LocalInfo> = {};
  const walk = (rel: string) => {
    for (const d of nfs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else {
        const p = path.join(root, r);
        const st = nfs.statSync(p, { bigint: true });
        out[r] = { size: Number(st.size), mtimeUs: st.mtimeNs / 1000n, md5: md5hex(nfs.readFileSync(p)) };
      }
    }
  };
  walk('');
  return out;
}

/** Exit code 0 and nothing on stderr (shown in the failure message otherwise). */
export function expectOk(r: RunResult, quiet = true): void {
  expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(0);
  if (quiet) expect(r.stderr).toBe('');
}

export function expectCode(r: RunResult, code: number): void {
  expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(code);
}

/** A sync with --error-on-no-transfer (and -v) that found nothing to do: exit 9, every file checked. */
export function expectNoOp(r: RunResult, files: number): void {
  expectCode(r, 9);
  expect(r.stderr).toMatch(new RegExp(`Checks:\\s+${files} / ${files}, 100%`));
}


/** An SDK client for the test RGW, independent of nclone's S3 backend. */
export const sdk = observer;

export function headObject(bucket: string, key: string): Promise<HeadObjectCommandOutput> {
  return sdk().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
}

/** An object written behind nclone's back (no mtime metadata). */
export async function putObject(bucket: string, key: string, body: string): Promise<void> {
  await sdk().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Deletes the buckets with everything in them; missing buckets are fine. */
export async function removeBuckets(buckets: string[]): Promise<void> {
  const c = sdk();
  for (const Bucket of buckets) {
    try {
      let token: string | undefined;
      do {
        const page = await c.send(new ListObjectsV2Command({ Bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket, Key: o.Key! }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket }));
      for (const u of uploads.Uploads ?? []) await c.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key!, UploadId: u.UploadId! }));
      await c.send(new DeleteBucketCommand({ Bucket }));
    } catch (err) {
      if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
    }
  }
}
