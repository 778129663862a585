import type { Fs } from '../fs/types.js';
import { fsError, type FsError } from '../fs/errors.js';
import { logError, logNotice } from '../lib/log.js';
import type { OperationContext } from './context.js';
import type { CheckReport } from './check-report.js';

/**
 * The counts check and checksum keep while they run, and the lines rclone logs at the end.
 * Every difference and error is also counted in the run's stats, as rclone counts them.
 */
export class CheckTally {
  differences = 0;
  noHashes = 0;
  /** Objects only in the destination (check), or objects with no line in the sum file (checksum). */
  srcMissing = 0;
  dstMissing = 0;
  matches = 0;

  constructor(
    private readonly ctx: OperationContext,
    private readonly report: CheckReport,
  ) {}

  /** A path found on one side only: logged, counted as an error and a difference, reported. */
  async missing(outcome: 'missingOnSrc' | 'missingOnDst', remote: string, message: string): Promise<void> {
    logError(remote, message);
    this.ctx.stats.countError(fsError('other', `${remote}: ${message}`, { retry: 'noRetry' }));
    this.differences++;
    if (outcome === 'missingOnSrc') this.srcMissing++;
    else this.dstMissing++;
    await this.report.add(outcome, remote);
  }

  /** Different content (the reason is already logged): counted as an error and a difference. */
  async differ(remote: string): Promise<void> {
    this.ctx.stats.countError(fsError('other', `${remote}: files differ`, { retry: 'noRetry' }));
    this.differences++;
    await this.report.add('differ', remote);
  }

  async match(remote: string, hashChecked: boolean): Promise<void> {
    this.matches++;
    if (!hashChecked) this.noHashes++;
    await this.report.add('match', remote);
  }

  /** Reading or hashing failed (already logged): counted with the error itself. */
  async error(remote: string, err: unknown): Promise<void> {
    this.ctx.stats.countError(err);
    await this.report.add('error', remote);
  }

  /**
   * Logs the summary rclone logs (at NOTICE) and returns the error the command ends with
   * when there were differences, undefined otherwise. fsrc is undefined for a sum file.
   */
  finish(fsrc: Fs | undefined, fdst: Fs): FsError | undefined {
    const dst = String(fdst);
    if (this.dstMissing > 0) logNotice(dst, `${this.dstMissing} files missing`);
    if (this.srcMissing > 0) logNotice(fsrc ? String(fsrc) : undefined, `${this.srcMissing} ${fsrc ? 'files' : 'hashes'} missing`);
    const errors = this.ctx.stats.errors;
    logNotice(dst, `${errors} differences found`);
    if (errors > 0) logNotice(dst, `${errors} errors while checking`);
    if (this.noHashes > 0) logNotice(dst, `${this.noHashes} hashes could not be checked`);
    if (this.matches > 0) logNotice(dst, `${this.matches} matching files`);
    if (this.differences === 0) return undefined;
    return fsError('differences', `${this.differences} differences found`, { retry: 'noRetry' });
  }
}
