import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { Stats } from '../accounting/stats.js';
import { errorMessage } from '../fs/errors.js';
import { redactArgs } from './startup.js';

/**
 * --summary-json: one JSON document per run, for a wrapper script or a monitor to read
 * after the run (docs/cron.md). Field names follow rclone's stats where one exists.
 */
export interface RunSummary {
  /** Always "nclone": what wrote the file. */
  program: 'nclone';
  version: string;
  command: string;
  /** The command line after `nclone`, secrets replaced by `*** REDACTED ***`. */
  args: string[];
  pid: number;
  /** ISO 8601, UTC. */
  started: string;
  finished: string;
  /** Seconds. */
  elapsed: number;
  dryRun: boolean;
  /** "ok" (exit code 0), "failed", or "interrupted" (SIGINT/SIGTERM). */
  status: 'ok' | 'failed' | 'interrupted';
  exitCode: number;
  /** Files copied, and the bytes sent for them. */
  transfers: number;
  bytes: number;
  checks: number;
  deletes: number;
  deletedDirs: number;
  renames: number;
  serverSideCopies: number;
  /** Errors of the last attempt (those that decide the exit code). */
  errors: number;
  /** The messages of the first few of them (secret values in them replaced, as in `args`). */
  firstErrors: string[];
  lastError: string | null;
  /** Attempts of the whole command after the first (--retries). */
  retries: number;
}

export interface SummaryInput {
  version: string;
  command: string;
  args: string[];
  startedAt: number;
  dryRun: boolean;
  interrupted: boolean;
  exitCode: number;
  retries: number;
  stats: Stats;
}

export function buildSummary(i: SummaryInput, now = Date.now()): RunSummary {
  const s = i.stats;
  return {
    program: 'nclone',
    version: i.version,
    command: i.command,
    args: i.args,
    pid: process.pid,
    started: new Date(i.startedAt).toISOString(),
    finished: new Date(now).toISOString(),
    elapsed: (now - i.startedAt) / 1000,
    dryRun: i.dryRun,
    status: i.exitCode === 0 ? 'ok' : i.interrupted ? 'interrupted' : 'failed',
    exitCode: i.exitCode,
    transfers: s.transfers,
    bytes: s.bytes,
    checks: s.checks,
    deletes: s.deletes,
    deletedDirs: s.deletedDirs,
    renames: s.renames,
    serverSideCopies: s.serverSideCopies,
    errors: s.errors,
    firstErrors: s.firstErrors.map(redactMessage),
    lastError: s.errors > 0 ? redactMessage(errorMessage(s.lastError)) : null,
    retries: i.retries,
  };
}

/**
 * An error message can quote a connection string as it was typed (a malformed path): its
 * secret values are hidden as they are in `args`.
 */
function redactMessage(message: string): string {
  return redactArgs([message])[0]!;
}

/**
 * Writes the file so that a reader never sees half of it: a temporary file in the same
 * directory (mode 0600: it holds paths, which may be private; never a secret), flushed
 * to disk, then renamed over FILE. Synchronous, so that it also works from an 'exit' hook.
 * Throws the system error; the temporary file is removed then.
 */
export function writeSummaryFile(file: string, summary: RunSummary): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    unlinkSync(tmp);
  } catch {
    // Usually there is none: only a run killed while writing leaves one.
  }
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, JSON.stringify(summary, null, 2) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
    throw err;
  }
}
