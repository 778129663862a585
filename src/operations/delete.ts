import type { Obj } from '../fs/types.js';
import { logInfo } from '../lib/log.js';
import { moveToBackup } from './backup.js';
import { skipDestructiveAsk, type OperationContext } from './context.js';

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
