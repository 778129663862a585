import { errorMessage, isFatal, isNoRetry } from '../fs/errors.js';
import { formatSize } from '../lib/units.js';

export interface Transfer {
  name: string;
  size: number;
  bytes: number;
  startedAt: number;
}

/** How many error messages the --summary-json file keeps. */
const FIRST_ERRORS = 5;

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
  /** The messages of the first errors of this attempt, for the --summary-json file. */
  readonly firstErrors: string[] = [];
  readonly transferring = new Map<string, Transfer>();
  /** --stats-unit: the data rate in the stats lines in bytes or bits per second. */
  rateUnit: 'bytes' | 'bits' = 'bytes';
  /** When the first transfer started and the last one ended: rclone's transferTime, roughly. */
  private transferFrom = 0;
  private transferTo = 0;

  countError(err: unknown): void {
    this.errors++;
    this.lastError = err;
    if (this.firstErrors.length < FIRST_ERRORS) this.firstErrors.push(errorMessage(err));
    if (isFatal(err)) this.fatal = true;
    if (!isNoRetry(err)) this.anyRetryable = true;
    this.retryable = !this.fatal && this.anyRetryable;
  }

  /** Forgets errors before a whole-command retry, as rclone's --retries does. */
  resetErrors(): void {
    this.errors = 0;
    this.lastError = undefined;
    this.firstErrors.length = 0;
    this.fatal = false;
    this.retryable = true;
    this.anyRetryable = false;
  }

  startTransfer(name: string, size: number): Transfer {
    const t: Transfer = { name, size, bytes: 0, startedAt: Date.now() };
    if (this.transferFrom === 0) this.transferFrom = t.startedAt;
    this.transferring.set(name, t);
    return t;
  }

  endTransfer(t: Transfer, ok: boolean): void {
    this.transferring.delete(t.name);
    this.transferTo = Date.now();
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
      `Transferred:   \t${formatSize(this.bytes).padStart(14)} / ${formatSize(Math.max(this.totalBytes, this.bytes))}, ${pct(this.bytes, Math.max(this.totalBytes, this.bytes))}, ${formatRate(this.speed(now), this.rateUnit)}, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)}`,
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
    return `${formatSize(this.bytes).padStart(10)} / ${formatSize(total)}, ${total > 0 ? `${Math.floor((this.bytes * 100) / total)}%` : '-'}, ${formatRate(this.speed(now), this.rateUnit)}, ETA ${eta === undefined ? '-' : formatDuration(eta * 1000)} (${counts.join(', ')})`;
  }

  /**
   * The stats object rclone 1.60 adds to its stats lines with --use-json-log (the same keys
   * as its core/stats): times in seconds, speeds in bytes per second, eta null when unknown.
   */
  jsonStats(now = Date.now()): Record<string, unknown> {
    const eta = this.etaSeconds(now);
    const out: Record<string, unknown> = {
      bytes: this.bytes,
      checks: this.checks,
      deletedDirs: this.deletedDirs,
      deletes: this.deletes,
      elapsedTime: this.elapsedMs(now) / 1000,
      errors: this.errors,
      eta: eta === undefined || this.totalBytes <= 0 ? null : Math.round(eta),
      fatalError: this.fatal,
      renames: this.renames,
      retryError: this.errors > 0 && this.retryable,
      speed: this.speed(now),
      totalBytes: this.totalBytes,
      totalChecks: this.totalChecks,
      totalTransfers: this.totalTransfers,
      transferTime: this.transferFrom === 0 ? 0 : ((this.transferring.size > 0 ? now : this.transferTo) - this.transferFrom) / 1000,
      transfers: this.transfers,
    };
    if (this.errors > 0) out.lastError = errorMessage(this.lastError);
    if (this.transferring.size > 0) {
      out.transferring = [...this.transferring.values()].map((t) => {
        const secs = (now - t.startedAt) / 1000;
        const speed = secs > 0 ? t.bytes / secs : 0;
        return {
          bytes: t.bytes,
          eta: speed > 0 && t.size >= 0 ? Math.round((t.size - t.bytes) / speed) : null,
          name: t.name,
          percentage: t.size > 0 ? Math.floor((t.bytes * 100) / t.size) : 0,
          size: t.size,
          speed,
          speedAvg: speed,
        };
      });
    }
    return out;
  }
}

/** A data rate as rclone's stats show it: "1.500 MiB/s", or with --stats-unit bits "12.000 Mibit/s". */
export function formatRate(bytesPerSecond: number, unit: 'bytes' | 'bits' = 'bytes'): string {
  if (unit === 'bytes') return `${formatSize(Math.round(bytesPerSecond))}/s`;
  return `${formatSize(Math.round(bytesPerSecond * 8)).replace(/B$/, 'bit')}/s`;
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
