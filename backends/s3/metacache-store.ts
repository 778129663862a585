/**
 * The files of the S3 metadata cache (see metacache.ts and docs/metacache.md): one JSON file
 * per shard, read whole, written whole to a temporary file that is renamed over the old one,
 * and the size bound that removes the least recently used shards.
 *
 * A shard file is {"v":1,"dir":"<prefix>","e":[[leaf, size, etag, mtime, kind, a, b, md5],…]}.
 * Entries are arrays, not an object keyed by leaf, so that no object name (`__proto__`) can
 * collide with a property. Anything that is not exactly this shape makes the whole file count
 * as corrupt: a file that is wrong in one place can't be trusted in the others.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export const VERSION = 1;

/**
 * How an entry's lastModified is known; the kinds narrow as lookups confirm them.
 * EXACT: a = the listing's LastModified in ms, which later listings must show exactly.
 * SECOND: a = LastModified in whole seconds (from a HEAD or a copy's result).
 * WINDOW: from nclone's own PUT, whose answer has no LastModified: a..b are the seconds it
 * can lie in.
 */
export const EXACT = 0;
export const SECOND = 1;
export const WINDOW = 2;
export type Kind = typeof EXACT | typeof SECOND | typeof WINDOW;

/** One object's cached metadata. Also what lookups return, so a hit allocates nothing. */
export class Entry {
  constructor(
    public size: number,
    /** Without the surrounding quotes. */
    public etag: string,
    public mtime: bigint,
    public md5: string | undefined,
    public kind: Kind,
    public a: number,
    public b: number,
  ) {}
}

export type Entries = Map<string, Entry>;

const MTIME = /^-?\d{1,30}$/;
const MD5 = /^[0-9a-f]{32}$/;

/** Entries of a shard file's text; undefined when the text is not a valid shard of `dir`. */
export function parseShard(text: string, dir: string): Entries | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { v, dir: d, e } = doc as { v?: unknown; dir?: unknown; e?: unknown };
  // A different dir is a hash collision (or a file put there by hand): not ours to trust.
  if (v !== VERSION || d !== dir || !Array.isArray(e)) return undefined;
  const out: Entries = new Map();
  for (const t of e as unknown[]) {
    if (!Array.isArray(t) || t.length !== 8) return undefined;
    const [leaf, size, etag, mtime, kind, a, b, md5] = t as unknown[];
    if (typeof leaf !== 'string' || leaf.includes('/')) return undefined;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
    if (typeof etag !== 'string' || typeof mtime !== 'string' || !MTIME.test(mtime)) return undefined;
    if (kind !== EXACT && kind !== SECOND && kind !== WINDOW) return undefined;
    if (typeof a !== 'number' || !Number.isSafeInteger(a) || typeof b !== 'number' || !Number.isSafeInteger(b)) return undefined;
    if (typeof md5 !== 'string' || (md5 !== '' && md5 !== '=' && !MD5.test(md5))) return undefined;
    out.set(leaf, new Entry(size, etag, BigInt(mtime), md5 === '=' ? etag : md5 === '' ? undefined : md5, kind as Kind, a, b));
  }
  return out;
}

export function serializeShard(entries: Entries, dir: string): string {
  const e: unknown[] = [];
  for (const [leaf, x] of entries) {
    // Most MD5s are the ETag itself: "=" says so in one byte.
    const md5 = x.md5 === undefined ? '' : x.md5 === x.etag ? '=' : x.md5;
    e.push([leaf, x.size, x.etag, x.mtime.toString(), x.kind, x.a, x.b, md5]);
  }
  return JSON.stringify({ v: VERSION, dir, e });
}

export interface ReadResult {
  /** Undefined when the file is missing, unreadable or corrupt. */
  entries: Entries | undefined;
  /** The file exists and is not a valid shard: it should be rewritten. */
  corrupt: boolean;
  /** The file's mtime (0 when missing). */
  mtimeMs: number;
}

/** Never throws: a cache that can't be read is an empty one. */
export async function readShard(file: string, dir: string): Promise<ReadResult> {
  let text: string;
  let mtimeMs: number;
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'r');
    mtimeMs = (await fh.stat()).mtimeMs;
    text = await fh.readFile('utf8');
  } catch {
    return { entries: undefined, corrupt: false, mtimeMs: 0 };
  } finally {
    await fh?.close().catch(() => {});
  }
  const entries = parseShard(text, dir);
  return { entries, corrupt: entries === undefined, mtimeMs };
}

/**
 * Marks a shard as used now, so that the size bound removes it after the ones nobody reads.
 * Once a day is enough for that, and spares a write per load. Never throws.
 */
export async function touchShard(file: string, mtimeMs: number, now = Date.now()): Promise<void> {
  if (mtimeMs === 0 || now - mtimeMs < 86_400_000) return;
  const t = new Date(now);
  await fsp.utimes(file, t, t).catch(() => {});
}

/**
 * Replaces the shard file atomically (a reader sees the old file or the new one, never a
 * mix), or removes it when there is nothing left. Throws the system error. `made` holds the
 * directories known to exist, so that most writes skip the mkdir.
 */
export async function writeShard(file: string, dir: string, entries: Entries, made: Set<string>): Promise<void> {
  if (entries.size === 0) {
    await fsp.rm(file, { force: true });
    return;
  }
  const parent = path.dirname(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const text = serializeShard(entries, dir);
  try {
    try {
      if (!made.has(parent)) await fsp.mkdir(parent, { recursive: true, mode: 0o700 });
      await fsp.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Removed since (by hand, or another process's clean-up): make it again, once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !made.delete(parent)) throw err;
      await fsp.mkdir(parent, { recursive: true, mode: 0o700 });
      await fsp.writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    }
    made.add(parent);
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

const HOUR = 3_600_000;

/**
 * Keeps the whole meta/ directory under maxBytes: when it is over, removes shard files, least
 * recently used (oldest mtime) first, until it is under 80% of it, so that the next runs do
 * not each remove a few. Also removes temporary files a killed run left (older than an hour).
 * Runs at most once an hour (the mtime of meta/.pruned) across every process sharing the
 * cache. Never throws. Returns the number of shard files removed.
 */
export async function pruneMeta(metaDir: string, maxBytes: number, now = Date.now()): Promise<number> {
  const stamp = path.join(metaDir, '.pruned');
  try {
    const st = await fsp.stat(stamp);
    if (st.mtimeMs <= now && now - st.mtimeMs < HOUR) return 0;
  } catch {
    // No stamp yet: prune now.
  }
  try {
    await fsp.writeFile(stamp, '', { mode: 0o600 });
  } catch {
    return 0;
  }
  const files: { file: string; size: number; mtimeMs: number }[] = [];
  let total = 0;
  for (const ns of await names(metaDir)) {
    for (const xx of await names(path.join(metaDir, ns))) {
      const sub = path.join(metaDir, ns, xx);
      for (const name of await names(sub)) {
        const file = path.join(sub, name);
        const st = await fsp.stat(file).catch(() => undefined);
        if (!st?.isFile()) continue;
        if (name.endsWith('.tmp')) {
          if (now - st.mtimeMs >= HOUR) await fsp.rm(file, { force: true }).catch(() => {});
        } else if (name.endsWith('.json')) {
          files.push({ file, size: st.size, mtimeMs: st.mtimeMs });
          total += st.size;
        }
      }
    }
  }
  if (total <= maxBytes) return 0;
  files.sort((x, y) => x.mtimeMs - y.mtimeMs);
  let removed = 0;
  for (const f of files) {
    if (total < maxBytes * 0.8) break;
    try {
      await fsp.rm(f.file);
      total -= f.size;
      removed++;
    } catch {
      // Removed by another process already, or not removable: either way, go on.
    }
  }
  return removed;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch {
    return [];
  }
}
