import type { Fs, Obj } from '../fs/types.js';
import { isKind } from '../fs/errors.js';
import { logDebug, logInfo } from '../lib/log.js';
import { moveToBackup } from './backup.js';
import { skipDestructive, type OperationContext } from './context.js';
import { copyObject } from './copy.js';
import { sameRemote } from './move-paths.js';
import { withRetries } from './retry.js';

/** What moveObject did: renamed by the backend, or copied and the source removed. undefined under --dry-run. */
export interface MoveResult {
  obj: Obj;
  serverSide: boolean;
}

/**
 * Moves src to remote on fdst, replacing dst if given: the backend's own move when it can
 * (a rename on a local disk), else a copy (server-side when possible, verified like every
 * copy) and then the removal of src. src is removed only once its copy is complete; a
 * failed copy leaves it where it was. The -i question is the caller's to ask.
 */
export async function moveObject(ctx: OperationContext, fdst: Fs, dst: Obj | undefined, remote: string, src: Obj): Promise<MoveResult | undefined> {
  if (skipDestructive(ctx, src.remote, 'move', `(size ${src.size})`)) {
    ctx.stats.bytes += Math.max(0, src.size);
    return undefined;
  }
  if (dst && ctx.backupFs) {
    await moveToBackup(ctx, dst);
    dst = undefined;
  }
  if (fdst.move && sameRemote(src.fs, fdst)) {
    try {
      const call = { signal: ctx.signal };
      const obj = await withRetries(() => fdst.move!(src, remote, call), { attempts: ctx.opt.lowLevelRetries, signal: ctx.signal, what: remote });
      ctx.stats.renames++;
      ctx.stats.bytes += Math.max(0, src.size);
      logInfo(src.remote, remote === src.remote ? 'Moved (server-side)' : `Moved (server-side) to: ${remote}`);
      return { obj, serverSide: true };
    } catch (err) {
      if (!isKind(err, 'cantMove')) throw err;
      logDebug(src.remote, "Can't move server-side, copying instead");
    }
  }
  const obj = await copyObject(ctx, fdst, dst, remote, src);
  await src.remove({ signal: ctx.signal });
  logInfo(src.remote, 'Deleted');
  ctx.stats.deletes++;
  ctx.stats.renames++;
  return { obj: obj!, serverSide: false };
}
