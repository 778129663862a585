import type { CallOptions, Fs, HashType, Obj } from '../fs/types.js';
import { isKind } from '../fs/errors.js';
import { absDiff } from '../fs/time.js';
import { enabled, logDebug, logInfo, logNotice } from '../lib/log.js';
import type { OperationContext } from './context.js';

/** The strongest hash both sides can give, or undefined. */
export function commonHash(a: Fs, b: Fs): HashType | undefined {
  for (const t of ['md5', 'sha1'] as const) if (a.hashes.has(t) && b.hashes.has(t)) return t;
  return undefined;
}

/** The time difference two Fs can be trusted to: the coarser precision, or --modify-window if larger. */
export function modifyWindow(ctx: OperationContext, a: Fs, b: Fs): bigint {
  let w = ctx.opt.modifyWindow;
  if (a.precision > w) w = a.precision;
  if (b.precision > w) w = b.precision;
  return w;
}

/** 'same', 'differ', or '' when either side cannot tell. */
export async function compareHashes(src: Obj, dst: Obj, o: CallOptions = {}): Promise<{ type?: HashType; result: 'same' | 'differ' | '' }> {
  const type = commonHash(src.fs, dst.fs);
  if (!type) return { result: '' };
  const [a, b] = await Promise.all([src.hash(type, o), dst.hash(type, o)]);
  if (a === '' || b === '') return { type, result: '' };
  return { type, result: a === b ? 'same' : 'differ' };
}

let checksumWarned = false;
const ignore = () => undefined;

export interface EqualOptions {
  /**
   * When only the times differ but a common hash matches, correct the destination's time
   * (the default). Off for objects that are only compared, never written (--compare-dest).
   */
  updateModTime?: boolean;
}

/**
 * Whether src and dst hold the same data, as rclone decides it: sizes, then hashes
 * (--checksum) or modification times within the modify window. When only the times
 * differ but a common hash matches, the destination's time is corrected instead.
 */
export async function equal(ctx: OperationContext, src: Obj, dst: Obj, eo: EqualOptions = {}): Promise<boolean> {
  const { opt } = ctx;
  if (!opt.ignoreSize && src.size >= 0 && dst.size >= 0 && src.size !== dst.size) {
    logDebug(src.remote, `Sizes differ (src ${src.size} vs dst ${dst.size})`);
    return false;
  }
  if (opt.sizeOnly) {
    logDebug(src.remote, 'Sizes identical');
    return true;
  }
  if (opt.checksum) {
    const h = await compareHashes(src, dst, { signal: ctx.signal });
    if (h.result === 'differ') {
      logDebug(src.remote, `${h.type} differ`);
      return false;
    }
    if (h.type === undefined && !checksumWarned) {
      checksumWarned = true;
      logNotice(dst.fs.toString(), '--checksum is in use but the source and destination have no hashes in common; falling back to --size-only');
    }
    return true;
  }
  const window = modifyWindow(ctx, src.fs, dst.fs);
  // Both asked at once (each may be a request), without Promise.all's arrays and closures
  // for every object; the second is marked handled at once, as Promise.all would.
  const call = { signal: ctx.signal };
  const stAsked = src.modTime(call);
  const dtAsked = dst.modTime(call);
  dtAsked.catch(ignore);
  const st = await stAsked;
  const dt = await dtAsked;
  const diff = absDiff(st, dt);
  if (diff < window) {
    // Every unchanged file passes here: the message is only built when someone reads it.
    if (enabled('DEBUG')) logDebug(src.remote, `Size and modification time the same (differ by ${diff}ns, within tolerance ${window}ns)`);
    return true;
  }
  if (opt.ignoreChecksum) return false;
  const h = await compareHashes(src, dst, { signal: ctx.signal });
  if (h.result !== 'same') {
    logDebug(src.remote, `Modification times differ by ${diff}ns${h.result === 'differ' ? ` and ${h.type} differs` : ''}`);
    return false;
  }
  if (eo.updateModTime === false) return true;
  if (ctx.opt.dryRun) {
    logNotice(src.remote, 'Skipped set modification time as --dry-run is set');
    return true;
  }
  try {
    await dst.setModTime(st, { signal: ctx.signal });
    logInfo(src.remote, `Updated modification time in destination`);
    return true;
  } catch (err) {
    if (isKind(err, 'notSupported')) {
      logDebug(src.remote, "Destination can't set modification times; re-uploading");
      return false;
    }
    throw err;
  }
}

/** rclone's NeedTransfer: whether src must be copied over dst (absent dst: always). */
export async function needTransfer(ctx: OperationContext, src: Obj, dst: Obj | undefined): Promise<boolean> {
  const { opt } = ctx;
  if (!dst) return true;
  if (opt.ignoreExisting) {
    logDebug(src.remote, 'Destination exists, skipping');
    return false;
  }
  if (opt.ignoreTimes) {
    logDebug(src.remote, 'Transferring unconditionally as --ignore-times is in use');
    return true;
  }
  if (opt.update) {
    const window = modifyWindow(ctx, src.fs, dst.fs);
    const [st, dt] = await Promise.all([src.modTime({ signal: ctx.signal }), dst.modTime({ signal: ctx.signal })]);
    const delta = dt - st;
    if (delta >= window) {
      logDebug(src.remote, 'Destination is newer than source, skipping');
      return false;
    }
    if (delta > -window) {
      // Same time within the window: rclone skips unless the sizes differ.
      if (src.size === dst.size || opt.ignoreSize) {
        logDebug(src.remote, 'Destination mod time is within modify window of source and sizes identical, skipping');
        return false;
      }
      return true;
    }
    logDebug(src.remote, 'Destination is older than source, transferring');
    return true;
  }
  return !(await equal(ctx, src, dst));
}
