import type { Entry, Fs, Obj } from '../fs/types.js';
import { errorMessage, isKind } from '../fs/errors.js';
import { BoundedPool } from '../lib/pool.js';
import { logDebug, logError, logInfo } from '../lib/log.js';
import type { OperationContext } from './context.js';
import { skipDestructive } from './context.js';
import { commonHash } from './needTransfer.js';
import type { CheckReport } from './check-report.js';
import { CheckTally } from './check-tally.js';
import { comparePair, type CompareOptions } from './check-compare.js';
import { leaveOut, ownRemotes, type OwnFile } from './check-own-files.js';

/** What the paired walk of both trees reports (the march's callbacks). */
export interface PairCallbacks {
  srcOnly(entry: Entry): Promise<boolean>;
  dstOnly(entry: Entry): Promise<boolean>;
  match(src: Entry, dst: Entry): Promise<boolean>;
  listError(err: unknown, side: 'src' | 'dst', dir: string): void;
}

/**
 * Walks source and destination together in one sorted order, calling back for each entry
 * (src/march). Passed in by the command, so that listing stays in src/list and src/march.
 */
export type PairWalk = (callbacks: PairCallbacks) => Promise<void>;

export interface CheckRequest {
  fsrc: Fs;
  fdst: Fs;
  /** Pairs the two trees; filters apply to both sides. */
  walk: PairWalk;
  /** Set when the source path named one file: only that file is checked. */
  srcFile?: string;
  /** --one-way: objects only in the destination are not looked for. */
  oneWay: boolean;
  /** --download: compare the bytes instead of the hashes. */
  download: boolean;
  report: CheckReport;
  /** Files of this run (the reports) that a local tree may hold: left out of the check. */
  ownFiles?: readonly OwnFile[];
}

/**
 * rclone's check: walks both trees together (req.walk, the march: memory bounded by the
 * largest directory), compares each pair on up to --checkers at once, and reports each path as
 * matching, differing, missing on one side, or failed. Logs rclone's summary and throws
 * "N differences found" (exit 1) when there were any; errors without differences end the
 * run with their own code.
 */
export async function check(ctx: OperationContext, req: CheckRequest): Promise<void> {
  const { fsrc, fdst } = req;
  const hashType = commonHash(fsrc, fdst);
  if (!req.download) {
    if (hashType === undefined) logError(undefined, 'No common hash found - not using a hash for checks');
    else logInfo(undefined, `Using ${hashType} for hash comparisons`);
  }
  const tally = new CheckTally(ctx, req.report);
  const compare: CompareOptions = { download: req.download, hashType };
  const pool = new BoundedPool(ctx.opt.checkers, (err) => ctx.stats.countError(err), ctx.opt.checkers);
  const checkPair = async (src: Obj, dst: Obj): Promise<void> => {
    if (skipDestructive(ctx, src.remote, 'check')) return;
    ctx.stats.totalChecks++;
    await pool.submit(async () => {
      try {
        const r = await comparePair(ctx, src, dst, compare);
        if (r.differ) await tally.differ(src.remote);
        else {
          logDebug(dst.remote, r.noHash ? 'OK - could not check hash' : 'OK');
          await tally.match(src.remote, !r.noHash);
        }
      } catch (err) {
        // A run being stopped fails what is in flight: that is not a finding to report.
        if (ctx.signal?.aborted) {
          ctx.stats.countError(err);
          return;
        }
        logError(src.remote, errorMessage(err));
        await tally.error(src.remote, err);
      } finally {
        ctx.stats.checks++;
      }
    });
  };

  const ownSrc = ownRemotes(fsrc, req.ownFiles ?? []);
  const ownDst = ownRemotes(fdst, req.ownFiles ?? []);
  const leftOut = new Set<string>();
  const srcOnly = async (e: Entry): Promise<boolean> => {
    if (e.kind === 'dir') return true;
    if (leaveOut(ownSrc, e.remote, leftOut)) return false;
    await tally.missing('missingOnDst', e.remote, `file not in ${fdst}`);
    return false;
  };
  const dstOnly = async (e: Entry): Promise<boolean> => {
    if (req.oneWay) return false;
    if (e.kind === 'dir') return true;
    if (leaveOut(ownDst, e.remote, leftOut)) return false;
    await tally.missing('missingOnSrc', e.remote, `file not in ${fsrc}`);
    return false;
  };

  let failure: unknown;
  try {
    if (req.srcFile !== undefined) await checkOneFile(ctx, req, req.srcFile, tally, checkPair);
    else {
      logDebug(String(fdst), 'Waiting for checks to finish');
      await req.walk({
        srcOnly,
        dstOnly,
        match: async (s: Entry, d: Entry) => {
          if (s.kind === 'dir') return true;
          // A report file on one side only: the other side's file is checked as unpaired.
          const ownS = leaveOut(ownSrc, s.remote, leftOut);
          const ownD = leaveOut(ownDst, d.remote, leftOut);
          if (ownS || ownD) {
            if (!ownS) await srcOnly(s);
            if (!ownD) await dstOnly(d);
            return false;
          }
          await checkPair(s, d as Obj);
          return false;
        },
        listError: (err, side, dir) => {
          const fs = side === 'src' ? fsrc : fdst;
          const where = side === 'src' ? 'source' : 'destination';
          logError(dir === '' ? String(fs) : dir, `error reading ${where}${dir === '' ? ' root' : ''} directory: ${errorMessage(err)}`);
          ctx.stats.countError(err);
        },
      });
    }
  } catch (err) {
    failure = err;
  }
  await pool.drain();
  // A stopped run (Ctrl-C) checked only part of the trees: it must not end as if all matched.
  if (failure === undefined && ctx.signal?.aborted) failure = ctx.signal.reason;
  if (failure !== undefined) {
    // Counted now so the summary includes it; the runner reports it as the run's error.
    ctx.stats.countError(failure);
  }
  const differences = tally.finish(fsrc, fdst);
  if (failure !== undefined) throw failure;
  if (differences) throw differences;
}

/** The source path named a file: that file against the same name in the destination directory. */
async function checkOneFile(ctx: OperationContext, req: CheckRequest, file: string, tally: CheckTally, checkPair: (s: Obj, d: Obj) => Promise<void>): Promise<void> {
  const src = await req.fsrc.newObject(file, { signal: ctx.signal });
  const f = ctx.filter;
  if (!f.includeObject(src.remote, src.size, f.usesModTime ? await src.modTime({ signal: ctx.signal }) : undefined)) return;
  let dst: Obj;
  try {
    dst = await req.fdst.newObject(file, { signal: ctx.signal });
  } catch (err) {
    if (!isKind(err, 'objectNotFound') && !isKind(err, 'dirNotFound') && !isKind(err, 'isDir')) throw err;
    await tally.missing('missingOnDst', src.remote, `file not in ${req.fdst}`);
    return;
  }
  await checkPair(src, dst);
}
