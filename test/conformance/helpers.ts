/**
 * Small helpers shared by the conformance suite. They only use the Fs contract from
 * src/fs/types.ts, so they work for every backend.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { FsError, type ErrorKind } from '../../src/fs/errors.js';
import type { Entry, Fs, HashType, Obj, SrcInfo, Timestamp } from '../../src/fs/types.js';

/** A modification time with nanoseconds, so truncation and rounding bugs show. */
export const T1: Timestamp = 1_700_000_000_123_456_789n;
/** A second, different time (about a year earlier), also with nanoseconds. */
export const T2: Timestamp = 1_670_000_000_987_654_321n;
/** A third one, for setModTime. */
export const T3: Timestamp = 1_500_000_000_000_000_001n;

export function srcInfo(remote: string, size: number, modTime: Timestamp = T1): SrcInfo {
  return { remote, size, modTime };
}

/** A stream that yields data in chunks of at most `chunk` bytes, like a real transfer. */
export function streamOf(data: Buffer | string, chunk = 7): Readable {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) parts.push(buf.subarray(i, i + chunk));
  return Readable.from(parts);
}

/** A stream that yields `good` bytes and then fails with `message`. */
export function failingStream(good: Buffer, message = 'injected read failure'): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
        return;
      }
      // Fail on a later turn, so the writer has already received (and maybe written) data.
      setTimeout(() => this.destroy(new Error(message)), 5);
    },
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

/** Deterministic bytes that differ at every offset within 251 bytes, so off-by-one ranges show. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 251;
  return b;
}

export async function putBytes(fs: Fs, remote: string, data: Buffer | string, modTime: Timestamp = T1): Promise<Obj> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return fs.put(streamOf(buf), srcInfo(remote, buf.length, modTime));
}

export async function readObject(fs: Fs, remote: string): Promise<Buffer> {
  const o = await fs.newObject(remote);
  return readAll(await o.open());
}

export function hashOf(type: HashType, data: Buffer | string): string {
  return createHash(type).update(data).digest('hex');
}

/** Awaits p and asserts it rejected with an FsError of one of the given kinds; returns the error. */
export async function expectFsError(p: Promise<unknown>, ...kinds: ErrorKind[]): Promise<FsError> {
  let result: unknown;
  try {
    result = await p;
  } catch (err) {
    expect(err, `expected an FsError (${kinds.join(' or ')}), got ${String(err)}`).toBeInstanceOf(FsError);
    const kind = (err as FsError).kind;
    expect(kinds, `error kind ${kind}: ${(err as Error).message}`).toContain(kind);
    return err as FsError;
  }
  throw new Error(`expected a rejection with ${kinds.join(' or ')}, but it resolved to ${describe(result)}`);
}

function describe(v: unknown): string {
  if (v && typeof v === 'object' && 'remote' in v) return `${(v as Entry).kind} ${JSON.stringify((v as Entry).remote)}`;
  return String(v);
}

/**
 * Asserts dir is reported missing: dirNotFound. An Fs that cannot have empty directories
 * may instead report a missing one as empty (a prefix with nothing under it), as rclone allows.
 */
export async function expectMissingDir(fs: Fs, dir: string, list: (dir: string) => Promise<Entry[]> = (d) => fs.list(d)): Promise<void> {
  if (fs.features.canHaveEmptyDirectories) {
    await expectFsError(list(dir), 'dirNotFound');
    return;
  }
  let entries: Entry[] = [];
  try {
    entries = await list(dir);
  } catch (err) {
    await expectFsError(Promise.reject(err), 'dirNotFound');
  }
  expect(entries.map((e) => e.remote)).toEqual([]);
}

/** Asserts two times agree within the backend's precision (inclusive, as rclone's modify window). */
export function expectTimeClose(got: Timestamp, want: Timestamp, precision: bigint, what = 'modTime'): void {
  const diff = got > want ? got - want : want - got;
  expect(diff <= precision, `${what}: got ${got}, want ${want} (±${precision}ns), off by ${diff}ns`).toBe(true);
}

export interface Listing {
  files: string[];
  dirs: string[];
}

/** One level of a listing, names sorted; asserts every entry is well formed and inside dir. */
export async function listNames(fs: Fs, dir: string): Promise<Listing> {
  const entries = await fs.list(dir);
  return splitEntries(entries, dir);
}

export function splitEntries(entries: Entry[], dir: string, recursive = false): Listing {
  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of entries) {
    expect(['object', 'dir']).toContain(e.kind);
    expect(typeof e.remote).toBe('string');
    expect(e.remote.startsWith('/'), `remote ${JSON.stringify(e.remote)} has a leading slash`).toBe(false);
    expect(e.remote.endsWith('/'), `remote ${JSON.stringify(e.remote)} has a trailing slash`).toBe(false);
    if (dir !== '') expect(e.remote.startsWith(dir + '/'), `${JSON.stringify(e.remote)} is not inside ${JSON.stringify(dir)}`).toBe(true);
    const rest = dir === '' ? e.remote : e.remote.slice(dir.length + 1);
    expect(rest.length).toBeGreaterThan(0);
    if (!recursive) expect(rest.includes('/'), `${JSON.stringify(e.remote)} is not directly inside ${JSON.stringify(dir)}`).toBe(false);
    (e.kind === 'dir' ? dirs : files).push(e.remote);
  }
  const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { files: files.sort(byCodeUnit), dirs: dirs.sort(byCodeUnit) };
}

/** Everything below dir, found with list() alone: the reference a listR must agree with. */
export async function walk(fs: Fs, dir: string): Promise<Listing> {
  const out: Listing = { files: [], dirs: [] };
  const level = await listNames(fs, dir);
  out.files.push(...level.files);
  for (const d of level.dirs) {
    out.dirs.push(d);
    const sub = await walk(fs, d);
    out.files.push(...sub.files);
    out.dirs.push(...sub.dirs);
  }
  out.files.sort();
  out.dirs.sort();
  return out;
}

/** Finds the entry for remote in a listing of its parent directory. */
export async function findEntry(fs: Fs, remote: string): Promise<Entry | undefined> {
  const slash = remote.lastIndexOf('/');
  const parent = slash < 0 ? '' : remote.slice(0, slash);
  const entries = await fs.list(parent);
  return entries.find((e) => e.remote === remote);
}
