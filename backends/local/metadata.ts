/**
 * -M on a local disk, as rclone: mode, uid, gid, rdev, atime, mtime and btime from the
 * file's status, and written back (mode without setuid/setgid/sticky bits) on the
 * temporary file before it takes its name, so a failure leaves nothing. Node has no
 * extended-attribute API, so other keys (an S3 object's content-type, user keys) are not
 * stored: docs/metadata.md says so.
 */
import { promises as fsp, fchmod, fchown, futimes } from 'node:fs';
import { formatMetadataTime, parseMetadataTime } from '../../src/fs/metadata.js';
import type { Metadata, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { logDebug } from '../../src/lib/log.js';
import { timeArg } from './times.js';


/** The keys of the local backend's metadata table (index.ts): read, or written back. */
const KNOWN = new Set(['atime', 'btime', 'gid', 'mode', 'mtime', 'rdev', 'uid']);

export async function readLocalMetadata(p: string): Promise<Metadata> {
  const st = await fsp.lstat(p, { bigint: true });
  const out: Metadata = { mode: st.mode.toString(8), uid: String(st.uid), gid: String(st.gid) };
  if (st.rdev !== 0n) out.rdev = st.rdev.toString(16);
  out.atime = formatMetadataTime(st.atimeNs);
  out.mtime = formatMetadataTime(st.mtimeNs);
  if (st.birthtimeNs > 0n) out.btime = formatMetadataTime(st.birthtimeNs);
  return out;
}

const call = <A extends unknown[]>(f: (...args: [...A, (e: NodeJS.ErrnoException | null) => void]) => void, ...args: A) =>
  new Promise<void>((res, rej) => f(...args, (e) => (e ? rej(e) : res())));

function int(meta: Metadata, key: string, radix: number, remote: string): number | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  const n = radix === 8 ? /^[0-7]{1,7}$/.test(v) : /^\d{1,10}$/.test(v);
  if (!n) logDebug(remote, `ignoring metadata ${key} "${v}": not a ${radix === 8 ? 'mode' : 'number'}`);
  return n ? parseInt(v, radix) : undefined;
}

function when(meta: Metadata, key: string, remote: string): Timestamp | undefined {
  const v = meta[key];
  if (v === undefined) return undefined;
  const t = parseMetadataTime(v);
  if (t === undefined) logDebug(remote, `ignoring metadata ${key} "${v}": not an RFC 3339 time`);
  return t;
}

/**
 * Gives the file open at fd its times, and with -M its owner and mode. Resolves with the
 * mtime stored: the metadata's mtime wins over the source's.
 */
export async function applyMetadata(fd: number, src: SrcInfo): Promise<Timestamp> {
  const meta = src.metadata;
  if (!meta) {
    const t = timeArg(src.modTime);
    await call(futimes, fd, t, t);
    return src.modTime;
  }
  const mtime = when(meta, 'mtime', src.remote) ?? src.modTime;
  const atime = when(meta, 'atime', src.remote) ?? mtime;
  await call(futimes, fd, timeArg(atime), timeArg(mtime));
  const uid = int(meta, 'uid', 10, src.remote);
  if (uid !== undefined) await call(fchown, fd, uid, int(meta, 'gid', 10, src.remote) ?? uid);
  const mode = int(meta, 'mode', 8, src.remote);
  if (mode !== undefined) await call(fchmod, fd, mode & 0o777);
  const dropped = Object.keys(meta).filter((k) => !KNOWN.has(k));
  if (dropped.length > 0) logDebug(src.remote, `not stored on a local disk: metadata ${dropped.join(', ')}`);
  return mtime;
}
