import type { Readable } from 'node:stream';
import type { Fs, Obj } from '../fs/types.js';
import { errorMessage, isFatal } from '../fs/errors.js';
import { AccountingStream } from '../accounting/stream.js';
import { logError } from '../lib/log.js';
import type { OperationContext } from './context.js';
import { walkObjects } from './walk-objects.js';

/** Which bytes of each file to print. */
export interface CatRange {
  /** First byte; negative counts from the end of each file. */
  offset: number;
  /** Bytes to print from there, -1 for all. */
  count: number;
}

/**
 * Where the bytes go. write() resolves false once the output takes no more (its reader went
 * away, or writing failed: the output keeps why); printing then stops.
 */
export interface CatOutput {
  write(chunk: Buffer): Promise<boolean>;
}

/** The bytes [start, end] of a file of this size, or undefined when the range holds none. */
export function byteRange(size: number, r: CatRange): { start: number; end?: number } | undefined {
  // A negative offset larger than the file starts at its beginning.
  const start = Math.max(0, r.offset < 0 && size >= 0 ? size + r.offset : r.offset);
  if (r.count === 0 || (size >= 0 && start >= size)) return undefined;
  return { start, end: r.count > 0 ? start + r.count - 1 : undefined };
}

/**
 * rclone's cat: the one file `file` of fs, or every file below fs's root in listing order
 * (filters and --max-depth apply), each from its range, one after the other into out. A
 * file that fails is logged and counted and the next one goes on; a fatal error (Ctrl-C,
 * --max-transfer) stops everything. Output that closes early ends the run quietly.
 */
export async function catFiles(ctx: OperationContext, fs: Fs, file: string | undefined, range: CatRange, out: CatOutput): Promise<void> {
  const stop = new AbortController();
  const run: OperationContext = { ...ctx, signal: ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal };
  const one = async (obj: Obj) => {
    if (!(await catOne(run, obj, range, out))) stop.abort();
  };
  if (file !== undefined) {
    const obj = await fs.newObject(file, { signal: run.signal });
    const { filter } = ctx;
    if (filter.includeObject(obj.remote, obj.size, filter.usesModTime ? await obj.modTime({ signal: run.signal }) : undefined)) await one(obj);
    return;
  }
  try {
    await walkObjects(run, fs, one);
  } catch (err) {
    // A listing cut short because the output closed is not an error.
    if (!stop.signal.aborted || ctx.signal?.aborted) throw err;
  }
  if (ctx.signal?.aborted) throw ctx.signal.reason;
}

/**
 * Prints obj's range; false when the output takes no more. A file that can't be opened or
 * read is logged and counted, and the next one goes on; a fatal error (Ctrl-C,
 * --max-transfer) is thrown.
 */
async function catOne(ctx: OperationContext, obj: Obj, r: CatRange, out: CatOutput): Promise<boolean> {
  const range = byteRange(obj.size, r);
  if (!range) return true;
  const size = range.end !== undefined ? range.end - range.start + 1 : obj.size >= 0 ? obj.size - range.start : -1;
  const transfer = ctx.stats.startTransfer(obj.remote, size);
  let ok = false;
  let input: Readable;
  try {
    input = await obj.open({ signal: ctx.signal, ...(range.start > 0 ? { start: range.start } : {}), ...(range.end !== undefined ? { end: range.end } : {}) });
  } catch (err) {
    ctx.stats.endTransfer(transfer, false);
    return failed(ctx, obj, 'Failed to open', err);
  }
  const accounted = new AccountingStream({ stats: ctx.stats, transfer, bwlimit: ctx.bwlimit, maxTransfer: ctx.opt.maxTransfer });
  input.on('error', (e) => accounted.destroy(e));
  accounted.once('close', () => input.destroy());
  input.pipe(accounted);
  // A backend that sends more than the range asked for is cut to it.
  let left = size >= 0 ? size : Infinity;
  try {
    for await (const data of accounted as AsyncIterable<Buffer>) {
      const chunk = data.length > left ? data.subarray(0, left) : data;
      left -= chunk.length;
      if (!(await out.write(chunk))) return false;
      if (left <= 0) break;
    }
    ok = true;
    return true;
  } catch (err) {
    return failed(ctx, obj, 'Failed to read', err);
  } finally {
    accounted.destroy();
    ctx.stats.endTransfer(transfer, ok);
  }
}

function failed(ctx: OperationContext, obj: Obj, what: string, err: unknown): true {
  if (isFatal(err) || ctx.signal?.aborted) throw err;
  logError(obj.remote, `${what}: ${errorMessage(err)}`);
  ctx.stats.countError(err);
  return true;
}
