import type { Obj } from '../fs/types.js';
import { logInfo } from '../lib/log.js';
import { moveToBackup } from './backup.js';
import { skipDestructive, type OperationContext } from './context.js';

/** Deletes one object (or moves it to the backup dir), counting it. */
export async function deleteObject(ctx: OperationContext, obj: Obj): Promise<void> {
  if (skipDestructive(ctx, obj.remote, 'delete')) {
    ctx.stats.deletes++;
    return;
  }
  if (ctx.backupFs) await moveToBackup(ctx, obj);
  else {
    await obj.remove();
    logInfo(obj.remote, 'Deleted');
  }
  ctx.stats.deletes++;
}
