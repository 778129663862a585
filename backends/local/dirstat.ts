import { ask } from './worker.js';

/**
 * Lists a directory and lstats every entry on a worker thread (worker.ts), answering with
 * one message of packed arrays. The asynchronous way (one thread-pool hand-off and one
 * BigIntStats object per entry) cost the main thread 10–12 µs and about 2 KiB of garbage
 * per file (bench/RESULTS.md, "Local listings on a worker thread"); here the main thread
 * pays for one message per directory, and the stat objects die young on the worker's heap.
 *
 * Only plain files and directories are answered here. Anything else (a symlink, a name
 * that vanished or could not be stat'ed) is marked, and the caller looks at it the
 * ordinary way, so that errors and options (--links, -L) are handled in one place.
 */

export const GONE = 0;
export const FILE = 1;
export const DIR = 2;
/** A symlink, a device or socket, or an entry whose lstat failed: look again in the caller. */
export const OTHER = 3;

export interface DirStats {
  /** The raw names one after another; name i ends at ends[i]. */
  names: Buffer;
  ends: Uint32Array;
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimes: BigInt64Array;
}

/**
 * dir's entries, or undefined when the worker can't say (it is not available, or the
 * directory could not be read): the caller then lists it the ordinary way, which also
 * gives the error its usual form. Undefined at once, too, when the signal fires first (the
 * caller checks it).
 */
export async function statDir(dir: string, prefix: string, signal?: AbortSignal): Promise<DirStats | undefined> {
  const a = await ask({ op: 'list', dir, prefix }, signal);
  if (a?.names === undefined) return undefined;
  const names = a.names as Uint8Array;
  return { names: Buffer.from(names.buffer, names.byteOffset, names.byteLength), ends: a.ends as Uint32Array, kinds: a.kinds as Uint8Array, sizes: a.sizes as Float64Array, mtimes: a.mtimes as BigInt64Array };
}
