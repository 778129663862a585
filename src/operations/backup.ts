import type { Obj } from '../fs/types.js';
import { isKind } from '../fs/errors.js';
import { logInfo } from '../lib/log.js';
import type { OperationContext } from './context.js';

/**
 * Moves an object that is about to be replaced or deleted into --backup-dir (or beside
 * itself with --suffix), server-side when the backend can move, else by copy and delete.
 */
export async function moveToBackup(ctx: OperationContext, obj: Obj): Promise<void> {
  const target = ctx.backupFs!;
  const remote = obj.remote + ctx.opt.suffix;
  if (target.move) {
    try {
      await target.move(obj, remote, { signal: ctx.signal });
      logInfo(obj.remote, `Moved into backup as ${remote}`);
      return;
    } catch (err) {
      if (!isKind(err, 'cantMove')) throw err;
    }
  }
  const modTime = await obj.modTime({ signal: ctx.signal });
  const data = await obj.open({ signal: ctx.signal });
  try {
    await target.put(data, { remote, size: obj.size, modTime }, { signal: ctx.signal });
  } catch (err) {
    data.destroy(); // a put that failed early leaves the object open otherwise
    throw err;
  }
  await obj.remove({ signal: ctx.signal });
  logInfo(obj.remote, `Copied into backup as ${remote}`);
}
