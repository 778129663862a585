import type { Stats } from '../accounting/stats.js';
import type { TokenBucket } from '../accounting/stream.js';
import type { Filter } from '../filter/filter.js';
import type { Fs } from '../fs/types.js';
import { logNotice } from '../lib/log.js';

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
  deleteMode: 'before' | 'during' | 'after';
  deleteExcluded: boolean;
  /** Bytes, -1 for no limit. */
  maxTransfer: number;
  retries: number;
  lowLevelRetries: number;
  fastList: boolean;
  createEmptySrcDirs: boolean;
  errorOnNoTransfer: boolean;
  maxDepth: number;
  /** --backup-dir as given on the command line. */
  backupDir?: string;
  suffix: string;
}

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
  deleteMode: 'after',
  deleteExcluded: false,
  maxTransfer: -1,
  retries: 3,
  lowLevelRetries: 10,
  fastList: false,
  createEmptySrcDirs: false,
  errorOnNoTransfer: false,
  maxDepth: -1,
  suffix: '',
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
}

/**
 * The one gate for --dry-run: returns true (and says what would have happened) when the
 * action must be skipped.
 */
export function skipDestructive(ctx: OperationContext, subject: string, action: string, detail = ''): boolean {
  if (!ctx.opt.dryRun) return false;
  logNotice(subject, `Skipped ${action} as --dry-run is set${detail ? ` ${detail}` : ''}`);
  return true;
}
