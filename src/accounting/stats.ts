import { errorMessage, isFatal, isNoRetry } from '../fs/errors.js';
import { formatSize } from '../lib/units.js';

export interface Transfer {
  name: string;
  size: number;
  bytes: number;
  startedAt: number;
}

/**
 * The one accounting object of a run: the engine writes it, and the progress bar,
 * --stats lines and the final summary only read it.
 */
export class Stats {
  readonly startedAt = Date.now();
  bytes = 0;
  /** Bytes expected from transfers queued so far. */
  totalBytes = 0;
  checks = 0;
  totalChecks = 0;
  transfers = 0;
  totalTransfers = 0;
  deletes = 0;
  deletedDirs = 0;
  renames = 0;
  serverSideCopies = 0;
  serverSideCopyBytes = 0;
  errors = 0;
  fatal = false;
  /**
   * Whether re-running the command may help, as rclone decides: not after a fatal
   * error, and not when every error said retrying cannot help.
   */
  retryable = true;
  private anyRetryable = false;
  lastError: unknown = undefined;
  readonly transferring = new Map<string, Transfer>();

  countError(err: unknown): void {
    this.errors++;
    this.lastError = err;
    if (isFatal(err)) this.fatal = true;
    if (!isNoRetry(err)) this.anyRetryable = true;
    this.retryable = !this.fatal && this.anyRetryable;
  }

  /** Forgets errors before a whole-command retry, as rclone's --retries does. */
  resetErrors(): void {
    this.errors = 0;
    this.lastError = undefined;
    this.fatal = false;
    this.retryable = true;
    this.anyRetryable = false;
  }

  startTransfer(name: string, size: number): Transfer {
    const t: Transfer = { name, size, bytes: 0, startedAt: Date.now() };
    this.transferring.set(name, t);
    return t;
  }

  endTransfer(t: Transfer, ok: boolean): void {
    this.transferring.delete(t.name);
    if (ok) this.transfers++;
  }

  addBytes(t: Transfer | undefined, n: number): void {
    this.bytes += n;
    if (t) t.bytes += n;
  }

  elapsedMs(now = Date.now()): number {
    return now - this.startedAt;
  }

  /** Average bytes per second since the start. */
  speed(now = Date.now()): number {
    const s = this.elapsedMs(now) / 1000;
    return s > 0 ? this.bytes / s : 0;
  }

  etaSeconds(now = Date.now()): number | undefined {
    const left = this.totalBytes - this.bytes;
    const v = this.speed(now);
    if (left <= 0) return 0;
    return v > 0 ? left / v : undefined;
  }

  /** The multi-line summary rclone prints at the end of a run (and with --stats). */
  summary(now = Date.now()): string {
    return this.summaryLines(now).join('\n');
  }

  /** The summary as lines, so that a newline inside one (an error naming a file) stays in that line. */
  summaryLines(now = Date.now()): string[] {
    const pct = (a: number, b: number) => (b > 0 ? `${Math.floor((a * 100) / b)}%` : '-');
    const eta = this.etaSeconds(now);
    const lines = [
      `Transferred:   \t${formatSize(this.bytes).padStart(14)} / ${formatSize(Math.max(this.totalBytes, this.bytes))}, ${pct(this.bytes, Math.max(this.totalBytes, this.bytes))}, ${formatSize(Math.round(this.speed(now)))}/s, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)}`,
    ];
    if (this.errors > 0) {
      lines.push(`Errors:        ${String(this.errors).padStart(10)}${this.retryable ? ' (retrying may help)' : ''}`);
      lines.push(`Last error:    ${errorMessage(this.lastError)}`);
    }
    if (this.totalChecks > 0 || this.checks > 0) lines.push(`Checks:        ${String(this.checks).padStart(10)} / ${this.totalChecks}, ${pct(this.checks, this.totalChecks)}`);
    if (this.deletes > 0 || this.deletedDirs > 0) lines.push(`Deleted:       ${String(this.deletes).padStart(10)} (files), ${this.deletedDirs} (dirs)`);
    if (this.renames > 0) lines.push(`Renamed:       ${String(this.renames).padStart(10)}`);
    if (this.serverSideCopies > 0) lines.push(`Server Side Copies:${String(this.serverSideCopies).padStart(6)} @ ${formatSize(this.serverSideCopyBytes)}`);
    if (this.totalTransfers > 0 || this.transfers > 0) lines.push(`Transferred:   ${String(this.transfers).padStart(10)} / ${this.totalTransfers}, ${pct(this.transfers, this.totalTransfers)}`);
    lines.push(`Elapsed time:  ${formatDuration(this.elapsedMs(now)).padStart(10)}`);
    return lines;
  }

  /** The stats in one line, as rclone's --stats-one-line: bytes, percentage, speed, ETA, files. */
  oneLine(now = Date.now()): string {
    const total = Math.max(this.totalBytes, this.bytes);
    const eta = this.etaSeconds(now);
    const counts = [`xfr#${this.transfers}/${this.totalTransfers}`];
    if (this.checks > 0 || this.totalChecks > 0) counts.push(`chk#${this.checks}/${this.totalChecks}`);
    if (this.errors > 0) counts.push(`errors ${this.errors}`);
    return `${formatSize(this.bytes).padStart(10)} / ${formatSize(total)}, ${total > 0 ? `${Math.floor((this.bytes * 100) / total)}%` : '-'}, ${formatSize(Math.round(this.speed(now)))}/s, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)} (${counts.join(', ')})`;
  }
}

/** "1h2m3.4s" like rclone's durations. */
export function formatDuration(ms: number): string {
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = m > 0 || h > 0 ? Math.round(s).toString() : s.toFixed(1);
  return `${h > 0 ? h + 'h' : ''}${m > 0 || h > 0 ? m + 'm' : ''}${sec}s`;
}

let current = new Stats();

/**
 * The stats of the running command. Backends report errors they handle themselves
 * (an unreadable file skipped in a listing) here, so they are counted, never dropped.
 */
export function currentStats(): Stats {
  return current;
}

export function resetCurrentStats(): Stats {
  current = new Stats();
  return current;
}
