import type { Fs, Obj } from '../fs/types.js';
import { errorMessage, isKind } from '../fs/errors.js';
import { logDebug, logError } from '../lib/log.js';
import { skipDestructiveAsk, type OperationContext } from '../operations/context.js';
import { copyObject } from '../operations/copy.js';
import { equal } from '../operations/needTransfer.js';

/** --compare-dest and --copy-dest directories, resolved (rclone allows one kind at a time). */
export interface AltDests {
  kind: 'compare' | 'copy';
  dirs: Fs[];
}

/** What looking in the --compare-dest or --copy-dest directories decided. */
export type AltResult =
  /** Nothing identical there: transfer from the source as usual. */
  | 'transfer'
  /** An identical file is there: nothing to send (compare), or it was copied from there (copy). */
  | 'done';

/**
 * rclone's CompareOrCopyDest, for a source file about to be transferred to remote (over
 * dst if given). Each directory is looked in, in the order given, for a file of the same
 * name that is equal to src (size and time, or hash; its time is never corrected). With
 * --compare-dest that file stands in for the destination, so nothing is sent. With
 * --copy-dest it is copied server-side into the destination (unless dst is already
 * equal), instead of sending the source's data. A failed copy is reported and the source
 * is sent instead.
 */
export async function fromAltDest(ctx: OperationContext, alt: AltDests, fdst: Fs, dst: Obj | undefined, src: Obj, remote: string): Promise<AltResult> {
  for (const dir of alt.dirs) {
    let there: Obj;
    try {
      there = await dir.newObject(remote, { signal: ctx.signal });
    } catch (err) {
      if (isKind(err, 'objectNotFound') || isKind(err, 'isDir')) continue;
      throw err;
    }
    if (!(await equal(ctx, src, there, { updateModTime: false }))) {
      if (alt.kind === 'copy') logDebug(src.remote, 'Destination not found in --copy-dest');
      continue;
    }
    if (alt.kind === 'compare') {
      logDebug(src.remote, 'Destination found in --compare-dest, skipping');
      return 'done';
    }
    if (dst && (await equal(ctx, src, dst))) {
      logDebug(src.remote, 'Unchanged skipping');
      return 'done';
    }
    // -i asks as for any copy (--dry-run is logged by copyObject); declined, nothing is sent.
    if (!ctx.opt.dryRun && ctx.interactive && (await skipDestructiveAsk(ctx, remote, 'copy', '(from --copy-dest)'))) return 'done';
    ctx.stats.totalTransfers++;
    ctx.stats.totalBytes += Math.max(0, src.size);
    try {
      await copyObject(ctx, fdst, dst, remote, there);
    } catch (err) {
      ctx.stats.totalTransfers--;
      ctx.stats.totalBytes -= Math.max(0, src.size);
      // Counted, as rclone counts a failed copy, even though the upload may still succeed.
      logError(src.remote, `Destination found in --copy-dest, error copying: ${errorMessage(err)}`);
      ctx.stats.countError(err);
      return 'transfer';
    }
    if (ctx.opt.dryRun) ctx.stats.transfers++;
    logDebug(src.remote, 'Destination found in --copy-dest, using server-side copy');
    return 'done';
  }
  return 'transfer';
}
