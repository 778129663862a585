import type { Fs } from '../fs/types.js';
import { errorMessage, fsError, FsError, isKind } from '../fs/errors.js';
import { logError, logInfo } from '../lib/log.js';
import { DirLister } from '../list/lister.js';
import { skipDestructive, skipDestructiveAsk, type OperationContext } from './context.js';
import { failedError, stopReason } from './delete.js';

export interface RmdirsOptions {
  /** Keep the root directory even when it ends up empty (--leave-root, delete --rmdirs). */
  leaveRoot: boolean;
}

/** What the listing found in one directory. */
interface Listed {
  dirs: string[];
  hasObjects: boolean;
}

/**
 * rmdirs: removes every directory below fs's root that holds nothing but directories that
 * are removed too, deepest first, then the root unless leaveRoot. A directory counts as
 * empty only when its whole listing shows no object, excluded ones included (so filters
 * never make rmdir fail on a directory that still holds files); the filters and
 * --max-depth choose which empty directories may go. A directory that could not be
 * listed, or is beyond --max-depth, is kept, and so are its parents.
 */
export async function removeEmptyDirs(ctx: OperationContext, fs: Fs, opts: RmdirsOptions): Promise<void> {
  const before = ctx.stats.errors;
  const listed = await listDirs(ctx, fs);
  const order = [...listed.keys()].sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : -1));
  /** Directories removed, or that a --dry-run would have removed. */
  const gone = new Set<string>();
  let failed = 0;
  for (const dir of order) {
    if (ctx.signal?.aborted) throw stopReason(ctx.signal);
    const l = listed.get(dir)!;
    if (l === 'vanished') {
      gone.add(dir);
      continue;
    }
    if (l.hasObjects || !l.dirs.every((d) => gone.has(d))) continue;
    if (dir === '' ? opts.leaveRoot : !ctx.filter.includeDirectory(dir)) continue;
    const subject = dir === '' ? fs.toString() : dir;
    // A trial run counts the directory as gone, so that its parents are shown too.
    if (skipDestructive(ctx, subject, 'remove directory')) {
      gone.add(dir);
      continue;
    }
    if (await skipDestructiveAsk(ctx, subject, 'remove directory')) continue;
    try {
      await fs.rmdir(dir, { signal: ctx.signal });
      gone.add(dir);
      ctx.stats.deletedDirs++;
      logInfo(subject, 'Removing directory');
    } catch (err) {
      failed++;
      logError(subject, `Failed to remove the directory: ${errorMessage(err)}`);
      ctx.stats.countError(err);
    }
  }
  if (ctx.stats.errors > before) {
    throw failedError(failed > 0 ? `failed to remove ${failed} director${failed === 1 ? 'y' : 'ies'}` : `not every directory of ${fs} could be listed`, ctx.stats.lastError);
  }
}

/**
 * Every directory below the root (to --max-depth) with its subdirectories and whether it
 * holds an object. Unfiltered: an excluded file still keeps its directory. A directory
 * whose listing failed is logged, counted and left out, and so kept with its parents; one
 * gone since its parent was listed is marked vanished.
 */
async function listDirs(ctx: OperationContext, fs: Fs): Promise<Map<string, Listed | 'vanished'>> {
  const report = (err: unknown, where: string) => {
    logError(`${fs}${where ? '/' + where : ''}`, errorMessage(err));
    ctx.stats.countError(err);
  };
  const lister = new DirLister(fs, { fastList: ctx.opt.fastList, signal: ctx.signal, report });
  const out = new Map<string, Listed | 'vanished'>();
  const stack: { dir: string; level: number }[] = [{ dir: '', level: 1 }];
  while (stack.length > 0) {
    if (ctx.signal?.aborted) throw stopReason(ctx.signal);
    const { dir, level } = stack.pop()!;
    let entries;
    try {
      entries = await lister.listSorted(dir);
    } catch (err) {
      // An empty bucket prefix is an empty directory to a listing (see FsError.emptyPrefix).
      if (dir === '' && err instanceof FsError && err.emptyPrefix) {
        out.set('', { dirs: [], hasObjects: false });
        continue;
      }
      if (dir === '') throw err;
      if (isKind(err, 'dirNotFound')) out.set(dir, 'vanished');
      else report(err, dir);
      continue;
    }
    const l: Listed = { dirs: [], hasObjects: false };
    for (const e of entries) {
      if (e.kind === 'object') l.hasObjects = true;
      else l.dirs.push(e.remote);
    }
    out.set(dir, l);
    if (ctx.opt.maxDepth >= 0 && level >= ctx.opt.maxDepth) continue;
    for (const d of l.dirs) stack.push({ dir: d, level: level + 1 });
  }
  return out;
}

function depth(dir: string): number {
  return dir === '' ? 0 : dir.split('/').length;
}

/**
 * rmdir: removes fs's root directory if it is empty. Where directories are virtual (a
 * prefix inside a bucket), there is nothing to remove, but one that still holds objects
 * is reported as not empty rather than quietly "removed" (rclone returns success there).
 * A bucket is removed by the store itself only when empty.
 */
export async function removeDir(ctx: OperationContext, fs: Fs): Promise<void> {
  const bucketRoot = fs.features.bucketBased && fs.root !== '' && !fs.root.includes('/');
  if (!fs.features.canHaveEmptyDirectories && !bucketRoot) {
    const entries = await fs.list('', { signal: ctx.signal }).catch((err: unknown) => {
      if (err instanceof FsError && err.emptyPrefix) return [];
      throw err;
    });
    if (entries.length > 0) throw fsError('dirNotEmpty', `${fs}: directory not empty`, { retry: 'noRetry' });
  }
  if (await skipDestructiveAsk(ctx, fs.toString(), 'remove directory')) return;
  await fs.rmdir('', { signal: ctx.signal });
  ctx.stats.deletedDirs++;
  logInfo(fs.toString(), 'Removing directory');
}

