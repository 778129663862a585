import type { Entry, Fs } from '../fs/types.js';
import { isKind } from '../fs/errors.js';
import type { Filter } from '../filter/filter.js';
import { BoundedPool } from '../lib/pool.js';
import { DirLister } from '../list/lister.js';
import { compareEntries } from '../list/order.js';

/**
 * What the march reports. Each returns whether to descend into a directory entry
 * (ignored for objects).
 */
export interface MarchCallbacks {
  srcOnly(entry: Entry): boolean | Promise<boolean>;
  dstOnly(entry: Entry): boolean | Promise<boolean>;
  match(src: Entry, dst: Entry): boolean | Promise<boolean>;
  /** A listing failed; the march goes on with the rest. */
  listError(err: unknown, side: 'src' | 'dst', dir: string): void;
}

export interface MarchOptions {
  fsrc: Fs;
  fdst: Fs;
  /** Directory to start in, '' for the roots. */
  dir?: string;
  checkers: number;
  filter: Filter;
  /** Apply the filter to the destination listing too (false with --delete-excluded). */
  filterDst: boolean;
  fastList: boolean;
  /** Descend at most this many levels (-1 for no limit). */
  maxDepth: number;
  /**
   * --no-traverse: never list the destination; look each source file up in it by name
   * instead (one request per file: cheaper than listing a huge destination for few files).
   */
  noTraverse?: boolean;
  signal?: AbortSignal;
}

interface Job {
  dir: string;
  src: boolean;
  dst: boolean;
  depth: number;
}

/**
 * Walks source and destination together, one directory at a time, and merge-joins the
 * two sorted listings. Memory is bounded by the largest directory, not by the tree:
 * only pending directory names are kept between steps. A missing destination root
 * counts as empty; a missing source root is an error.
 */
export async function march(opts: MarchOptions, cb: MarchCallbacks): Promise<void> {
  const srcLister = new DirLister(opts.fsrc, { fastList: opts.fastList, signal: opts.signal, report: (err, dir) => cb.listError(err, 'src', dir) });
  const dstLister = new DirLister(opts.fdst, { fastList: opts.fastList, signal: opts.signal, report: (err, dir) => cb.listError(err, 'dst', dir) });
  const stack: Job[] = [{ dir: opts.dir ?? '', src: true, dst: true, depth: 1 }];
  let firstErr: unknown;
  const pool = new BoundedPool(opts.checkers, (err) => (firstErr ??= err), 0);
  let active = 0;
  let wake: (() => void) | undefined;

  /** The sorted, filtered listing, or undefined when it failed (already reported). */
  const listSide = async (lister: DirLister, side: 'src' | 'dst', job: Job): Promise<Entry[] | undefined> => {
    try {
      return await lister.listSorted(job.dir, side === 'dst' && !opts.filterDst ? undefined : opts.filter);
    } catch (err) {
      if (side === 'dst' && isKind(err, 'dirNotFound')) return [];
      if (side === 'src' && job.dir === (opts.dir ?? '') && isKind(err, 'dirNotFound')) throw err;
      cb.listError(err, side, job.dir);
      return undefined;
    }
  };

  /**
   * --no-traverse: the destination objects of the source objects' names, in the source's
   * order. A lookup that fails for another reason than "not found" is reported and its
   * source entry dropped from src, so that an unknown destination never looks absent.
   */
  const lookUp = async (src: Entry[]): Promise<Entry[]> => {
    const found: (Entry | undefined)[] = new Array(src.length);
    const failed = new Set<Entry>();
    const lookups = new BoundedPool(opts.checkers, () => undefined, 0);
    for (let k = 0; k < src.length; k++) {
      const e = src[k]!;
      if (e.kind !== 'object') continue;
      await lookups.submit(async () => {
        try {
          found[k] = await opts.fdst.newObject(e.remote, { signal: opts.signal });
        } catch (err) {
          if (isKind(err, 'objectNotFound') || isKind(err, 'dirNotFound')) return;
          failed.add(e);
          cb.listError(err, 'dst', e.remote);
        }
      });
    }
    await lookups.drain();
    if (failed.size > 0) src.splice(0, src.length, ...src.filter((e) => !failed.has(e)));
    return found.filter((e): e is Entry => e !== undefined);
  };

  const process = async (job: Job): Promise<void> => {
    const [src, listed] = await Promise.all([
      job.src ? listSide(srcLister, 'src', job) : Promise.resolve([]),
      job.dst && !opts.noTraverse ? listSide(dstLister, 'dst', job) : Promise.resolve([]),
    ]);
    // A side that could not be listed is not "empty": treating it so would make every
    // entry of the other side look new (copied over unchecked, bypassing --backup-dir)
    // or surplus (deleted). Skip the directory, as rclone does; the error is counted.
    if (src === undefined || listed === undefined) return;
    const dst = opts.noTraverse ? await lookUp(src) : listed;
    const descend = (dir: string, s: boolean, d: boolean) => {
      if (opts.maxDepth >= 0 && job.depth >= opts.maxDepth) return;
      stack.push({ dir, src: s, dst: d, depth: job.depth + 1 });
      wake?.();
    };
    let i = 0;
    let j = 0;
    while (i < src.length || j < dst.length) {
      if (opts.signal?.aborted) return;
      const c = i < src.length && j < dst.length ? compareEntries(src[i]!, dst[j]!) : i < src.length ? -1 : 1;
      // A callback that has nothing to wait for answers at once: no await (and no promise)
      // per entry.
      if (c < 0) {
        const e = src[i++]!;
        let go = cb.srcOnly(e);
        if (typeof go !== 'boolean') go = await go;
        if (go && e.kind === 'dir') descend(e.remote, true, false);
      } else if (c > 0) {
        const e = dst[j++]!;
        let go = cb.dstOnly(e);
        if (typeof go !== 'boolean') go = await go;
        if (go && e.kind === 'dir') descend(e.remote, false, true);
      } else {
        const s = src[i++]!;
        const d = dst[j++]!;
        let go = cb.match(s, d);
        if (typeof go !== 'boolean') go = await go;
        if (go && s.kind === 'dir') descend(s.remote, true, true);
      }
    }
  };

  // Depth-first with up to `checkers` directories in flight.
  while (!opts.signal?.aborted) {
    const job = stack.pop();
    if (job) {
      active++;
      await pool.submit(async () => {
        try {
          await process(job);
        } finally {
          active--;
          wake?.();
        }
      });
      continue;
    }
    if (active === 0) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  await pool.drain();
  if (firstErr !== undefined) throw firstErr;
}
