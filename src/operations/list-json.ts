import type { Entry, Fs, HashType, Metadata, Obj, Timestamp } from '../fs/types.js';
import { errorMessage, fsError } from '../fs/errors.js';
import { logError } from '../lib/log.js';
import { mimeTypeOf } from '../fs/mime.js';
import type { OperationContext } from './context.js';
import { walk } from './walk.js';

/**
 * rclone's ListJSON, shared by lsjson and lsf: one item per directory and object, built
 * directory by directory as the walk goes (one directory in memory at a time).
 */

export interface ListItem {
  /** Relative to the listed path. */
  path: string;
  name: string;
  /** -1 for directories and unknown sizes. */
  size: number;
  /** '' when not asked for. */
  mimeType: string;
  /** undefined when not asked for (--no-modtime). */
  modTime: Timestamp | undefined;
  isDir: boolean;
  /** The hashes asked for that the object could tell; undefined when none were asked for. */
  hashes: Partial<Record<HashType, string>> | undefined;
  /** The storage class, for objects of backends that have one; '' otherwise. */
  tier: string;
  /** A bucket listed at the root of a bucket-based remote. */
  isBucket: boolean;
  /** -M: the object's metadata, when the backend has some. */
  metadata?: Metadata;
}

export interface ListJsonOptions {
  /** Descend into directories (bounded by --max-depth); without it, --max-depth alone decides (1 when unset). */
  recurse: boolean;
  noModTime: boolean;
  noMimeType: boolean;
  /** Hashes to read for each object; none when undefined. */
  hashTypes?: HashType[];
  dirsOnly: boolean;
  filesOnly: boolean;
  /** -M: read each object's metadata. */
  metadata?: boolean;
}

const HASH_NAMES: Record<string, HashType> = { md5: 'md5', sha1: 'sha1', 'sha-1': 'sha1' };
/** rclone's other hash names: valid there, but no nclone backend has them. */
const OTHER_HASHES = new Set(['crc32', 'sha256', 'whirlpool', 'dropbox', 'dropboxhash', 'hidrive', 'mailru', 'quickxor', 'quickxorhash']);

/** A hash name as rclone spells it (MD5, md5, SHA-1, sha1), for --hash and --hash-type. */
export function parseHashType(flag: string, name: string): HashType {
  const key = name.trim().toLowerCase();
  const type = HASH_NAMES[key];
  if (type) return type;
  if (OTHER_HASHES.has(key)) throw fsError('usage', `${flag} ${name}: nclone's backends have no ${name} hashes: use md5 or sha1`);
  throw fsError('usage', `${flag} ${name}: unknown hash type: use md5 or sha1`);
}

/** The depth rclone lists at: --max-depth, and without recursion 1 when it is unset. */
export function listDepth(ctx: OperationContext, recurse: boolean): number {
  const depth = ctx.opt.maxDepth;
  return !recurse && depth < 0 ? 1 : depth;
}

/**
 * Calls emit with an item for each entry of the path (or for the object `file` names),
 * in walk order: each directory's entries sorted, directories depth first. An entry whose
 * details cannot be read is logged, counted and left out.
 */
export async function listJson(ctx: OperationContext, fs: Fs, file: string | undefined, opts: ListJsonOptions, emit: (item: ListItem) => Promise<void>): Promise<void> {
  const atBucketRoot = fs.features.bucketBased && fs.root === '';
  const build = (e: Entry) => buildItem(ctx, fs, e, opts, atBucketRoot && e.kind === 'dir' && !e.remote.includes('/'));
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: ctx.signal });
    if (opts.dirsOnly || !(await included(ctx, obj))) return;
    const item = await build(obj);
    if (item) await emit(item);
    return;
  }
  await walk(ctx, fs, { maxDepth: listDepth(ctx, opts.recurse) }, async (_dir, entries) => {
    const wanted = entries.filter((e) => (e.kind === 'dir' ? !opts.filesOnly : !opts.dirsOnly));
    await inOrder(wanted, Math.max(1, ctx.opt.checkers), build, async (item) => {
      if (item) await emit(item);
    });
  });
  if (ctx.signal?.aborted) throw ctx.signal.reason;
}

async function included(ctx: OperationContext, obj: Obj): Promise<boolean> {
  const f = ctx.filter;
  return f.includeObject(obj.remote, obj.size, f.usesModTime ? await obj.modTime({ signal: ctx.signal }) : undefined);
}

async function buildItem(ctx: OperationContext, fs: Fs, e: Entry, opts: ListJsonOptions, isBucket: boolean): Promise<ListItem | undefined> {
  const call = { signal: ctx.signal };
  try {
    const item: ListItem = {
      path: e.remote,
      name: e.remote.slice(e.remote.lastIndexOf('/') + 1),
      size: e.kind === 'dir' ? -1 : e.size,
      mimeType: opts.noMimeType ? '' : await mimeTypeOf(e, call),
      modTime: undefined,
      isDir: e.kind === 'dir',
      hashes: undefined,
      tier: '',
      isBucket,
    };
    if (!opts.noModTime) {
      // A directory whose time the backend does not know (a bucket store's prefix) shows now, as in rclone.
      item.modTime = e.kind === 'dir' ? (e.modTime ?? BigInt(Date.now()) * 1_000_000n) : await e.modTime(call);
    }
    if (e.kind === 'object') {
      if (opts.hashTypes) item.hashes = await hashesOf(fs, e, opts.hashTypes, call);
      item.tier = e.tier?.() ?? '';
      if (opts.metadata && e.metadata) item.metadata = await e.metadata(call);
    }
    return item;
  } catch (err) {
    if (ctx.signal?.aborted) return undefined;
    logError(`${fs}/${e.remote}`, `can't read its details: ${errorMessage(err)}`);
    ctx.stats.countError(err);
    return undefined;
  }
}

/** The hashes the object can tell; one it cannot read is logged and left out (as rclone does). */
async function hashesOf(fs: Fs, obj: Obj, types: HashType[], call: { signal?: AbortSignal }): Promise<Partial<Record<HashType, string>>> {
  const out: Partial<Record<HashType, string>> = {};
  for (const t of types) {
    if (!fs.hashes.has(t)) continue;
    try {
      const h = await obj.hash(t, call);
      if (h !== '') out[t] = h;
    } catch (err) {
      if (call.signal?.aborted) throw err;
      logError(`${fs}/${obj.remote}`, `failed to read its ${t} hash: ${errorMessage(err)}`);
    }
  }
  return out;
}

/**
 * Runs fn over items with up to `limit` at once (an S3 object's time or type may cost a
 * request each) and hands the results to each() in the items' order. fn must not throw.
 */
async function inOrder<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>, each: (r: R) => Promise<void>): Promise<void> {
  const pending: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && pending.length < limit) pending.push(fn(items[next++]!));
  };
  fill();
  while (pending.length > 0) {
    const r = await pending.shift()!;
    fill();
    await each(r);
  }
}
