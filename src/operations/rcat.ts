import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Fs, HashType, Obj, SrcInfo, Timestamp } from '../fs/types.js';
import { corrupted, fsError } from '../fs/errors.js';
import { AccountingStream } from '../accounting/stream.js';
import { logDebug, logInfo } from '../lib/log.js';
import { skipDestructiveAsk, type OperationContext } from './context.js';

export interface RcatOptions {
  /** --size: the exact number of bytes coming, or -1 when unknown. */
  size: number;
  /** --streaming-upload-cutoff: input shorter than this is sent as one object of known size. */
  cutoff: number;
  /** The new object's modification time. */
  modTime: Timestamp;
}

/**
 * rclone's rcat: everything `input` holds (standard input) becomes the object `remote` of
 * fdst, replacing one that is there. With a known size the data goes straight to put; else
 * the first `cutoff` bytes are read: input that ends before them is sent as an object of
 * known size, longer input is streamed (putStream: a multipart upload on S3). The object
 * written is checked against the bytes read (their count and a hash) and removed when it
 * differs. Input can't be read twice, so nothing here is retried; a failed or interrupted
 * upload leaves no object (the backends drop what they wrote).
 */
export async function rcat(ctx: OperationContext, fdst: Fs, remote: string, input: Readable, opt: RcatOptions): Promise<Obj | undefined> {
  if (opt.size >= 0) {
    if (await skipDestructiveAsk(ctx, remote, 'upload from pipe')) return discard(input, ctx.signal);
    return upload(ctx, fdst, { remote, size: opt.size, modTime: opt.modTime }, [], input);
  }
  const head = await readHead(input, opt.cutoff, ctx.signal);
  if (head.ended) {
    const data = Buffer.concat(head.chunks);
    logDebug(remote, `Input is small (${data.length} bytes): uploading it whole instead of streaming`);
    if (await skipDestructiveAsk(ctx, remote, 'copy', `(size ${data.length})`)) return undefined;
    const type = hashOf(ctx, fdst);
    const hashes = type ? { [type]: createHash(type).update(data).digest('hex') } : undefined;
    return upload(ctx, fdst, { remote, size: data.length, modTime: opt.modTime, hashes }, [data], undefined);
  }
  if (await skipDestructiveAsk(ctx, remote, 'upload from pipe')) return discard(input, ctx.signal);
  if (!fdst.putStream) {
    throw fsError('notSupported', `${fdst}: this remote can't store input of unknown size: give its size with --size`, { retry: 'noRetry' });
  }
  return upload(ctx, fdst, { remote, size: -1, modTime: opt.modTime }, head.chunks, input);
}

/** The hash to check the object by: the destination's first, unless --ignore-checksum. */
function hashOf(ctx: OperationContext, fdst: Fs): HashType | undefined {
  if (ctx.opt.ignoreChecksum) return undefined;
  return (['md5', 'sha1'] as const).find((t) => fdst.hashes.has(t));
}

/** Sends head then the rest of input (if any) to fdst, counted and hashed on the way, and checks the result. */
async function upload(ctx: OperationContext, fdst: Fs, info: SrcInfo, head: Buffer[], input: Readable | undefined): Promise<Obj> {
  const type = hashOf(ctx, fdst);
  const transfer = ctx.stats.startTransfer(info.remote, info.size);
  const accounted = new AccountingStream({ stats: ctx.stats, transfer, hashes: type ? [type] : [], bwlimit: ctx.bwlimit, maxTransfer: ctx.opt.maxTransfer });
  // The writer sees errors through its reads; this keeps a late one from being uncaught.
  accounted.on('error', () => undefined);
  let read = 0;
  for (const chunk of head) {
    read += chunk.length;
    accounted.write(chunk);
  }
  // With --size the backend must never get that many bytes from input of another length.
  const gate = input && info.size >= 0 ? new ExactLength(info.size) : undefined;
  if (input) {
    input.on('error', (e) => accounted.destroy(e));
    const source = gate ? input.pipe(gate) : input;
    gate?.on('error', (e) => accounted.destroy(e));
    source.on('data', (chunk: Buffer) => (read += chunk.length));
    source.pipe(accounted);
  } else {
    accounted.end();
  }
  let ok = false;
  try {
    let obj: Obj;
    try {
      const options = { signal: ctx.signal, hashes: type ? [type] : [] };
      obj = info.size < 0 ? await fdst.putStream!(accounted, info, options) : await fdst.put(accounted, info, options);
    } catch (err) {
      throw gate?.mismatch ?? err;
    }
    await check(ctx, obj, info, read, type ? accounted.digests()[type] : undefined, type);
    ok = true;
    logInfo(info.remote, 'Copied (new)');
    return obj;
  } finally {
    accounted.destroy();
    ctx.stats.endTransfer(transfer, ok);
  }
}

/**
 * Passes exactly `size` bytes on, or fails. The last byte is held back until the input
 * ends, so input longer than said fails before the backend has all it asked for: a
 * request of that length can't complete and replace what was there with the wrong data.
 */
class ExactLength extends Transform {
  private seen = 0;
  private held: Buffer | undefined;
  mismatch: Error | undefined;

  constructor(private readonly size: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.size) return cb((this.mismatch = sizeMismatch(this.size, this.seen)));
    if (this.seen < this.size || chunk.length === 0) return cb(null, chunk);
    if (chunk.length > 1) this.push(chunk.subarray(0, -1));
    this.held = chunk.subarray(-1);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.size) return cb((this.mismatch = sizeMismatch(this.size, this.seen)));
    cb(null, this.held);
  }
}

/** The object holds what was read (size, and the hash when both sides have it); else it is removed. */
async function check(ctx: OperationContext, obj: Obj, info: SrcInfo, read: number, sum: string | undefined, type: HashType | undefined): Promise<void> {
  let problem: Error | undefined;
  if (obj.size >= 0 && obj.size !== read) {
    problem = fsError('other', `${info.remote}: corrupted on transfer: sizes differ: read ${read} bytes, the object has ${obj.size}`, { retry: 'noRetry' });
  } else if (type && sum) {
    const got = await obj.hash(type, { signal: ctx.signal });
    if (got !== '' && got !== sum) problem = corrupted(info.remote, type, sum, got);
  }
  if (!problem) return;
  await obj.remove({ signal: ctx.signal }).catch(() => undefined);
  throw problem;
}

function sizeMismatch(size: number, read: number): Error {
  const held = read > size ? `more than ${size} bytes` : `${read} bytes`;
  return fsError('other', `standard input held ${held}, not the ${size} given with --size: nothing was stored`, { retry: 'noRetry' });
}

/** The first bytes of input, up to limit (a chunk more at most); ended when input ended before. */
function readHead(input: Readable, limit: number, signal?: AbortSignal): Promise<{ chunks: Buffer[]; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = () => {
      input.off('data', onData).off('end', onEnd).off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes < limit) return;
      // The rest stays in input, paused, for the upload to read.
      input.pause();
      done();
      resolve({ chunks, ended: false });
    };
    const onEnd = () => {
      done();
      resolve({ chunks, ended: true });
    };
    const onError = (err: unknown) => {
      done();
      reject(err);
    };
    const onAbort = () => {
      done();
      reject(signal!.reason instanceof Error ? signal!.reason : fsError('other', 'interrupted', { retry: 'fatal' }));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    input.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

/** --dry-run: the input is read to its end (a writer into a closed pipe would fail) and dropped. */
async function discard(input: Readable, signal?: AbortSignal): Promise<undefined> {
  for await (const _ of input as AsyncIterable<Buffer>) {
    if (signal?.aborted) throw signal.reason;
  }
  return undefined;
}
