import type { Readable } from 'node:stream';
import type { Fs, Obj, SrcInfo } from '../fs/types.js';
import { corrupted, fsError, isKind } from '../fs/errors.js';
import { AccountingStream } from '../accounting/stream.js';
import { withRetries } from './retry.js';
import { logDebug, logInfo } from '../lib/log.js';
import { skipDestructive, type OperationContext } from './context.js';
import { commonHash } from './needTransfer.js';
import { moveToBackup } from './backup.js';

/** Both Fs are the same configured remote, so the backend can copy or move between them itself. */
export function sameRemote(a: Fs, b: Fs): boolean {
  return a.constructor === b.constructor && a.name === b.name;
}

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
  if (dst && ctx.backupFs) {
    await moveToBackup(ctx, dst);
    dst = undefined;
  }
  const call = { signal: ctx.signal };
  const modTime = await src.modTime(call);
  if (fdst.copy && sameRemote(src.fs, fdst)) {
    try {
      const obj = await withRetries(() => fdst.copy!(src, remote, call), { attempts: ctx.opt.lowLevelRetries, signal: ctx.signal, what: remote });
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
    const obj = await withRetries(() => streamCopy(ctx, fdst, dst, { remote, size: src.size, modTime, hash: (t) => src.hash(t, call), origin: originOf(src) }, src, transfer), {
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

async function streamCopy(
  ctx: OperationContext,
  fdst: Fs,
  dst: Obj | undefined,
  info: SrcInfo,
  src: Obj,
  transfer: ReturnType<OperationContext['stats']['startTransfer']>,
): Promise<Obj> {
  const hashType = ctx.opt.ignoreChecksum ? undefined : commonHash(src.fs, fdst);
  const input = await src.open({ signal: ctx.signal });
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
  const accounted = new AccountingStream({ stats: ctx.stats, transfer, bwlimit: ctx.bwlimit, maxTransfer: ctx.opt.maxTransfer, hashes: hashType ? [hashType] : [] });
  // A source error reaches the writer (which removes its partial output), and a writer
  // that stops reading closes the source.
  input.on('error', (e) => accounted.destroy(e));
  accounted.once('close', () => input.destroy());
  // The writer sees errors through its reads; this keeps one raised after it stopped
  // reading from becoming an uncaught exception.
  accounted.on('error', () => undefined);
  input.pipe(accounted);
  const data: Readable = accounted;
  const putOptions = { signal: ctx.signal, hashes: hashType ? [hashType] : [] };
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
    const srcSum = declared || (accounted.digests()[hashType] ?? '');
    const dstSum = await obj.hash(hashType, { signal: ctx.signal });
    if (srcSum !== '' && dstSum !== '' && srcSum !== dstSum) {
      await obj.remove({ signal: ctx.signal }).catch(() => undefined);
      throw corrupted(info.remote, hashType, srcSum, dstSum);
    }
  }
  return obj;
}

/** Where an object's data comes from, e.g. "/home/me/dir/file" or "s3:bucket/key". */
function originOf(src: Obj): string {
  const base = src.fs.toString();
  return base.endsWith('/') || base.endsWith(':') ? base + src.remote : `${base}/${src.remote}`;
}
