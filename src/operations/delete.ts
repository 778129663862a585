import type { Fs, Obj, RemoveFailure } from '../fs/types.js';
import { logInfo } from '../lib/log.js';
import { moveToBackup } from './backup.js';
import { skipDestructiveAsk, type OperationContext } from './context.js';

/** The most objects handed to one removeMany call (S3's DeleteObjects limit). */
export const DELETE_BATCH = 1000;

/**
 * Deletes one object (or moves it to the backup dir), counting it. Under --dry-run it is
 * counted as if deleted, so the summary tells what the real run would do; one declined
 * at an -i question is not counted.
 */
export async function deleteObject(ctx: OperationContext, obj: Obj, stillWanted: () => boolean = () => true): Promise<void> {
  if (await skipDestructiveAsk(ctx, obj.remote, 'delete', `(size ${obj.size})`)) {
    if (ctx.opt.dryRun) ctx.stats.deletes++;
    return;
  }
  // An -i answer can take a while: the run may have failed or stopped meanwhile.
  if (!stillWanted()) return;
  if (ctx.backupFs) await moveToBackup(ctx, obj);
  else {
    await obj.remove({ signal: ctx.signal });
    logInfo(obj.remote, 'Deleted');
  }
  ctx.stats.deletes++;
}

/**
 * Whether deletes from fs may go in batches: the backend can (removeMany), and nothing
 * has to happen object by object first (a dry-run line, an -i question, a move into
 * --backup-dir).
 */
export function canDeleteInBatches(ctx: OperationContext, fs: Fs): boolean {
  return fs.removeMany !== undefined && !ctx.opt.dryRun && !ctx.interactive && !ctx.backupFs;
}

/**
 * Deletes objs (objects of fs, at most DELETE_BATCH) in one removeMany call, logging and
 * counting each one deleted. Resolves with those that were not, for the caller to report:
 * when removeMany throws, the outcome of none is known and each is taken as failed.
 */
export async function deleteBatch(ctx: OperationContext, fs: Fs, objs: readonly Obj[]): Promise<RemoveFailure[]> {
  let failures: RemoveFailure[];
  try {
    // Not stopped by the run's signal: a batch cut off while the server carries it out would
    // leave objects deleted but never logged or counted. A stop is heeded between batches.
    failures = await fs.removeMany!(objs);
  } catch (err) {
    failures = objs.map((obj) => ({ obj, err }));
  }
  const failed = new Set(failures.map((f) => f.obj));
  for (const obj of objs) {
    if (failed.has(obj)) continue;
    logInfo(obj.remote, 'Deleted');
    ctx.stats.deletes++;
  }
  return failures;
}
