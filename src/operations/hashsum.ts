import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import pLimit from 'p-limit';
import type { Fs, HashType, Obj } from '../fs/types.js';
import { ALL_HASHES } from '../fs/types.js';
import { errorMessage, fsError } from '../fs/errors.js';
import { hashStream } from '../fs/hash.js';
import { quoteName } from '../lib/escape.js';
import { logDebug, logError } from '../lib/log.js';
import type { OperationContext } from './context.js';
import type { LineSink } from './check-report.js';
import { leaveOut, ownRemotes, type OwnFile } from './check-own-files.js';
import { withRetries } from './retry.js';
import { walkObjects } from './walk-objects.js';

/** Hex digits of each hash. */
const HEX_WIDTH: Record<HashType, number> = { md5: 32, sha1: 40 };
/** Names rclone also accepts, exactly as written. */
const ALIASES: Record<string, HashType> = { MD5: 'md5', 'SHA-1': 'sha1' };
/** Hashes rclone knows that nclone does not compute. */
const RCLONE_ONLY = ['whirlpool', 'crc32', 'sha256', 'dropbox', 'hidrive', 'mailru', 'quickxor'];

/** What `hashsum` with no hash prints: the hashes nclone can compute. */
export function supportedHashesHelp(): string {
  return ['Supported hashes are:', ...ALL_HASHES.map((h) => `  * ${h}`)].join('\n');
}

/** A hash name as rclone takes it: the name in any case, or an alias ("SHA-1"). */
export function parseHashType(name: string): HashType {
  const lower = name.toLowerCase();
  if ((ALL_HASHES as readonly string[]).includes(lower)) return lower as HashType;
  const alias = ALIASES[name];
  if (alias) return alias;
  const known = ALL_HASHES.join(', ');
  if (RCLONE_ONLY.includes(lower)) throw fsError('usage', `hash type "${name}" is not supported by nclone: use one of ${known}`);
  throw fsError('usage', `unknown hash type "${name}": use one of ${known} (nclone hashsum lists them)`);
}

/** The column a hash is right-aligned in: its hex length, or the length of its base64 form. */
export function hashWidth(type: HashType, base64: boolean): number {
  const hex = HEX_WIDTH[type];
  return base64 ? Math.ceil(hex / 2 / 3) * 4 : hex;
}

/** A hex hash as printed: unchanged, or as URL-safe base64 with padding (rclone's --base64). */
export function formatHash(hex: string, base64: boolean): string {
  if (!base64 || hex === '') return hex;
  return Buffer.from(hex, 'hex').toString('base64url').padEnd(Math.ceil(hex.length / 2 / 3) * 4, '=');
}

/** A line of md5sum output: the hash right-aligned (blank when the backend has none), two spaces, the path. */
export function sumLine(type: HashType, base64: boolean, hex: string, name: string): string {
  return `${formatHash(hex, base64).padStart(hashWidth(type, base64))}  ${name}`;
}

export interface HashListOptions {
  type: HashType;
  /** Hash by reading the data instead of asking the backend. */
  download: boolean;
  base64: boolean;
  /** The --output-file, left out when the hashed local tree holds it (it is being written). */
  ownFiles?: readonly OwnFile[];
}

/**
 * rclone's HashLister: one md5sum-style line per object below the path (or for the one
 * file it names), hashed on up to --transfers at once and written in listing order. An
 * object whose hash fails, or that the backend can't give, is logged and counted, with
 * no line; an object the backend has no hash for gets a blank one.
 */
export async function hashList(ctx: OperationContext, fs: Fs, file: string | undefined, o: HashListOptions, sink: LineSink): Promise<void> {
  const limit = pLimit(Math.max(1, ctx.opt.transfers));
  const window: Promise<string | undefined>[] = [];
  const maxWindow = Math.max(1, ctx.opt.transfers) * 2;
  const flushOne = async () => {
    const line = await window.shift()!;
    if (line !== undefined) await sink.write(line);
  };
  const own = ownRemotes(fs, o.ownFiles ?? []);
  const leftOut = new Set<string>();
  const add = async (obj: Obj) => {
    if (leaveOut(own, obj.remote, leftOut)) return;
    window.push(limit(() => lineFor(ctx, obj, o)));
    if (window.length >= maxWindow) await flushOne();
  };
  try {
    if (file !== undefined) {
      const obj = await fs.newObject(file, { signal: ctx.signal });
      const f = ctx.filter;
      if (f.includeObject(obj.remote, obj.size, f.usesModTime ? await obj.modTime({ signal: ctx.signal }) : undefined)) await add(obj);
    } else {
      await walkObjects(ctx, fs, add);
    }
    while (window.length > 0) await flushOne();
    // A stopped run (Ctrl-C) printed only part of the list: it must not end as if complete.
    if (ctx.signal?.aborted) throw ctx.signal.reason;
  } finally {
    // Hashes still running when the listing or the output failed: let them end quietly.
    await Promise.allSettled(window);
  }
}

async function lineFor(ctx: OperationContext, obj: Obj, o: HashListOptions): Promise<string | undefined> {
  try {
    const hex = await objectHash(ctx, obj, o);
    return sumLine(o.type, o.base64, hex, quoteName(obj.remote));
  } catch (err) {
    if (!ctx.signal?.aborted) logError(obj.remote, errorMessage(err));
    ctx.stats.countError(err);
    return undefined;
  } finally {
    ctx.stats.checks++;
  }
}

async function objectHash(ctx: OperationContext, obj: Obj, o: HashListOptions): Promise<string> {
  if (o.download) {
    return withRetries(
      async () => {
        let data: Readable;
        try {
          data = await obj.open({ signal: ctx.signal });
        } catch (err) {
          throw fsError('other', `failed to open file ${obj.remote}: ${errorMessage(err)}`, { cause: err, retry: (err as { retry?: 'retryable' }).retry });
        }
        try {
          return await hashStream(data, o.type);
        } catch (err) {
          throw fsError('other', `failed to copy file to hasher: ${errorMessage(err)}`, { cause: err, retry: (err as { retry?: 'retryable' }).retry });
        } finally {
          data.destroy();
        }
      },
      { attempts: Math.max(1, ctx.opt.lowLevelRetries), signal: ctx.signal, what: obj.remote },
    );
  }
  if (!obj.fs.hashes.has(o.type)) {
    // rclone exits 1 for this: nclone maps usage errors to that code.
    throw fsError('usage', `hash unsupported: ${obj.fs.toString()} has no ${o.type} hashes: use --download to hash the data`);
  }
  try {
    return await obj.hash(o.type, { signal: ctx.signal });
  } catch (err) {
    throw fsError('other', `failed to get hash ${o.type} from backend: ${errorMessage(err)}`, { cause: err, retry: (err as { retry?: 'retryable' }).retry });
  }
}

/** Hashes what comes on standard input into one line with the path "-". */
export async function hashInput(input: Readable, o: { type: HashType; base64: boolean }, sink: LineSink): Promise<void> {
  const h = createHash(o.type);
  let bytes = 0;
  for await (const chunk of input) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  const hex = h.digest('hex');
  logDebug(undefined, `Creating ${o.type} hash of ${bytes} bytes read from input stream`);
  await sink.write(sumLine(o.type, o.base64, hex, '-'));
}
