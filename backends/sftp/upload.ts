import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { corrupted, fsError } from '../../src/fs/errors.js';
import { logError, logNotice } from '../../src/lib/log.js';
import { parentPath, tempName } from './names.js';
import type { HashType, SrcInfo, Timestamp } from '../../src/fs/types.js';
import type { SftpOptions } from './config.js';
import type { Connection } from './connect.js';
import { abortError, sftpStatus, STATUS } from './errors.js';
import * as op from './ops.js';

export interface Written {
  bytes: number;
  hashes: Partial<Record<HashType, string>>;
  /** The server refused to set the time (the data is complete): said after the rename. */
  timesRefused?: unknown;
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
    handle = await op.open(c, tmp, 'wx');
    const depth = opt.concurrentWrites ? opt.concurrency : 1;
    const pending = new Set<Promise<void>>();
    let failed: unknown;
    let pos = 0;
    for await (const chunk of data as AsyncIterable<Buffer>) {
      for (const h of hashers.values()) h.update(chunk);
      for (let off = 0; off < chunk.length; off += opt.chunkSize) {
        const piece = chunk.subarray(off, off + opt.chunkSize);
        const w = op.write(c, handle, piece, pos).then(
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
    // What the server stored, not what was sent: a server that acknowledged writes it did
    // not keep is caught here. (One that can't fstat is taken at its word.)
    const stored = await op.fstat(c, handle).catch((err: unknown) => {
      if (sftpStatus(err) === STATUS.OP_UNSUPPORTED) return undefined;
      throw err;
    });
    if (stored && typeof stored.size === 'number' && stored.size !== pos) {
      throw fsError('other', `${src.remote}: corrupted on transfer: sent ${pos} bytes, the server stored ${stored.size}`, { retry: 'retryable' });
    }
    const h = handle;
    handle = undefined;
    await op.close(c, h);
    let timesRefused: unknown;
    if (opt.setModtime) {
      await op.setstat(c, tmp, clampedTimes(src)).catch((err: unknown) => {
        const status = sftpStatus(err);
        if (status !== STATUS.PERMISSION_DENIED && status !== STATUS.OP_UNSUPPORTED) throw err;
        timesRefused = err;
      });
    }
    return { bytes: pos, hashes: Object.fromEntries(want.map((t) => [t, sums[t]!])), timesRefused };
  } catch (err) {
    if (handle && !c.dead) await op.close(c, handle).catch(() => undefined);
    if (!c.dead) await op.unlink(c, tmp).catch(() => undefined);
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
 * plain rename, which SFTP v3 refuses over an existing file. Then the old file is first
 * renamed aside (to a temporary name, hidden from listings), tmp takes the name, and only
 * then the old one is removed: if the second rename fails the old file is put back, so at
 * no point is neither version on the server under a name.
 */
export async function renameInto(c: Connection, tmp: string, target: string): Promise<void> {
  if (c.posixRename) return op.posixRename(c, tmp, target);
  try {
    await op.rename(c, tmp, target);
    return;
  } catch (err) {
    if (sftpStatus(err) !== STATUS.FAILURE) throw err;
    // Only a regular file in the way is replaced (a directory is the caller's error to report).
    const st = await op.lstat(c, target).catch(() => undefined);
    if (!st || (st.mode & 0o170000) !== 0o100000) throw err;
  }
  const aside = `${parentPath(target)}/${tempName()}`;
  await op.rename(c, target, aside);
  try {
    await op.rename(c, tmp, target);
  } catch (err) {
    await op.rename(c, aside, target).catch(() => {
      logError(target, `the new version could not take the name and the old one could not be put back: it is kept as ${aside}`);
    });
    throw err;
  }
  // Left behind (a broken connection), it is a temporary file: hidden, and swept by cleanup.
  await op.unlink(c, aside).catch(() => undefined);
}
