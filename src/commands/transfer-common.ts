import type { CommandEnv } from '../cli/command.js';
import type { Fs } from '../fs/types.js';
import { fsError } from '../fs/errors.js';
import { runSync } from '../sync/sync.js';
import { sameRemote } from '../operations/copy.js';
import { logInfo } from '../lib/log.js';

/** One root lies inside the other (or they are the same) on the same remote. */
/** Both Fs address the same storage: the same remote, or the local disk under any name (/x, :local:/x, mydisk:/x). */
function sameStore(a: Fs, b: Fs): boolean {
  return (a.features.isLocal && b.features.isLocal) || sameRemote(a, b);
}

export function overlapping(a: Fs, b: Fs): boolean {
  if (!sameStore(a, b)) return false;
  const inside = (x: string, y: string) => x === y || y === '' || x.startsWith(y.endsWith('/') ? y : y + '/');
  return inside(a.root, b.root) || inside(b.root, a.root);
}

/** copy and sync: resolve both sides, refuse overlaps, set up --backup-dir, run the engine. */
export async function transfer(env: CommandEnv, mode: 'copy' | 'sync', srcPath: string, dstPath: string): Promise<void> {
  const src = await env.fs(srcPath);
  const dst = await env.fs(dstPath);
  if (dst.file !== undefined) {
    throw fsError('usage', `destination ${dstPath} is a file: ${mode} copies into a directory; give the directory instead`);
  }
  if (src.file === undefined && overlapping(src.fs, dst.fs)) {
    throw fsError('usage', `can't ${mode} ${srcPath} to ${dstPath}: source and destination overlap (one is inside the other); use separate directories`);
  }
  let { ctx } = env;
  if (ctx.opt.backupDir !== undefined) {
    const backup = await env.fs(ctx.opt.backupDir);
    if (!sameStore(backup.fs, dst.fs)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must be on the same remote as the destination ${dstPath}`);
    if (overlapping(backup.fs, dst.fs)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must not overlap the destination ${dstPath}: put it outside`);
    if (overlapping(backup.fs, src.fs)) throw fsError('usage', `--backup-dir ${ctx.opt.backupDir} must not overlap the source ${srcPath}`);
    ctx = { ...ctx, backupFs: backup.fs };
  } else if (ctx.opt.suffix !== '') {
    ctx = { ...ctx, backupFs: dst.fs };
  }
  await runSync(ctx, { fsrc: src.fs, fdst: dst.fs, mode, srcFile: src.file });
  // rclone says so at the end of a run that copied nothing, so a no-op run at -v is not
  // silent. A run with errors copied nothing because it failed, not because it had nothing
  // to do (and each of its retries would say it again).
  if (ctx.stats.transfers === 0 && ctx.stats.errors === 0) logInfo(undefined, 'There was nothing to transfer');
}
