import type { Stats } from '../accounting/stats.js';
import type { TokenBucket } from '../accounting/stream.js';
import type { Filter } from '../filter/filter.js';
import type { Fs, Metadata } from '../fs/types.js';
import { logNotice } from '../lib/log.js';
import type { DestructiveGate } from './interactive.js';

/** The global flags that change how operations behave (rclone's ConfigInfo). */
export interface OperationOptions {
  dryRun: boolean;
  transfers: number;
  checkers: number;
  checksum: boolean;
  sizeOnly: boolean;
  ignoreSize: boolean;
  ignoreTimes: boolean;
  ignoreExisting: boolean;
  ignoreChecksum: boolean;
  update: boolean;
  /** Nanoseconds. */
  modifyWindow: bigint;
  maxDelete: number;
  /** --max-delete-size in bytes, -1 for no limit. */
  maxDeleteSize: number;
  /** --allow-empty-source: sync may delete everything when the source has no objects. */
  allowEmptySource: boolean;
  /** -i/--interactive: ask before each destructive action (OperationContext.interactive asks). */
  interactive: boolean;
  deleteMode: 'before' | 'during' | 'after';
  deleteExcluded: boolean;
  /** Bytes, -1 for no limit. */
  maxTransfer: number;
  retries: number;
  /** --retries-sleep in milliseconds: the pause between attempts of the whole command. */
  retriesSleep: number;
  lowLevelRetries: number;
  fastList: boolean;
  createEmptySrcDirs: boolean;
  errorOnNoTransfer: boolean;
  maxDepth: number;
  /** --backup-dir as given on the command line. */
  backupDir?: string;
  suffix: string;
  /** --multi-thread-streams: ranged streams for one download into a local file (1 or less: off). */
  multiThreadStreams: number;
  /** --multi-thread-cutoff in bytes: files at least this large are downloaded with several streams. */
  multiThreadCutoff: number;
  /** --check-first: every check of copy, sync and move before the first transfer. */
  checkFirst: boolean;
  /** --no-traverse: copy and move look each source file up in the destination instead of listing it. */
  noTraverse: boolean;
  /** --max-duration in milliseconds, 0 for no limit. */
  maxDuration: number;
  /** --cutoff-mode: how --max-duration and --max-transfer stop a run. */
  cutoffMode: CutoffMode;
  /** --max-backlog: checks and transfers that may wait queued; negative for no bound. */
  maxBacklog: number;
  /** --order-by as given, '' for the listing's order (the engine parses it). */
  orderBy: string;
  /** --track-renames: sync moves renamed files on the destination instead of sending them again. */
  trackRenames: boolean;
  /** --track-renames-strategy as given: comma-separated hash, modtime, leaf, size (the engine parses it). */
  trackRenamesStrategy: string;
  /** --compare-dest directories as given (not with copyDest). */
  compareDest: string[];
  /** --copy-dest directories as given (not with compareDest). */
  copyDest: string[];
  /** -M: each copied object takes its source's metadata (src/fs/metadata.ts). */
  metadata: boolean;
  /** --metadata-set: added to (and overriding) the source's metadata under -M. */
  metadataSet: Metadata;
}

/**
 * rclone's --cutoff-mode: hard stops everything at the limit, transfers under way
 * included; soft lets them finish and starts no more; cautious also starts no transfer
 * that could take --max-transfer past its limit.
 */
export type CutoffMode = 'hard' | 'soft' | 'cautious';

export const DEFAULT_OPTIONS: OperationOptions = {
  dryRun: false,
  transfers: 4,
  checkers: 8,
  checksum: false,
  sizeOnly: false,
  ignoreSize: false,
  ignoreTimes: false,
  ignoreExisting: false,
  ignoreChecksum: false,
  update: false,
  modifyWindow: 1n,
  maxDelete: -1,
  maxDeleteSize: -1,
  allowEmptySource: false,
  interactive: false,
  deleteMode: 'after',
  deleteExcluded: false,
  maxTransfer: -1,
  retries: 3,
  retriesSleep: 0,
  lowLevelRetries: 10,
  fastList: false,
  createEmptySrcDirs: false,
  errorOnNoTransfer: false,
  maxDepth: -1,
  suffix: '',
  multiThreadStreams: 4,
  multiThreadCutoff: 250 * 1024 * 1024,
  checkFirst: false,
  noTraverse: false,
  maxDuration: 0,
  cutoffMode: 'hard',
  maxBacklog: 10000,
  orderBy: '',
  trackRenames: false,
  trackRenamesStrategy: 'hash',
  compareDest: [],
  copyDest: [],
  metadata: false,
  metadataSet: {},
};

/** Passed as the first argument of every operation: options, filter, stats, limiter, cancellation. */
export interface OperationContext {
  opt: OperationOptions;
  filter: Filter;
  stats: Stats;
  bwlimit?: TokenBucket;
  /** Where replaced and deleted files go (--backup-dir, or the destination itself with only --suffix). */
  backupFs?: Fs;
  signal?: AbortSignal;
  /** Asks before destructive actions with -i/--interactive (the terminal, or scripted answers in tests). */
  interactive?: DestructiveGate;
}

/**
 * The --dry-run gate: returns true (and says what would have happened) when the action
 * must be skipped. It does not ask the -i question: callers that can wait use
 * skipDestructiveAsk, the gate for both.
 */
export function skipDestructive(ctx: OperationContext, subject: string, action: string, detail = ''): boolean {
  if (!ctx.opt.dryRun) return false;
  logNotice(subject, `Skipped ${action} as --dry-run is set${detail ? ` ${detail}` : ''}`);
  return true;
}

/**
 * The one gate for destructive actions (rclone's SkipDestructive): with --dry-run the
 * action is skipped and logged; with -i the person at the terminal is asked (one question
 * at a time) and an action they decline is skipped and logged. Returns true to skip.
 */
export async function skipDestructiveAsk(ctx: OperationContext, subject: string, action: string, detail = ''): Promise<boolean> {
  if (skipDestructive(ctx, subject, action, detail)) return true;
  if (!ctx.interactive) return false;
  const skip = await ctx.interactive.skip(subject, action, ctx.signal);
  if (skip && !ctx.signal?.aborted) logNotice(subject, `Skipped ${action} as --interactive is set${detail ? ` ${detail}` : ''}`);
  return skip;
}
