import type { Entry, Fs } from '../fs/types.js';
import { errorMessage, FsError, isKind } from '../fs/errors.js';
import { logError } from '../lib/log.js';
import { DirLister } from '../list/lister.js';
import type { OperationContext } from './context.js';

export interface WalkOptions {
  /** Directory to start in, '' for the root. */
  dir?: string;
  /** Levels to descend: 1 lists only dir itself, -1 has no limit. */
  maxDepth: number;
}

/**
 * Calls visit with each directory's filtered entries, sorted, depth-first: one directory
 * in memory at a time. A missing start directory is an error; unreadable directories
 * below it are logged and counted and the walk goes on.
 */
export async function walk(ctx: OperationContext, fs: Fs, opts: WalkOptions, visit: (dir: string, entries: Entry[]) => Promise<void>): Promise<void> {
  const lister = new DirLister(fs, {
    fastList: ctx.opt.fastList,
    signal: ctx.signal,
    report: (err, where) => {
      logError(`${fs}${where ? '/' + where : ''}`, errorMessage(err));
      ctx.stats.countError(err);
    },
  });
  const start = opts.dir ?? '';
  const stack: { dir: string; depth: number }[] = [{ dir: start, depth: 1 }];
  while (stack.length > 0) {
    if (ctx.signal?.aborted) return;
    const { dir, depth } = stack.pop()!;
    let entries: Entry[];
    try {
      entries = await lister.listSorted(dir, ctx.filter);
    } catch (err) {
      // A bucket prefix with nothing under it is an empty directory to a listing.
      if (dir === start && err instanceof FsError && err.emptyPrefix) return;
      if (dir === start || !isKind(err, 'dirNotFound')) {
        if (dir === start) throw err;
        logError(dir, errorMessage(err));
        ctx.stats.countError(err);
      }
      continue;
    }
    await visit(dir, entries);
    if (opts.maxDepth >= 0 && depth >= opts.maxDepth) continue;
    const subdirs = entries.filter((e) => e.kind === 'dir');
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push({ dir: subdirs[i]!.remote, depth: depth + 1 });
  }
}
