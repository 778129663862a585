import type { Fs, Obj, RemoveFailure } from '../fs/types.js';
import { errorMessage, fsError, FsError, isRetryable } from '../fs/errors.js';
import { BoundedPool } from '../lib/pool.js';
import { formatSize } from '../lib/units.js';
import { logError, logInfo } from '../lib/log.js';
import { walk } from './walk.js';
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

/**
 * delete: every object below fs's root that passes the filters (directories stay), in
 * removeMany batches where the backend has them, else up to --transfers at a time. With
 * --max-delete or --max-delete-size a first listing counts what would go, and nothing is
 * deleted when that is over the limit. Each failure is logged and counted; the run goes
 * on, and ends with an error carrying the last one's class (and so its exit code).
 */
export async function deleteTree(ctx: OperationContext, fs: Fs): Promise<void> {
  const before = ctx.stats.errors;
  const { maxDelete, maxDeleteSize } = ctx.opt;
  if (maxDelete >= 0 || maxDeleteSize >= 0) {
    let files = 0;
    let bytes = 0;
    await walk(ctx, fs, { maxDepth: ctx.opt.maxDepth }, async (_dir, entries) => {
      for (const e of entries) {
        if (e.kind !== 'object') continue;
        files++;
        bytes += Math.max(0, e.size);
      }
    });
    if (ctx.signal?.aborted) throw stopReason(ctx.signal);
    const over =
      maxDelete >= 0 && files > maxDelete ? `--max-delete threshold (${maxDelete}) reached: ${files} files to delete, so none were deleted`
      : maxDeleteSize >= 0 && bytes > maxDeleteSize ? `--max-delete-size threshold (${formatSize(maxDeleteSize)}) reached: ${files} files of ${formatSize(bytes)} in all to delete, so none were deleted`
      : undefined;
    if (over) throw fsError('maxDeleteReached', over, { retry: 'fatal' });
  }
  let failed = 0;
  const fail = (obj: Obj, err: unknown) => {
    failed++;
    logError(obj.remote, `Couldn't delete: ${errorMessage(err)}`);
    ctx.stats.countError(err);
  };
  // The limits hold in this pass too: files may have appeared since the count.
  let queued = 0;
  let queuedBytes = 0;
  const allowed = (obj: Obj): boolean => {
    const size = Math.max(0, obj.size);
    if ((maxDelete >= 0 && queued >= maxDelete) || (maxDeleteSize >= 0 && queuedBytes + size > maxDeleteSize)) return false;
    queued++;
    queuedBytes += size;
    return true;
  };
  const batching = canDeleteInBatches(ctx, fs);
  let batch: Obj[] = [];
  const flush = async () => {
    const objs = batch;
    batch = [];
    if (objs.length === 0 || ctx.signal?.aborted) return;
    for (const f of await deleteBatch(ctx, fs, objs)) fail(f.obj, f.err);
  };
  const pool = new BoundedPool(ctx.opt.transfers, (err) => ctx.stats.countError(err), ctx.opt.transfers);
  let limitHit = false;
  await walk(ctx, fs, { maxDepth: ctx.opt.maxDepth }, async (_dir, entries) => {
    for (const obj of entries) {
      if (obj.kind !== 'object' || ctx.signal?.aborted || ctx.stats.fatal) continue;
      if (!allowed(obj)) {
        limitHit = true;
        continue;
      }
      if (batching) {
        batch.push(obj);
        if (batch.length >= DELETE_BATCH) await flush();
        continue;
      }
      await pool.submit(async () => {
        if (ctx.signal?.aborted || ctx.stats.fatal) return;
        try {
          await deleteObject(ctx, obj);
        } catch (err) {
          fail(obj, err);
        }
      });
    }
  });
  await flush();
  await pool.drain();
  if (ctx.signal?.aborted) throw stopReason(ctx.signal);
  if (limitHit) {
    const err = fsError('maxDeleteReached', `--max-delete or --max-delete-size threshold reached: files appeared after they were counted, and those over the limit were not deleted`, { retry: 'fatal' });
    logError(undefined, err.message);
    ctx.stats.countError(err);
  }
  if (ctx.stats.errors > before) {
    throw failedError(failed > 0 ? `failed to delete ${failed} file${failed === 1 ? '' : 's'}` : `not every directory of ${fs} could be listed`, ctx.stats.lastError);
  }
}

/**
 * The error a command ends with after logging and counting its failures one by one: it
 * says how many, and takes the last failure's kind and retry class, and so its exit code.
 */
export function failedError(message: string, last: unknown): FsError {
  const retry = last instanceof FsError ? last.retry : isRetryable(last) ? 'retryable' : undefined;
  return fsError(last instanceof FsError ? last.kind : 'other', `${message}: last error was: ${errorMessage(last)}`, { retry, cause: last });
}

/** What a stopped run ends with: the signal's reason (Ctrl-C, q at an -i question). */
export function stopReason(signal: AbortSignal): unknown {
  return signal.reason ?? fsError('other', 'interrupted', { retry: 'fatal' });
}
