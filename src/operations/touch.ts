import { Readable } from 'node:stream';
import type { Fs, Obj, Timestamp } from '../fs/types.js';
import { errorMessage, FsError, fsError, isFatal, isKind } from '../fs/errors.js';
import { logDebug, logError, logNotice } from '../lib/log.js';
import { skipDestructiveAsk, type OperationContext } from './context.js';
import { walk } from './walk.js';

export interface TouchOptions {
  /** The time to set. */
  time: Timestamp;
  /** -C/--no-create: a missing file stays missing. */
  noCreate: boolean;
  /** -R: every file below a directory; never creates a file. */
  recursive: boolean;
}

const TIMESTAMP_HELP = 'use YYMMDD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DDTHH:MM:SS.SSS (UTC unless --localtime)';

/**
 * Reads --timestamp in the forms rclone accepts, chosen by length as rclone does: exactly
 * 19 characters is YYYY-MM-DDTHH:MM:SS, more is the same with a fraction of 1 to 9 digits,
 * less is YYMMDD (years 69-99 are 19xx, 00-68 20xx). The time is UTC, or the local time
 * zone's with localTime.
 */
export function parseTouchTime(text: string, localTime: boolean): Timestamp {
  const bad = (why: string) => fsError('usage', `--timestamp "${text}": ${why}: ${TIMESTAMP_HELP}`);
  let year: number, month: number, day: number;
  let hour = 0, minute = 0, second = 0, nanos = 0n;
  if (text.length < 19) {
    const m = /^(\d\d)(\d\d)(\d\d)$/.exec(text);
    if (!m) throw bad('not a date');
    const yy = Number(m[1]);
    year = yy >= 69 ? 1900 + yy : 2000 + yy;
    month = Number(m[2]);
    day = Number(m[3]);
  } else {
    const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?$/.exec(text);
    if (!m || (text.length > 19) !== (m[7] !== undefined)) throw bad('not a date and time');
    [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    nanos = BigInt((m[7] ?? '').padEnd(9, '0'));
  }
  if (month < 1 || month > 12) throw bad('month out of range');
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
  if (day < 1 || day > daysInMonth) throw bad('day out of range');
  if (hour > 23 || minute > 59 || second > 59) throw bad('time out of range');
  const d = new Date(0);
  // setFullYear, not the constructor: that reads years 0-99 as 1900-1999.
  if (localTime) {
    d.setFullYear(year, month - 1, day);
    d.setHours(hour, minute, second, 0);
  } else {
    d.setUTCFullYear(year, month - 1, day);
    d.setUTCHours(hour, minute, second, 0);
  }
  return BigInt(d.getTime()) * 1_000_000n + nanos;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * rclone's touch, on `leaf` in fs ('' for fs's root itself): an existing file gets the time;
 * a directory has the files directly in it touched (all below it with -R, filters applied);
 * a missing file is created empty with that time, unless -C or -R.
 *
 * On a bucket store a missing object whose name is a directory prefix is that directory:
 * rclone 1.60 would create an empty object of that name beside it instead (and with -R
 * touch nothing at all).
 */
export async function touch(ctx: OperationContext, fs: Fs, leaf: string, opt: TouchOptions): Promise<void> {
  const call = { signal: ctx.signal };
  let obj: Obj | undefined;
  if (leaf !== '') {
    try {
      obj = await fs.newObject(leaf, call);
    } catch (err) {
      if (isKind(err, 'isDir')) return touchDir(ctx, fs, leaf, opt);
      if (!isKind(err, 'objectNotFound')) throw err;
    }
  }
  if (obj) {
    if (await skipDestructiveAsk(ctx, leaf, 'touch')) return;
    logDebug(leaf, 'Touching');
    await setTime(obj, opt.time, ctx.signal);
    return;
  }
  if (leaf === '' || (fs.features.bucketBased && (await isDirectory(fs, leaf, ctx.signal)))) return touchDir(ctx, fs, leaf, opt);
  if (opt.noCreate) return logNotice(leaf, 'Not touching nonexistent file due to --no-create');
  if (opt.recursive) return logNotice(leaf, 'Not touching nonexistent file due to --recursive');
  if (await skipDestructiveAsk(ctx, leaf, 'touch (create)')) return;
  logDebug(leaf, 'Touching (creating)');
  try {
    await fs.put(Readable.from([]), { remote: leaf, size: 0, modTime: opt.time }, call);
  } catch (err) {
    throw wrap('failed to touch (create)', err);
  }
}

/** Whether dir holds anything on a bucket store (a prefix some key starts with). */
async function isDirectory(fs: Fs, dir: string, signal?: AbortSignal): Promise<boolean> {
  try {
    return (await fs.list(dir, { signal })).length > 0;
  } catch (err) {
    if (isKind(err, 'dirNotFound')) return false;
    throw err;
  }
}

/** Touches the objects in dir: one level, or with -R every level (--max-depth and filters apply). */
async function touchDir(ctx: OperationContext, fs: Fs, dir: string, opt: TouchOptions): Promise<void> {
  const maxDepth = opt.recursive ? ctx.opt.maxDepth : ctx.opt.maxDepth < 0 ? 1 : ctx.opt.maxDepth;
  logDebug(dir || fs.toString(), opt.recursive ? 'Touching every file below' : 'Touching the files in');
  await walk(ctx, fs, { dir, maxDepth }, async (_dir, entries) => {
    for (const e of entries) {
      if (e.kind !== 'object' || ctx.signal?.aborted) continue;
      if (await skipDestructiveAsk(ctx, e.remote, 'touch', `(size ${e.size})`)) continue;
      try {
        await setTime(e, opt.time, ctx.signal);
      } catch (err) {
        if (isFatal(err)) throw err;
        logError(e.remote, errorMessage(err));
        ctx.stats.countError(err);
      }
    }
  });
  if (ctx.signal?.aborted) throw ctx.signal.reason;
}

async function setTime(obj: Obj, t: Timestamp, signal?: AbortSignal): Promise<void> {
  try {
    await obj.setModTime(t, { signal });
  } catch (err) {
    throw wrap('failed to touch', err);
  }
}

/** The error with what was being done in front, keeping its kind (and so its exit code). */
function wrap(what: string, err: unknown): unknown {
  if (!(err instanceof FsError)) return err;
  return fsError(err.kind, `${what}: ${err.message}`, { cause: err.cause ?? err, retry: err.retry });
}
