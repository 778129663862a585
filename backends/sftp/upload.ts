import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { corrupted, fsError } from '../../src/fs/errors.js';
import { logNotice } from '../../src/lib/log.js';
import type { HashType, SrcInfo, Timestamp } from '../../src/fs/types.js';
import type { SftpOptions } from './config.js';
import type { Connection } from './connect.js';
import { abortError, sftpStatus, STATUS } from './errors.js';
import * as op from './ops.js';

export interface Written {
  bytes: number;
  hashes: Partial<Record<HashType, string>>;
}

/**
 * Writes data to tmp (a fresh name: it must not exist) with up to `concurrency` writes of
 * at most chunk_size bytes in flight, checks the byte count and the hashes the source
 * declared, and sets the modification time. On any failure the temporary file is removed.
 */
export async function writeTemp(c: Connection, tmp: string, data: Readable, src: SrcInfo, opt: SftpOptions, want: HashType[], signal?: AbortSignal): Promise<Written> {
  const declared = Object.entries(src.hashes ?? {}).filter(([, v]) => !!v) as [HashType, string][];
  const hashers = new Map<HashType, Hash>([...want, ...declared.map(([t]) => t)].map((t) => [t, createHash(t)]));
  const onAbort = () => data.destroy(signal?.reason instanceof Error ? signal.reason : new Error('interrupted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  let handle: Buffer | undefined;
  try {
    if (signal?.aborted) onAbort();
    handle = await op.open(c.sftp, tmp, 'wx');
    const depth = opt.concurrentWrites ? opt.concurrency : 1;
    const pending = new Set<Promise<void>>();
    let failed: unknown;
    let pos = 0;
    for await (const chunk of data as AsyncIterable<Buffer>) {
      for (const h of hashers.values()) h.update(chunk);
      for (let off = 0; off < chunk.length; off += opt.chunkSize) {
        const piece = chunk.subarray(off, off + opt.chunkSize);
        const w = op.write(c.sftp, handle, piece, pos).then(
          () => void pending.delete(w),
          (err) => {
            failed ??= err;
            pending.delete(w);
          },
        );
        pending.add(w);
        pos += piece.length;
        if (pending.size >= depth) await Promise.race(pending);
        if (failed) throw failed;
      }
    }
    await Promise.all(pending);
    if (failed) throw failed;
    if (src.size >= 0 && pos !== src.size) {
      throw fsError('other', `${src.remote}: corrupted on transfer: expected ${src.size} bytes, got ${pos}`, { retry: 'retryable' });
    }
    const sums = Object.fromEntries([...hashers].map(([t, h]) => [t, h.digest('hex')])) as Partial<Record<HashType, string>>;
    for (const [type, v] of declared) if (sums[type] !== v.toLowerCase()) throw corrupted(src.remote, type, v, sums[type]!);
    const h = handle;
    handle = undefined;
    await op.close(c.sftp, h);
    if (opt.setModtime) await op.setstat(c.sftp, tmp, clampedTimes(src));
    return { bytes: pos, hashes: Object.fromEntries(want.map((t) => [t, sums[t]!])) };
  } catch (err) {
    if (handle) await op.close(c.sftp, handle).catch(() => undefined);
    if (!c.dead) await op.unlink(c.sftp, tmp).catch(() => undefined);
    if (signal?.aborted) throw abortError(signal);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** SFTP v3 times: whole seconds, unsigned 32 bits (1970 to 2106). */
const MAX_SECONDS = 0xffffffff;

function seconds(t: Timestamp): number {
  return Number(t < 0n ? (t - 999_999_999n) / 1_000_000_000n : t / 1_000_000_000n);
}

/** For setModTime: a time SFTP can't carry is refused (notSupported), never stored wrapped. */
export function timesAttrs(t: Timestamp): { atime: number; mtime: number } {
  const s = seconds(t);
  if (s < 0 || s > MAX_SECONDS) throw fsError('notSupported', `modification time ${new Date(s * 1000).toISOString()} is outside what SFTP can store (1970 to 2106)`, { retry: 'noRetry' });
  return { atime: s, mtime: s };
}

/** The time an upload gets: out of SFTP's range, the nearest it can store, so the data still arrives. */
export function storedSeconds(t: Timestamp): number {
  return Math.min(MAX_SECONDS, Math.max(0, seconds(t)));
}

function clampedTimes(src: SrcInfo): { atime: number; mtime: number } {
  const s = storedSeconds(src.modTime);
  if (s !== seconds(src.modTime)) logNotice(src.remote, `modification time ${new Date(seconds(src.modTime) * 1000).toISOString()} is outside what SFTP can store (1970 to 2106): stored as ${new Date(s * 1000).toISOString()}`);
  return { atime: s, mtime: s };
}

/**
 * Moves tmp over target: POSIX rename (atomic, replaces) when the server offers it, else a
 * plain rename, which SFTP v3 refuses over an existing file: that is removed first.
 */
export async function renameInto(c: Connection, tmp: string, target: string): Promise<void> {
  if (c.posixRename) return op.posixRename(c.sftp, tmp, target);
  try {
    await op.rename(c.sftp, tmp, target);
  } catch (err) {
    if (sftpStatus(err) !== STATUS.FAILURE) throw err;
    await op.unlink(c.sftp, target);
    await op.rename(c.sftp, tmp, target);
  }
}
