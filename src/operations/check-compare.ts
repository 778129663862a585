import type { Readable } from 'node:stream';
import type { HashType, Obj } from '../fs/types.js';
import { errorMessage, fsError, FsError, isRetryable } from '../fs/errors.js';
import { logDebug, logError } from '../lib/log.js';
import type { OperationContext } from './context.js';
import { withRetries } from './retry.js';

export interface PairResult {
  differ: boolean;
  /** The data could not be compared beyond the size (no hash on one side). */
  noHash: boolean;
}

export interface CompareOptions {
  /** Read both sides and compare the bytes (--download). */
  download: boolean;
  /** The hash both sides have, undefined for none. */
  hashType: HashType | undefined;
}

/**
 * rclone's check of one pair: the sizes first, then (unless --size-only) the common hash
 * or, with --download, the bytes. A difference is logged here; a failure to read or hash
 * is thrown with a message that says which side.
 */
export async function comparePair(ctx: OperationContext, src: Obj, dst: Obj, o: CompareOptions): Promise<PairResult> {
  if (!ctx.opt.ignoreSize && src.size >= 0 && dst.size >= 0 && src.size !== dst.size) {
    logError(src.remote, 'sizes differ');
    return { differ: true, noHash: false };
  }
  if (ctx.opt.sizeOnly) return { differ: false, noHash: false };
  if (o.download) {
    const same = await withRetries(() => sameData(ctx, src, dst), { attempts: Math.max(1, ctx.opt.lowLevelRetries), signal: ctx.signal, what: src.remote });
    if (!same) logError(src.remote, 'contents differ');
    return { differ: !same, noHash: false };
  }
  const type = o.hashType;
  if (type === undefined) return { differ: false, noHash: true };
  const side = async (obj: Obj, name: string) => {
    try {
      return await obj.hash(type, { signal: ctx.signal });
    } catch (err) {
      throw wrap(err, `failed to calculate ${name} hash`);
    }
  };
  const [a, b] = await Promise.all([side(src, 'src'), side(dst, 'dst')]);
  if (a === '' || b === '') {
    logDebug(src.remote, `${type} could not be checked: ${a === '' ? 'src' : 'dst'} hash empty`);
    return { differ: false, noHash: true };
  }
  if (a !== b) {
    logDebug(src.remote, `${type} = ${a} (${src.fs})`);
    logDebug(dst.remote, `${type} = ${b} (${dst.fs})`);
    logError(src.remote, `${type} differ`);
    return { differ: true, noHash: false };
  }
  logDebug(src.remote, `${type} = ${a} OK`);
  return { differ: false, noHash: false };
}

/** Opens both objects and compares what they hold, stopping at the first difference. */
async function sameData(ctx: OperationContext, src: Obj, dst: Obj): Promise<boolean> {
  const opened: Readable[] = [];
  const open = async (obj: Obj) => {
    try {
      const s = await obj.open({ signal: ctx.signal });
      opened.push(s);
      return s;
    } catch (err) {
      throw wrap(err, 'failed to download');
    }
  };
  try {
    const [d, s] = await Promise.all([open(dst), open(src)]);
    return await sameStreams(s, d);
  } finally {
    for (const s of opened) s.destroy();
  }
}

/** An error with what failed in front, keeping the retry class of the original. */
function wrap(err: unknown, what: string): unknown {
  const retry = err instanceof FsError ? err.retry : isRetryable(err) ? 'retryable' : undefined;
  return fsError('other', `${what}: ${errorMessage(err)}`, { cause: err, retry });
}

/** Whether two streams yield the same bytes, however differently they are cut into chunks. */
export async function sameStreams(a: Readable, b: Readable): Promise<boolean> {
  const ia = a[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const ib = b[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let ba: Buffer = Buffer.alloc(0);
  let bb: Buffer = Buffer.alloc(0);
  let endA = false;
  let endB = false;
  const next = async (it: AsyncIterator<Buffer>, name: string): Promise<Buffer | undefined> => {
    try {
      const r = await it.next();
      return r.done ? undefined : Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    } catch (err) {
      throw wrap(err, `failed to download ${name}`);
    }
  };
  for (;;) {
    const [na, nb] = await Promise.all([
      ba.length === 0 && !endA ? next(ia, 'src') : Promise.resolve(ba),
      bb.length === 0 && !endB ? next(ib, 'dst') : Promise.resolve(bb),
    ]);
    if (na === undefined) endA = true;
    else ba = na;
    if (nb === undefined) endB = true;
    else bb = nb;
    const doneA = endA && ba.length === 0;
    const doneB = endB && bb.length === 0;
    if (doneA || doneB) {
      if (doneA && doneB) return true;
      // One side ended: the other must end too, with nothing more than empty chunks.
      if (ba.length > 0 || bb.length > 0) return false;
      continue;
    }
    const n = Math.min(ba.length, bb.length);
    if (n === 0) continue;
    if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
    ba = ba.subarray(n);
    bb = bb.subarray(n);
  }
}
