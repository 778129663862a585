import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { Fs, HashType, Metadata, Obj, SrcInfo } from '../fs/types.js';
import { corrupted, fsError, isKind } from '../fs/errors.js';
import { AccountingStream } from '../accounting/stream.js';
import { withRetries } from './retry.js';
import { logDebug, logInfo } from '../lib/log.js';
import { skipDestructive, type OperationContext } from './context.js';
import { commonHash } from './needTransfer.js';
import { moveToBackup } from './backup.js';
import { sameRemote } from './move-paths.js';
import { hashParts } from '../fs/hash.js';

// Kept exported here for the callers that knew it from this file.
export { sameRemote };

/**
 * Copies src to remote on fdst, replacing dst if given: server-side when the backend can,
 * else streamed with accounting, --bwlimit, size and hash verification and low-level retries.
 * Returns the new object, or undefined under --dry-run.
 */
export async function copyObject(ctx: OperationContext, fdst: Fs, dst: Obj | undefined, remote: string, src: Obj): Promise<Obj | undefined> {
  if (skipDestructive(ctx, remote, 'copy', `(size ${src.size})`)) {
    // Counted as if sent, so a trial run's summary shows what the real one would move.
    ctx.stats.bytes += Math.max(0, src.size);
    return undefined;
  }
  checkMaxTransfer(ctx, src);
  if (dst && ctx.backupFs) {
    await moveToBackup(ctx, dst);
    dst = undefined;
  }
  const call = { signal: ctx.signal };
  if (fdst.copy && sameRemote(src.fs, fdst)) {
    try {
      // A server-side copy keeps the source's metadata as it is; --metadata-set changes it.
      const amended = async () => (ctx.opt.metadata && Object.keys(ctx.opt.metadataSet).length > 0 ? await sourceMetadata(ctx, src) : undefined);
      const obj = await withRetries(async () => fdst.copy!(src, remote, { ...call, metadata: await amended() }), { attempts: ctx.opt.lowLevelRetries, signal: ctx.signal, what: remote });
      ctx.stats.serverSideCopies++;
      ctx.stats.serverSideCopyBytes += Math.max(0, src.size);
      // Counted as transferred too, as rclone does, so the summary reaches 100%.
      ctx.stats.bytes += Math.max(0, src.size);
      ctx.stats.transfers++;
      logInfo(remote, dst ? 'Copied (server-side copy, replaced existing)' : 'Copied (server-side copy)');
      return obj;
    } catch (err) {
      if (!isKind(err, 'cantCopy')) throw err;
      logDebug(remote, "Can't copy server-side, streaming instead");
    }
  }
  const transfer = ctx.stats.startTransfer(remote, src.size);
  let ok = false;
  try {
    // The time is asked once the source is open: a GET's answer carries it (S3), a HEAD less.
    const info: SrcInfo = { remote, size: src.size, modTime: 0n, hash: (t) => src.hash(t, call), origin: originOf(src) };
    if (ctx.opt.metadata) info.metadata = await sourceMetadata(ctx, src);
    const copy = useStreams(ctx, fdst, src) ? () => multiStreamCopy(ctx, fdst, info, src, transfer) : () => streamCopy(ctx, fdst, dst, info, src, transfer);
    const obj = await withRetries(copy, {
      attempts: ctx.opt.lowLevelRetries,
      signal: ctx.signal,
      what: remote,
    });
    ok = true;
    logInfo(remote, dst ? 'Copied (replaced existing)' : 'Copied (new)');
    return obj;
  } finally {
    ctx.stats.endTransfer(transfer, ok);
  }
}

/** -M: what the source knows of itself, with --metadata-set on top. */
async function sourceMetadata(ctx: OperationContext, src: Obj): Promise<Metadata> {
  const own = src.metadata ? await src.metadata({ signal: ctx.signal }) : {};
  return { ...own, ...ctx.opt.metadataSet };
}

/** --max-transfer cuts a stream in the middle only with the hard cutoff. */
function streamLimit(ctx: OperationContext): number {
  return ctx.opt.cutoffMode === 'hard' ? ctx.opt.maxTransfer : -1;
}

/**
 * --max-transfer before a copy starts, as rclone checks it: once the bytes sent reach the
 * limit nothing more starts; with --cutoff-mode cautious, nothing starts that could take
 * the bytes sent, those still to come from the transfers under way, and this file's past
 * it. The hard cutoff's error is fatal; the others let the transfers under way finish.
 */
function checkMaxTransfer(ctx: OperationContext, src: Obj): void {
  const limit = ctx.opt.maxTransfer;
  if (limit < 0) return;
  const mode = ctx.opt.cutoffMode;
  let bytes = ctx.stats.bytes;
  if (mode === 'cautious') {
    for (const t of ctx.stats.transferring.values()) bytes += Math.max(0, t.size - t.bytes);
    bytes += Math.max(0, src.size);
  }
  if (bytes < limit) return;
  throw fsError('maxTransferReached', 'max transfer limit reached as set by --max-transfer', { retry: mode === 'hard' ? 'fatal' : 'noRetry' });
}

async function streamCopy(
  ctx: OperationContext,
  fdst: Fs,
  dst: Obj | undefined,
  info: SrcInfo,
  src: Obj,
  transfer: ReturnType<OperationContext['stats']['startTransfer']>,
): Promise<Obj> {
  const hashType = ctx.opt.ignoreChecksum ? undefined : commonHash(src.fs, fdst);
  const putOptions = { signal: ctx.signal, hashes: hashType ? [hashType] : [] };
  // A backend that reads this source itself copies it without a stream (a small local file
  // into a local Fs: one request to its worker thread instead of two). Not for what the
  // stream does besides (--bwlimit, a hard --max-transfer that cuts a file short). It
  // replaces dst as put does; dst itself is not refreshed, as update() would: the caller
  // has the object returned.
  if (fdst.putFrom && !ctx.bwlimit && streamLimit(ctx) < 0) {
    // Not given the time: asking it of a source putFrom does not take could cost a request (S3).
    const direct = await fdst.putFrom(src, info, putOptions);
    if (direct) {
      ctx.stats.addBytes(transfer, Math.max(0, direct.size));
      return direct;
    }
  }
  const input = await src.open({ signal: ctx.signal });
  try {
    info = { ...info, modTime: await src.modTime({ signal: ctx.signal }) };
    // Its stored type, which the answer to open told (S3): rclone carries it even without -M.
    if (src.mimeType && !src.fs.features.isLocal) info.mimeType = (await src.mimeType({ signal: ctx.signal })) || undefined;
  } catch (err) {
    input.destroy();
    throw err;
  }
  // What the source says its content is (S3: the ETag or the stored MD5), asked before the
  // data flows so the destination can check it before the file takes its real name, and
  // after open, whose answer may tell that the ETag is no MD5 (a bucket encrypting with
  // KMS by default). A source that would have to read everything to say (local disk) is
  // hashed as it is read instead.
  let declared = '';
  try {
    declared = hashType && !src.fs.features.slowHash ? await src.hash(hashType, { signal: ctx.signal }) : '';
  } catch (err) {
    input.destroy();
    throw err;
  }
  if (hashType && declared !== '') info = { ...info, hashes: { [hashType]: declared } };
  // A source that must read itself for its hash can be read ahead by the writer for the
  // whole hash and each part's (S3 multipart): the writer then has the server check every
  // part against that read, and the data need not be hashed again on its way.
  let readAhead: { type: HashType; whole: string } | undefined;
  if (src.fs.features.slowHash) {
    info = {
      ...info,
      hashParts: async (type, partSize) => {
        const r = src.hashParts ? await src.hashParts(type, partSize, { signal: ctx.signal }) : await hashParts(src, type, partSize, ctx.signal);
        readAhead = { type, whole: r.whole };
        return r;
      },
      hash: (type) => (readAhead?.type === type ? Promise.resolve(readAhead.whole) : src.hash(type, { signal: ctx.signal })),
    };
  }
  const hasher = hashType && declared === '' ? createHash(hashType) : undefined;
  const accounted = new AccountingStream({ stats: ctx.stats, transfer, bwlimit: ctx.bwlimit, maxTransfer: streamLimit(ctx) });
  // A source error reaches the writer (which removes its partial output), and a writer
  // that stops reading closes the source.
  input.on('error', (e) => accounted.destroy(e));
  accounted.once('close', () => input.destroy());
  // Hashed as it flows unless the writer read it ahead (a few chunks may pass before it
  // asks: that digest is then not used).
  if (hasher) input.on('data', (chunk: Buffer) => void (readAhead?.type !== hashType && hasher.update(chunk)));
  // The writer sees errors through its reads; this keeps one raised after it stopped
  // reading from becoming an uncaught exception.
  accounted.on('error', () => undefined);
  input.pipe(accounted);
  const data: Readable = accounted;
  let obj: Obj;
  try {
    if (dst) {
      await dst.update(data, info, putOptions);
      obj = dst;
    } else if (info.size < 0 && fdst.putStream) {
      obj = await fdst.putStream(data, info, putOptions);
    } else {
      obj = await fdst.put(data, info, putOptions);
    }
  } catch (err) {
    // A writer that fails before reading everything leaves the source open (a file
    // handle, a connection) for every attempt; destroying the tail closes the pipeline.
    accounted.destroy();
    throw err;
  }
  if (info.size >= 0 && obj.size >= 0 && obj.size !== info.size) {
    await obj.remove({ signal: ctx.signal }).catch(() => undefined);
    throw fsError('other', `${info.remote}: corrupted on transfer: sizes differ ${info.size} vs ${obj.size}`, { retry: 'retryable' });
  }
  if (hashType) {
    const srcSum = declared || (readAhead?.type === hashType ? readAhead.whole : (hasher?.digest('hex') ?? ''));
    const dstSum = await obj.hash(hashType, { signal: ctx.signal });
    if (srcSum !== '' && dstSum !== '' && srcSum !== dstSum) {
      await obj.remove({ signal: ctx.signal }).catch(() => undefined);
      throw corrupted(info.remote, hashType, srcSum, dstSum);
    }
  }
  return obj;
}

/**
 * Whether to download src with several ranged streams written at offsets (rclone's
 * multi-thread copy): into an Fs that can write so, from a remote source (a local file
 * gains nothing from being read in pieces), at least --multi-thread-cutoff bytes.
 */
function useStreams(ctx: OperationContext, fdst: Fs, src: Obj): boolean {
  return ctx.opt.multiThreadStreams > 1 && fdst.openWriterAt !== undefined && !src.fs.features.isLocal && src.size > 0 && src.size >= ctx.opt.multiThreadCutoff;
}

/** Each stream's data is written in pieces of this size (fewer, larger writes). */
const WRITE_PIECE = 1024 * 1024;

/**
 * Copies src with --multi-thread-streams ranged reads, each written at its offset into one
 * object opened with openWriterAt. The writer checks the size and the source's hash before
 * the object takes its name; any failure (a stream, the check, Ctrl-C) stops every stream,
 * waits for them and drops what was written, and the whole file is tried again.
 */
async function multiStreamCopy(ctx: OperationContext, fdst: Fs, info: SrcInfo, src: Obj, transfer: ReturnType<OperationContext['stats']['startTransfer']>): Promise<Obj> {
  const hashType = ctx.opt.ignoreChecksum ? undefined : commonHash(src.fs, fdst);
  const declared = hashType ? await src.hash(hashType, { signal: ctx.signal }) : '';
  info = { ...info, modTime: await src.modTime({ signal: ctx.signal }) };
  const writer = await fdst.openWriterAt!({ ...info, hashes: hashType && declared !== '' ? { [hashType]: declared } : undefined }, { signal: ctx.signal });
  const stop = new AbortController();
  const signal = ctx.signal ? AbortSignal.any([ctx.signal, stop.signal]) : stop.signal;
  const size = src.size;
  const streams = Math.min(ctx.opt.multiThreadStreams, Math.ceil(size / WRITE_PIECE));
  // Sections on piece boundaries, the last one taking the rest.
  const section = Math.ceil(size / streams / WRITE_PIECE) * WRITE_PIECE;
  const one = async (start: number, end: number): Promise<void> => {
    const input = await src.open({ start, end: end - 1, signal });
    const accounted = new AccountingStream({ stats: ctx.stats, transfer, bwlimit: ctx.bwlimit, maxTransfer: streamLimit(ctx) });
    input.on('error', (e) => accounted.destroy(e));
    accounted.once('close', () => input.destroy());
    input.pipe(accounted);
    const piece = Buffer.allocUnsafe(Math.min(WRITE_PIECE, end - start));
    let filled = 0;
    let pos = start;
    try {
      for await (const chunk of accounted as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; ) {
          if (pos + filled + (chunk.length - off) > end) throw fsError('other', `${info.remote}: corrupted on transfer: the range ${start}-${end - 1} gave more bytes than asked`, { retry: 'retryable' });
          const n = chunk.copy(piece, filled, off);
          off += n;
          filled += n;
          if (filled === piece.length) {
            await writer.writeAt(piece, pos);
            pos += filled;
            filled = 0;
          }
        }
      }
      if (filled > 0) await writer.writeAt(piece.subarray(0, filled), pos);
      pos += filled;
      if (pos !== end) throw fsError('other', `${info.remote}: corrupted on transfer: the range ${start}-${end - 1} ended after ${pos - start} bytes`, { retry: 'retryable' });
    } finally {
      accounted.destroy();
    }
  };
  const jobs: Promise<void>[] = [];
  for (let start = 0; start < size; start += section) {
    jobs.push(
      one(start, Math.min(size, start + section)).catch((err: unknown) => {
        stop.abort(err);
        throw err;
      }),
    );
  }
  logDebug(info.remote, `downloading with ${jobs.length} streams`);
  // Every stream has ended before the writer is dropped or committed.
  const settled = await Promise.allSettled(jobs);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || ctx.signal?.aborted) {
    await writer.abort();
    if (ctx.signal?.aborted && ctx.signal.reason instanceof Error) throw ctx.signal.reason;
    throw failed!.reason;
  }
  return writer.commit();
}

/** Where an object's data comes from, e.g. "/home/me/dir/file" or "s3:bucket/key". */
function originOf(src: Obj): string {
  const base = src.fs.toString();
  return base.endsWith('/') || base.endsWith(':') ? base + src.remote : `${base}/${src.remote}`;
}
