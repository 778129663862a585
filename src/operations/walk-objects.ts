import type { Fs, Obj } from '../fs/types.js';
import { errorMessage, fsError, FsError } from '../fs/errors.js';
import { escapeControls } from '../lib/escape.js';
import { parentOf } from '../fs/path.js';
import { logError } from '../lib/log.js';
import type { OperationContext } from './context.js';
import { walk } from './walk.js';

/**
 * Every object below fs's root, to fn, as rclone's walk.ListR gives them to ls, lsl, size,
 * md5sum and cat: from one recursive listing, page by page as it comes (one request per
 * 1,000 objects on S3 instead of one per directory), when the backend has one and nothing
 * needs the tree walked a directory at a time (no --max-depth, no filter; rclone also walks
 * with directory filters, --files-from or --exclude-if-present). The order is then the
 * backend's; otherwise the walk's, directory by directory.
 */
export async function walkObjects(ctx: OperationContext, fs: Fs, fn: (obj: Obj) => Promise<void>): Promise<void> {
  if (fs.listR && ctx.opt.maxDepth < 0 && !ctx.filter.active) return listWhole(ctx, fs, fn);
  await walk(ctx, fs, { maxDepth: ctx.opt.maxDepth }, async (_dir, entries) => {
    for (const e of entries) {
      if (ctx.signal?.aborted) return;
      if (e.kind === 'object') await fn(e);
    }
  });
}

async function listWhole(ctx: OperationContext, fs: Fs, fn: (obj: Obj) => Promise<void>): Promise<void> {
  const report = (where: string, err: unknown) => {
    logError(where, errorMessage(err));
    ctx.stats.countError(err);
  };
  try {
    await fs.listR!(
      '',
      async (page) => {
        for (const e of page) {
          // A path with an empty segment ("a//b", "/a", a marker "a//") names no file: reported
          // and skipped as the walk does, once for the highest such directory, which the walk
          // would not have entered.
          if (emptySegment(e.remote) || (e.kind === 'object' && e.remote === '')) {
            if (!emptySegment(parentOf(e.remote))) {
              const what = e.kind === 'dir' ? 'directory' : 'object';
              report(`${fs}`, fsError('invalidName', `skipped the ${what} "${escapeControls(e.remote)}": not a name in that directory (a key with an empty path segment, like "a//b" or "/a")`, { retry: 'noRetry' }));
            }
            continue;
          }
          if (e.kind === 'object') await fn(e);
        }
      },
      { signal: ctx.signal, report: (subject, err) => report(subject ?? `${fs}`, err) },
    );
  } catch (err) {
    // A bucket prefix with nothing under it is an empty directory to a listing.
    if (err instanceof FsError && err.emptyPrefix) return;
    throw err;
  }
}

function emptySegment(remote: string): boolean {
  return remote.startsWith('/') || remote.endsWith('/') || remote.includes('//');
}
