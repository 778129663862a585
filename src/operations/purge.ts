import type { Fs } from '../fs/types.js';
import { logInfo } from '../lib/log.js';
import { skipDestructive, skipDestructiveAsk, type OperationContext } from './context.js';
import { deleteTree } from './delete.js';
import { removeEmptyDirs } from './rmdirs.js';

/**
 * purge: fs's root directory and everything in it, whatever the filters say (the command
 * refuses filters). The backend's own purge when it has one (one recursive removal on a
 * local disk, batched DeleteObjects and the bucket on S3), asked about once with -i; else
 * every object deleted, then every directory removed, deepest first (asked about one by
 * one). --dry-run says it would purge the directory, either way.
 */
export async function purgeDir(ctx: OperationContext, fs: Fs): Promise<void> {
  // A trial run of the fallback could not tell which directories the deletes would empty.
  if (skipDestructive(ctx, fs.toString(), 'purge directory')) return;
  if (!fs.purge) {
    await deleteTree(ctx, fs);
    await removeEmptyDirs(ctx, fs, { leaveRoot: false });
    return;
  }
  if (await skipDestructiveAsk(ctx, fs.toString(), 'purge directory')) return;
  await fs.purge('', { signal: ctx.signal });
  ctx.stats.deletedDirs++;
  logInfo(fs.toString(), 'Purged directory');
}
