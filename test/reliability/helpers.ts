/**
 * Helpers for the fault-injection tests: deterministic source trees (many small files and a
 * few multipart-sized ones), and checks made directly on the test RGW (never through the
 * fault proxy): every object listed and its bytes compared, unfinished multipart uploads.
 */
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { observer, serverKeys } from '../s3/helpers-backend.js';

export interface TreeFile {
  path: string;
  data: Buffer;
}

/** xorshift32 bytes: deterministic, incompressible. */
export function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size + ((4 - (size % 4)) % 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out.subarray(0, size);
}

/**
 * `small` files of 1-16 KiB spread over nested directories, plus one file per entry of
 * `bigMiB` of that many MiB (multipart with a 5 MiB chunk size).
 */
export function makeTree(small: number, bigMiB: number[], seed = 1): TreeFile[] {
  const files: TreeFile[] = [];
  for (let i = 0; i < small; i++) {
    const s = (seed * 1_000_003 + i * 7919) >>> 0;
    const size = 1024 + (s % (15 * 1024 + 1));
    files.push({ path: `d${String(i % 20).padStart(2, '0')}/s${i % 3}/file-${String(i).padStart(5, '0')}.bin`, data: pseudoRandom(size, s + 1) });
  }
  bigMiB.forEach((mib, j) => files.push({ path: `big/multipart-${j}.bin`, data: pseudoRandom(mib * 1024 * 1024, seed * 31 + j + 7) }));
  return files;
}

export function writeFiles(root: string, files: TreeFile[]): void {
  for (const f of files) {
    const p = path.join(root, f.path);
    nfs.mkdirSync(path.dirname(p), { recursive: true });
    nfs.writeFileSync(p, f.data);
  }
}

export function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function totalBytes(files: TreeFile[]): number {
  return files.reduce((n, f) => n + f.data.length, 0);
}

/** Runs fn over items, `width` at a time. */
async function eachLimited<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface Comparison {
  checked: number;
  /** Expected, not there. */
  lost: string[];
  /** There, with other bytes. */
  corrupted: string[];
  /** There, not expected. */
  unexpected: string[];
}

async function getBytes(bucket: string, key: string): Promise<Buffer> {
  const res = await observer().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** Lists the bucket on the RGW itself and compares every object's bytes (MD5) with the files. */
export async function compareBucket(bucket: string, files: TreeFile[], prefix = ''): Promise<Comparison> {
  const want = new Map(files.map((f) => [prefix + f.path, md5(f.data)]));
  const keys = await serverKeys(bucket, prefix);
  const lost = [...want.keys()].filter((k) => !keys.includes(k));
  const unexpected = keys.filter((k) => !want.has(k));
  const corrupted: string[] = [];
  let checked = 0;
  await eachLimited(
    keys.filter((k) => want.has(k)),
    16,
    async (k) => {
      if (md5(await getBytes(bucket, k)) !== want.get(k)) corrupted.push(k);
      checked++;
    },
  );
  return { checked, lost: lost.sort(), corrupted: corrupted.sort(), unexpected: unexpected.sort() };
}

/** Every file under root, relative (any partial or temporary file shows up as unexpected). */
export function compareDir(root: string, files: TreeFile[]): Comparison {
  const want = new Map(files.map((f) => [f.path, f.data]));
  const have = (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)));
  const lost = [...want.keys()].filter((k) => !have.includes(k));
  const unexpected = have.filter((k) => !want.has(k));
  const corrupted: string[] = [];
  let checked = 0;
  for (const k of have) {
    const data = want.get(k);
    if (!data) continue;
    if (!nfs.readFileSync(path.join(root, k)).equals(data)) corrupted.push(k);
    checked++;
  }
  return { checked, lost: lost.sort(), corrupted: corrupted.sort(), unexpected: unexpected.sort() };
}

/** Unfinished multipart uploads in the bucket, as "key uploadId" (asked of the RGW directly). */
export async function unfinishedUploads(bucket: string): Promise<string[]> {
  const out: string[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  for (;;) {
    const res = await observer().send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: idMarker }));
    for (const u of res.Uploads ?? []) out.push(`${u.Key} ${u.UploadId}`);
    if (!res.IsTruncated) return out;
    keyMarker = res.NextKeyMarker;
    idMarker = res.NextUploadIdMarker;
  }
}

export async function putObjects(bucket: string, files: TreeFile[]): Promise<void> {
  await eachLimited(files, 8, async (f) => {
    await observer().send(new PutObjectCommand({ Bucket: bucket, Key: f.path, Body: f.data }));
  });
}

/** e.g. "51.2 MiB" */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Every object of the bucket (on the RGW directly) with the MD5 of its bytes. */
export async function bucketMd5s(bucket: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await eachLimited(await serverKeys(bucket, prefix), 16, async (k) => {
    out.set(k, md5(await getBytes(bucket, k)));
  });
  return out;
}

/** Every file under root (relative path) with the MD5 of its bytes. */
export function dirMd5s(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[]) {
    if (d.isDirectory()) continue;
    const p = path.join(d.parentPath, d.name);
    out.set(path.relative(root, p), md5(nfs.readFileSync(p)));
  }
  return out;
}
