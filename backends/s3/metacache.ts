/**
 * The S3 metadata cache: per object, the modification time (and MD5) that nclone wrote or last
 * read, so that a sync comparing size and mtime needs the listing only, not a HEAD per object.
 * An entry is trusted only while the listing still shows the same object: same size, same
 * ETag, same LastModified. docs/metacache.md explains why that is exact and where it is not.
 *
 * Files: <cache dir>/meta/<namespace>/<xx>/<shard>.json, one shard per "directory" of the
 * bucket (the key up to its last '/'), so that a sync going directory by directory loads each
 * shard once and holds only the few in use (an LRU). Writes are buffered per shard and merged
 * into the file, so that two processes sharing the cache lose at most each other's latest
 * entries, never corrupt them: a lost entry costs a HEAD, never a wrong answer.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { logDebug } from '../../src/lib/log.js';
import { cacheDir } from './journal.js';
import { EXACT, Entry, SECOND, WINDOW, pruneMeta, readShard, touchShard, writeShard, type Entries, type Kind } from './metacache-store.js';

export interface MetaCacheOptions {
  /** The endpoint URL, or "aws:<region>" for AWS without one. */
  endpoint: string;
  bucket: string;
  /** False: every call is a no-op and lookups miss. */
  enabled: boolean;
  /** The cache directory (default: the one upload journals use). */
  dir?: string;
  /** Shards held in memory at once (default 32). */
  maxShards?: number;
  /** Entries held in memory across the loaded shards, beyond which shards are evicted (default 400,000). */
  maxEntries?: number;
  /** Entries one shard may hold; new objects beyond it are not recorded (default 100,000). */
  maxShardEntries?: number;
  /** Changed entries that make a shard write itself out (default 500). */
  flushEvery?: number;
  /** Changes buffered across all shards beyond which they are all written out (default 10,000). */
  maxDirty?: number;
  /** The bound on the whole meta/ directory, enforced at close (default 256 MiB). */
  maxBytes?: number;
}

/** What a hit gives. */
export interface CachedMeta {
  /** Nanoseconds since the epoch. */
  readonly mtime: bigint;
  /** Hex. */
  readonly md5?: string;
}

/** What nclone learnt from a HEAD, or from a copy whose result carries LastModified. */
export interface Seen {
  size: number;
  etag: string;
  lastModifiedMs: number;
  mtime: bigint;
  md5?: string;
}

/** What nclone knows after its own PUT (or multipart Complete): no LastModified. */
export interface Put {
  size: number;
  etag: string;
  /** The answer's Date header (server clock, whole seconds). */
  serverDateMs: number;
  /**
   * A server-clock time at or before the upload began, when known (the Date of the
   * CreateMultipartUpload answer). Default: one second before serverDateMs.
   */
  notBeforeMs?: number;
  mtime: bigint;
  md5?: string;
}

class Shard {
  /** Complete only once loaded; before that, only what was recorded in this run. */
  entries: Entries = new Map();
  /** Changes not yet in the file; null: forgotten. */
  dirty = new Map<string, Entry | null>();
  loaded = false;
  loading: Promise<void> | undefined;
  /** The file was not a valid shard: rewrite it even with nothing changed. */
  corrupt = false;
  flushQueued = false;
  constructor(
    readonly prefix: string,
    readonly file: string,
  ) {}
}

/** Seconds an upload's LastModified may be later than its answer's Date second (see recordPut). */
export const DATE_LAG_S = 1;

const HEX32 = /^[0-9a-f]{32}$/;
const NONE: Promise<undefined> = Promise.resolve(undefined);

/** The "directory" part of a key, up to and including its last '/'. */
function prefixOf(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

function stripQuotes(etag: string): string {
  return etag.length >= 2 && etag.charCodeAt(0) === 34 && etag.charCodeAt(etag.length - 1) === 34 ? etag.slice(1, -1) : etag;
}

/** The listing's ETag (quoted or not) against a stored one (never quoted), without allocating. */
function sameEtag(stored: string, listed: string): boolean {
  const n = listed.length;
  if (n === stored.length + 2 && listed.charCodeAt(0) === 34 && listed.charCodeAt(n - 1) === 34) return listed.startsWith(stored, 1);
  return listed === stored;
}

export function metaNamespace(endpoint: string, bucket: string): string {
  return createHash('sha256').update(`${endpoint}\0${bucket}`).digest('hex').slice(0, 32);
}

const registry = new Map<string, MetaCache>();

/**
 * The cache of one bucket. Two callers on the same endpoint and bucket (and cache dir) get the
 * same instance; each must close() it once.
 */
export function openMetaCache(opt: MetaCacheOptions): MetaCache {
  if (!opt.enabled) return new MetaCache(opt, '');
  const root = path.join(opt.dir ?? cacheDir(), 'meta', metaNamespace(opt.endpoint, opt.bucket));
  const known = registry.get(root);
  if (known) {
    known.refs++;
    return known;
  }
  const c = new MetaCache(opt, root);
  registry.set(root, c);
  return c;
}

/** Closes every open cache (at the end of a run, whatever closed or not). */
export async function closeAllMetaCaches(): Promise<void> {
  await Promise.all([...registry.values()].map((c) => ((c.refs = 1), c.close())));
}

export class MetaCache {
  /**
   * Shards by prefix, least recently used first: loaded (or loading) ones, bounded by
   * maxShards, and ones only recorded into (a first upload), bounded by maxDirty.
   */
  private readonly shards = new Map<string, Shard>();
  private loadedCount = 0;
  /** Changes buffered in shards that have no write queued. */
  private dirtyCount = 0;
  /** The shard of the previous call: consecutive keys of one directory skip the LRU. */
  private last: Shard | undefined;
  /** Reads and writes of one file, in order: a load never reads past a flush still writing. */
  private readonly io = new Map<string, Promise<void>>();
  /** Shard directories known to exist. */
  private readonly made = new Set<string>();
  private enabled: boolean;
  private writable = true;
  private readonly maxShards: number;
  private readonly maxEntries: number;
  private readonly maxShardEntries: number;
  private readonly flushEvery: number;
  private readonly maxDirty: number;
  private readonly maxBytes: number;
  /** openMetaCache calls not yet closed. */
  refs = 1;
  /** Counts for debugging and the benchmark. */
  readonly stats = { hits: 0, misses: 0, loads: 0, writes: 0 };

  /** Use openMetaCache(). */
  constructor(
    opt: MetaCacheOptions,
    /** <cache dir>/meta/<namespace>; '' when disabled. */
    readonly root: string,
  ) {
    this.enabled = opt.enabled && root !== '';
    this.maxShards = Math.max(1, opt.maxShards ?? 32);
    this.maxEntries = opt.maxEntries ?? 400_000;
    this.maxShardEntries = opt.maxShardEntries ?? 100_000;
    this.flushEvery = Math.max(1, opt.flushEvery ?? 500);
    this.maxDirty = Math.max(1, opt.maxDirty ?? 10_000);
    this.maxBytes = opt.maxBytes ?? 256 * 1024 * 1024;
  }

  /** Shards in memory now: loaded ones, and ones holding records not yet written. */
  get heldShards(): number {
    return this.shards.size;
  }

  /** False once a write failed: the rest of the run only reads. */
  get canWrite(): boolean {
    return this.writable;
  }

  /**
   * The cached metadata of the object a listing shows with this size, ETag and LastModified,
   * or undefined (then ask the server). Never rejects.
   */
  lookup(key: string, size: number, etag: string, lastModifiedMs: number): Promise<CachedMeta | undefined> {
    if (!this.enabled) return NONE;
    const shard = this.shardFor(key);
    if (shard.loaded) return Promise.resolve(this.match(shard, key, size, etag, lastModifiedMs));
    return this.load(shard).then(() => this.match(shard, key, size, etag, lastModifiedMs));
  }

  /** Remembers what a HEAD (or a copy's result) said about an object. */
  record(key: string, s: Seen): void {
    if (!this.enabled || !Number.isFinite(s.lastModifiedMs)) return;
    this.put(key, s.size, s.etag, s.mtime, s.md5, SECOND, Math.floor(s.lastModifiedMs / 1000), 0);
  }

  /** Remembers an object nclone has just written. */
  recordPut(key: string, p: Put): void {
    if (!this.enabled || !Number.isFinite(p.serverDateMs)) return;
    // The object's LastModified was set while the request was served. The Ceph RGW stamps its
    // Date a moment before that (a few ms, measured), so LastModified can fall in the second
    // after the Date second: the window ends there. A metadata-only change by another tool
    // inside the window, before a listing pins the exact time, is the case docs/metacache.md
    // says the cache cannot see.
    const date = Math.floor(p.serverDateMs / 1000);
    const hi = date + DATE_LAG_S;
    const lo = p.notBeforeMs !== undefined && Number.isFinite(p.notBeforeMs) ? Math.min(date, Math.floor(p.notBeforeMs / 1000) - 1) : date - 1;
    this.put(key, p.size, p.etag, p.mtime, p.md5, WINDOW, lo, hi);
  }

  /** Drops an object's entry (after deleting it). */
  forget(key: string): void {
    if (!this.enabled) return;
    const shard = this.shardFor(key);
    const leaf = key.slice(shard.prefix.length);
    shard.entries.delete(leaf);
    this.markDirty(shard, leaf, null);
  }

  /** Writes every buffered change out. Never rejects. */
  async flush(): Promise<void> {
    if (!this.enabled) return;
    for (const shard of this.shards.values()) if (shard.dirty.size > 0 || shard.corrupt) this.queueFlush(shard);
    while (this.io.size > 0) await Promise.all(this.io.values());
  }

  /**
   * Flushes, and when this was the last caller holding the cache, keeps the cache directory
   * within its size bound and lets the instance go. Never rejects.
   */
  async close(): Promise<void> {
    if (!this.enabled || --this.refs > 0) return;
    await this.flush();
    this.enabled = false;
    if (registry.get(this.root) === this) registry.delete(this.root);
    if (this.writable) await pruneMeta(path.dirname(this.root), this.maxBytes);
    this.shards.clear();
    this.last = undefined;
    this.loadedCount = 0;
    this.dirtyCount = 0;
  }

  private put(key: string, size: number, etag: string, mtime: bigint, md5: string | undefined, kind: Kind, a: number, b: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || typeof etag !== 'string' || typeof mtime !== 'bigint') return;
    if (md5 !== undefined && !HEX32.test(md5)) md5 = HEX32.test(md5.toLowerCase()) ? md5.toLowerCase() : undefined;
    const shard = this.shardFor(key);
    const leaf = key.slice(shard.prefix.length);
    // A huge flat directory stops growing its shard; the objects beyond are HEADed instead.
    if (shard.entries.size >= this.maxShardEntries && !shard.entries.has(leaf)) return;
    // Unwritable: what is recorded can only help this run; keep memory bounded all the same.
    if (!this.writable && this.dirtyCount >= this.maxDirty) return;
    const tag = stripQuotes(etag);
    const e = new Entry(size, tag, mtime, md5 === tag ? tag : md5, kind, a, b);
    shard.entries.set(leaf, e);
    this.markDirty(shard, leaf, e);
  }

  private match(shard: Shard, key: string, size: number, etag: string, ms: number): CachedMeta | undefined {
    const e = shard.entries.get(shard.prefix.length === 0 ? key : key.slice(shard.prefix.length));
    if (e === undefined || e.size !== size || !sameEtag(e.etag, etag)) {
      this.stats.misses++;
      return undefined;
    }
    if (e.kind === EXACT) {
      if (e.a !== ms) return this.miss();
    } else {
      const sec = Math.floor(ms / 1000);
      if (e.kind === SECOND ? sec !== e.a : sec < e.a || sec > e.b) return this.miss();
      // Pin the listing's exact time: from now on any change of LastModified, even within
      // this second (listings give ms), is a different object.
      e.kind = EXACT;
      e.a = ms;
      e.b = 0;
      this.markDirty(shard, key.slice(shard.prefix.length), e);
    }
    this.stats.hits++;
    return e;
  }

  private miss(): undefined {
    this.stats.misses++;
    return undefined;
  }

  private shardFor(key: string): Shard {
    const last = this.last;
    if (last !== undefined && key.startsWith(last.prefix) && key.indexOf('/', last.prefix.length) === -1) return last;
    const prefix = prefixOf(key);
    let shard = this.shards.get(prefix);
    if (shard !== undefined) {
      this.shards.delete(prefix);
    } else {
      const id = createHash('sha256').update(prefix).digest('hex').slice(0, 32);
      shard = new Shard(prefix, path.join(this.root, id.slice(0, 2), `${id}.json`));
    }
    this.shards.set(prefix, shard);
    this.last = shard;
    return shard;
  }

  /**
   * Evicts the least recently used loaded shards (writing out their changes) while more than
   * maxShards are loaded or they hold more than maxEntries entries.
   */
  private trim(): void {
    let total = 0;
    for (const s of this.shards.values()) if (s.loading !== undefined) total += s.entries.size;
    for (const s of this.shards.values()) {
      if (this.loadedCount <= this.maxShards && total <= this.maxEntries) break;
      // One still loading has a lookup waiting on it.
      if (s === this.last || !s.loaded) continue;
      total -= s.entries.size;
      this.evict(s);
    }
  }

  private evict(s: Shard): void {
    this.shards.delete(s.prefix);
    if (s.loading !== undefined) this.loadedCount--;
    if (this.writable) {
      if (s.dirty.size > 0 || s.corrupt) this.queueFlush(s);
    } else if (!s.flushQueued) {
      // Unwritable: its changes go with it.
      this.dirtyCount -= s.dirty.size;
    }
  }

  /** Writes out every buffered change, and lets go of the shards that were only recorded into. */
  private spill(): void {
    for (const s of this.shards.values()) {
      if (s.loading === undefined && s !== this.last) this.evict(s);
      else if (s.dirty.size > 0) this.queueFlush(s);
    }
  }

  private load(shard: Shard): Promise<void> {
    if (shard.loading === undefined) this.loadedCount++;
    shard.loading ??= this.serial(shard.file, async () => {
      const r = await readShard(shard.file, shard.prefix);
      this.stats.loads++;
      if (this.writable && r.entries !== undefined) await touchShard(shard.file, r.mtimeMs);
      const entries = r.entries ?? new Map<string, Entry>();
      for (const [leaf, e] of shard.dirty) {
        if (e === null) entries.delete(leaf);
        else entries.set(leaf, e);
      }
      shard.entries = entries;
      shard.corrupt = r.corrupt;
      shard.loaded = true;
      this.trim();
    });
    return shard.loading;
  }

  private markDirty(shard: Shard, leaf: string, e: Entry | null): void {
    if (!shard.flushQueued && !shard.dirty.has(leaf)) this.dirtyCount++;
    shard.dirty.set(leaf, e);
    if (this.dirtyCount > this.maxDirty && this.writable) {
      this.spill();
      return;
    }
    // Each write rewrites the whole shard: waiting for a quarter of it to change keeps the
    // writes of a huge directory linear in its size, not quadratic.
    if (shard.dirty.size >= this.flushEvery && shard.dirty.size >= shard.entries.size >> 2) this.queueFlush(shard);
  }

  private queueFlush(shard: Shard): void {
    if (shard.flushQueued || !this.writable) return;
    shard.flushQueued = true;
    // From here its changes are on their way out: they no longer count as buffered.
    this.dirtyCount -= shard.dirty.size;
    void this.serial(shard.file, () => this.write(shard));
  }

  /** Merges the shard's changes into its file as it is now (another process may have written it). */
  private async write(shard: Shard): Promise<void> {
    shard.flushQueued = false;
    const changes = shard.dirty;
    // Evicted while unwritable: its changes are dropped, and no longer counted.
    if (!this.writable) {
      if (this.held(shard)) this.dirtyCount += changes.size;
      return;
    }
    if (changes.size === 0 && !shard.corrupt) return;
    shard.dirty = new Map();
    const merged = (await readShard(shard.file, shard.prefix)).entries ?? new Map<string, Entry>();
    for (const [leaf, e] of changes) {
      if (e === null) merged.delete(leaf);
      else merged.set(leaf, e);
    }
    try {
      await writeShard(shard.file, shard.prefix, merged, this.made);
      this.stats.writes++;
      shard.corrupt = false;
    } catch (err) {
      // Several shard writes may fail at once: one line says it.
      const first = this.writable;
      this.writable = false;
      if (first) logDebug('metacache', `not writing the metadata cache in ${this.root} for the rest of the run: ${(err as Error).message}`);
      // Keep the changes as an overlay, so a later load of this shard still sees them.
      if (!this.held(shard)) return;
      for (const [leaf, e] of changes) {
        if (shard.dirty.has(leaf)) continue;
        shard.dirty.set(leaf, e);
        this.dirtyCount++;
      }
      return;
    }
    if (shard.loaded) {
      // What other processes wrote is now known too; this run's newer changes stay on top.
      for (const [leaf, e] of shard.dirty) {
        if (e === null) merged.delete(leaf);
        else merged.set(leaf, e);
      }
      shard.entries = merged;
    }
  }

  private held(shard: Shard): boolean {
    return this.shards.get(shard.prefix) === shard;
  }

  /** Runs fn after every earlier operation on the same file. */
  private serial(file: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.io.get(file) ?? Promise.resolve()).then(() => fn().catch(() => {}));
    this.io.set(file, next);
    void next.then(() => {
      if (this.io.get(file) === next) this.io.delete(file);
    });
    return next;
  }
}
