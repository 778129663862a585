import { createInterface } from 'node:readline';
import type { Fs, HashType, Obj } from '../fs/types.js';
import { errorMessage, fsError } from '../fs/errors.js';
import { hashStream } from '../fs/hash.js';
import { BoundedPool } from '../lib/pool.js';
import { logDebug, logError, logNotice } from '../lib/log.js';
import type { OperationContext } from './context.js';
import type { CheckReport } from './check-report.js';
import { CheckTally } from './check-tally.js';
import { leaveOut, ownRemotes, type OwnFile } from './check-own-files.js';
import { withRetries } from './retry.js';
import { walk } from './walk.js';

/** A line of md5sum/sha1sum output: the hash, a space, a space or '*' (binary mode), the path. */
const SUM_LINE = /^([^ ]+) [ *](.+)$/;
const MAX_WARNINGS = 3;

/**
 * Reads a sum file into path -> lower-case hash. Lines that are not sum lines, and second
 * lines for a path, are skipped with a warning (the first few of them).
 */
export async function parseSumFile(ctx: OperationContext, sumObj: Obj): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  const stream = await sumObj.open({ signal: ctx.signal });
  let warnings = 0;
  const warn = (message: string) => {
    if (++warnings <= MAX_WARNINGS) logNotice(sumObj.remote, message);
  };
  let lineNo = 0;
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      lineNo++;
      if (line === '') continue;
      const m = SUM_LINE.exec(line);
      if (!m) {
        warn(`improperly formatted checksum line ${lineNo}`);
        continue;
      }
      const [, sum, file] = m as unknown as [string, string, string];
      if (sums.has(file)) {
        warn(`duplicate file on checksum line ${lineNo}`);
        continue;
      }
      sums.set(file, sum.toLowerCase());
    }
  } finally {
    stream.destroy();
  }
  if (warnings > MAX_WARNINGS) logNotice(sumObj.remote, `${warnings - MAX_WARNINGS} warning(s) suppressed...`);
  return sums;
}

export interface SumCheckRequest {
  /** What is checked. */
  fdst: Fs;
  /** Set when the path named one file: only that file is checked. */
  dstFile?: string;
  sumObj: Obj;
  type: HashType;
  /** Hash by reading the data instead of asking the backend. */
  download: boolean;
  /** Objects with no line in the sum file are not reported. */
  oneWay: boolean;
  report: CheckReport;
  /** The run's report files and the sum file itself, left out when the checked local tree holds them. */
  ownFiles?: readonly OwnFile[];
}

/**
 * rclone's CheckSum (checksum, check -C, md5sum -C): each object below fdst against its
 * line in the sum file. Objects with no line are "missing on src" ('-'), lines with no
 * object (that the filters would let through) "missing on dst" ('+').
 */
export async function checkSumFile(ctx: OperationContext, req: SumCheckRequest): Promise<void> {
  const { fdst, type } = req;
  if (!req.download && !fdst.hashes.has(type)) {
    throw fsError('usage', `${type}: hash type is not supported by file system: ${fdst}: use --download to hash the data`);
  }
  const sums = await parseSumFile(ctx, req.sumObj);
  const tally = new CheckTally(ctx, req.report);
  const pool = new BoundedPool(ctx.opt.checkers, (err) => ctx.stats.countError(err), ctx.opt.checkers);
  const own = ownRemotes(fdst, req.ownFiles ?? []);
  const leftOut = new Set<string>();

  const checkObject = async (obj: Obj): Promise<void> => {
    const remote = obj.remote;
    const sum = sums.get(remote);
    // What is left in sums at the end are the lines no object matched.
    sums.delete(remote);
    if (leaveOut(own, remote, leftOut)) return;
    if (sum === undefined) {
      if (req.oneWay) return;
      await tally.missing('missingOnSrc', remote, 'sum not found');
      return;
    }
    ctx.stats.totalChecks++;
    await pool.submit(async () => {
      try {
        const got = await objectHash(ctx, obj, type, req.download);
        if (got === '') {
          logDebug(remote, `${type} - could not check hash (${fdst})`);
          await tally.match(remote, false);
        } else if (got === sum) {
          logDebug(remote, `${type} = ${sum} OK`);
          await tally.match(remote, true);
        } else {
          logDebug(undefined, `${type} = ${sum} (sum)`);
          logDebug(remote, `${type} = ${got} (${fdst})`);
          logError(remote, 'files differ');
          await tally.differ(remote);
        }
      } catch (err) {
        if (ctx.signal?.aborted) {
          ctx.stats.countError(err);
          return;
        }
        logError(remote, `Failed to calculate hash: ${errorMessage(err)}`);
        await tally.error(remote, err);
      } finally {
        ctx.stats.checks++;
      }
    });
  };

  let failure: unknown;
  try {
    if (req.dstFile !== undefined) {
      const obj = await fdst.newObject(req.dstFile, { signal: ctx.signal });
      const f = ctx.filter;
      if (f.includeObject(obj.remote, obj.size, f.usesModTime ? await obj.modTime({ signal: ctx.signal }) : undefined)) await checkObject(obj);
    } else {
      await walk(ctx, fdst, { maxDepth: ctx.opt.maxDepth }, async (_dir, entries) => {
        for (const e of entries) if (e.kind === 'object') await checkObject(e);
      });
    }
  } catch (err) {
    failure = err;
  }
  await pool.drain();
  // A stopped run (Ctrl-C) checked only part of the tree: it must not end as if all matched.
  if (failure === undefined && ctx.signal?.aborted) failure = ctx.signal.reason;
  if (failure === undefined) {
    for (const file of [...sums.keys()].sort()) {
      if (req.dstFile !== undefined ? file !== req.dstFile : !ctx.filter.includeRemote(file)) continue;
      if (own.has(file)) continue;
      await tally.missing('missingOnDst', file, `file not in ${fdst}`);
    }
  } else {
    ctx.stats.countError(failure);
  }
  const differences = tally.finish(undefined, fdst);
  if (failure !== undefined) throw failure;
  if (differences) throw differences;
}

/** The object's hash from the backend, or with download from its data; '' when the backend can't tell. */
async function objectHash(ctx: OperationContext, obj: Obj, type: HashType, download: boolean): Promise<string> {
  if (!download) return obj.hash(type, { signal: ctx.signal });
  return withRetries(async () => hashStream(await obj.open({ signal: ctx.signal }), type), { attempts: Math.max(1, ctx.opt.lowLevelRetries), signal: ctx.signal, what: obj.remote });
}
