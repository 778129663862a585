import * as path from 'node:path';
import type { Progress } from '../accounting/progress.js';
import { resetCurrentStats, type Stats } from '../accounting/stats.js';
import { configPath } from '../config/config.js';
import { ConfigDocument } from '../config/document.js';
import type { PasswordSource } from '../config/store.js';
import { remoteSource } from '../config/remote-source.js';
import { ExitCode, exitCodeFor, errorMessage, FsError, fsError, isKind } from '../fs/errors.js';
import type { FsResolver } from '../fs/newfs.js';
import type { Fs } from '../fs/types.js';
import { escapeControls } from '../lib/escape.js';
import { appendLogFile, closeLogFile, configureLog, enabled, log, logBlock, logError, logInfo, logNotice, openLogFile, writeTerminal, type Level } from '../lib/log.js';
import { sleep } from '../lib/pacer.js';
import type { OperationContext } from '../operations/context.js';
import type { LineSource } from '../operations/interactive.js';
import { defaultRegistry } from '../../backends/index.js';
import type { CommandDef, CommandEnv } from './command.js';
import { logStartup } from './startup.js';
import { backendGlobals, bwlimit, durationMs, filterOptions, logLevelFrom, mergeFlags, operationOptions, type FlagValues } from './options.js';

// What only some runs use (the config file, the -P display, -i, --bwlimit, paths) is imported
// where it is needed, so that a command loads only what it uses: start-up time is mostly
// module loading (bench/RESULTS.md, start-up).

/** The -P display's module, once a run has loaded it: only then can there be a display to clean up. */
let progressModule: typeof import('../accounting/progress.js') | undefined;

/** Shows the cursor again if the -P display hid it (the second Ctrl-C exits at once). */
export function restoreTerminal(): void {
  progressModule?.restoreTerminal();
}

/** Thrown when stdout's reader went away (nclone ls | head): the run ends quietly. */
class OutputClosed extends Error {}

/**
 * The one runner every command goes through: it builds the context from the flags,
 * owns stats, progress, --retries, the final summary and the exit code.
 */
export async function runCommand(
  def: CommandDef,
  args: string[],
  cliFlags: FlagValues,
  backendFlags: FsResolver['backendFlags'],
  signal: AbortSignal,
  argv: string[] = [],
): Promise<number> {
  try {
    return await runLogged(def, args, cliFlags, backendFlags, signal, argv);
  } finally {
    // Only once the summary and the final error line are written: the log file must hold them.
    closeLogFile();
  }
}

async function runLogged(
  def: CommandDef,
  args: string[],
  cliFlags: FlagValues,
  backendFlags: FsResolver['backendFlags'],
  signal: AbortSignal,
  argv: string[],
): Promise<number> {
  let stats: Stats = resetCurrentStats();
  let progress: Progress | undefined;
  let statsTimer: NodeJS.Timeout | undefined;
  let opt: OperationContext['opt'] | undefined;
  let summary = false;
  /** Every Fs the command opened, closed at the end so no connection outlives the run. */
  const opened: Fs[] = [];
  let statsLevel: Level = 'INFO';
  let oneLine = false;
  let ran = false;
  /** The terminal -i asks on, released at the end. */
  let terminal: LineSource | undefined;
  /** Stops the run when q is answered at an -i question, as the caller's signal does on Ctrl-C. */
  const quit = new AbortController();
  const runSignal = AbortSignal.any([signal, quit.signal]);
  try {
    const flags = mergeFlags(cliFlags, process.env);
    configureLog({ level: logLevelFrom(flags) });
    if (flags.logFile) openLog(String(flags.logFile));
    const configFile = configPath(flags.config as string | undefined);
    logStartup(argv, configFile);
    opt = operationOptions(flags);
    const { Filter } = await import('../filter/filter.js');
    const filter = await Filter.create(filterOptions(flags));
    const passwords: PasswordSource = {
      env: process.env,
      passwordCommand: flags.passwordCommand as string | undefined,
      prompt: process.stdin.isTTY ? promptPassword : undefined,
    };
    // Commands that manage the config file read it themselves (and must work when it is broken).
    const config = def.noConfig ? ConfigDocument.empty() : (await (await import('../config/store.js')).loadConfig(configFile, passwords)).doc;
    const resolver: FsResolver = { registry: defaultRegistry(), remotes: remoteSource(config, configFile, process.env), configFile, env: process.env, backendFlags, globals: backendGlobals(flags, opt) };
    const rate = bwlimit(flags);
    const bucket = rate > 0 ? new (await import('../accounting/stream.js')).TokenBucket(rate) : undefined;
    const ctx: OperationContext = { opt, filter, stats, bwlimit: bucket, signal: runSignal };
    // -i asks before copies and deletes; under --dry-run nothing is done, so nothing is asked.
    if (opt.interactive && def.transfers && !opt.dryRun) {
      const { Interactive, openTerminal, quitError } = await import('../operations/interactive.js');
      terminal = openTerminal();
      ctx.interactive = new Interactive(terminal, () => quit.abort(quitError()));
    }
    const env: CommandEnv = {
      ctx,
      resolver,
      passwords,
      fs: async (p) => {
        const made = await (await import('../fs/newfs.js')).newFs(p, resolver);
        opened.push(made.fs);
        return made;
      },
      out: writeLine,
      flags: cliFlags,
    };

    // With -i the display would redraw over the questions: only the final summary shows.
    if (def.transfers && flags.progress === true && !ctx.interactive && process.stdout.isTTY && process.stderr.isTTY) {
      progressModule ??= await import('../accounting/progress.js');
      progress = new progressModule.Progress(stats);
      const p = progress;
      configureLog({ sink: (line) => p.log(line) });
      progress.start();
    }
    // rclone logs stats at INFO (its --stats-log-level), raised to NOTICE by --dry-run so
    // that a trial run always shows what it would have done.
    statsLevel = opt.dryRun ? 'NOTICE' : 'INFO';
    const level = statsLevel;
    oneLine = flags.statsOneLine === true;
    const every = durationMs(flags, 'stats', 60_000);
    if (def.transfers && !progress && every > 0 && enabled(level)) {
      statsTimer = setInterval(() => logStats(level, ctx.stats, oneLine), every);
      statsTimer.unref();
    }

    summary = def.transfers === true && (enabled(statsLevel) || flags.progress === true);
    ran = true;
    const attempts = def.transfers ? opt.retries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        await def.run(env, args);
        await settleStdout();
      } catch (err) {
        if (err instanceof OutputClosed) return ExitCode.success;
        if (err !== stats.lastError) stats.countError(err);
      }
      if (stats.errors === 0 || attempt >= attempts || !stats.retryable || runSignal.aborted) break;
      logError(undefined, `Attempt ${attempt}/${attempts} failed with ${stats.errors} errors and: ${errorMessage(stats.lastError)}`);
      if (opt.retriesSleep > 0) {
        logInfo(undefined, `Waiting ${formatMs(opt.retriesSleep)} before attempt ${attempt + 1} (--retries-sleep)`);
        try {
          await sleep(opt.retriesSleep, runSignal);
        } catch {
          // Ctrl-C during the pause: the run ends now, as interrupted (not as the failed attempt).
          stats.countError(runSignal.reason);
          break;
        }
      }
      stats.resetErrors();
    }
  } catch (err) {
    // Set-up failed before the command could run: bad flags, config, filters.
    stats.countError(err);
  } finally {
    terminal?.close();
    if (statsTimer) clearInterval(statsTimer);
    await Promise.all(opened.map((f) => f.close?.().catch(() => undefined)));
    progress?.stop();
    configureLog({ sink: undefined });
  }
  // With -P and no -v the final stats still show, at NOTICE.
  if (summary) logStats(enabled(statsLevel) ? statsLevel : 'NOTICE', stats, oneLine);
  return finish(def, stats, opt, ran);
}

/** The stats as rclone logs them: the block, or with --stats-one-line one line. */
function logStats(level: Level, stats: Stats, oneLine: boolean): void {
  if (oneLine) log(level, undefined, stats.oneLine());
  else logBlock(level, stats.summaryLines());
}

/** Opens --log-file now; a path that can't be a log file is a usage error in one line. */
function openLog(file: string): void {
  const abs = path.resolve(file);
  try {
    openLogFile(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? `directory ${path.dirname(abs)} does not exist`
      : code === 'EISDIR' ? 'it is a directory: give a file name'
      : code === 'ENOTDIR' ? `${path.dirname(abs)} is not a directory`
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : errorMessage(err);
    throw fsError('usage', `can't open --log-file ${file}: ${why}`);
  }
}

function finish(def: CommandDef, stats: Stats, opt: OperationContext['opt'] | undefined, ran: boolean): number {
  if (stats.errors > 0) {
    const err = stats.lastError;
    // The empty-source refusal is its own one line: what happened and what to do.
    if (isKind(err, 'emptySource')) reportFatal(err);
    else if (ran && def.transfers && !isUsage(err)) logError(undefined, `Failed to ${def.name} with ${stats.errors} error${stats.errors > 1 ? 's' : ''}: last error was: ${errorMessage(err)}`);
    else reportFatal(err);
    return exitCodeFor(err);
  }
  if (def.transfers && opt?.errorOnNoTransfer && stats.transfers === 0) {
    logNotice(undefined, 'no files were transferred (--error-on-no-transfer)');
    return ExitCode.noFilesTransferred;
  }
  return ExitCode.success;
}

/** 1500 -> "1.5s", 90000 -> "1m30s": how long --retries-sleep waits. */
function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  const m = Math.floor(total / 60);
  const sec = Math.round((total - m * 60) * 1000) / 1000;
  return m > 0 ? `${m}m${sec > 0 ? `${sec}s` : ''}` : `${sec}s`;
}

function isUsage(err: unknown): boolean {
  return err instanceof FsError && (err.kind === 'usage' || err.kind === 'config');
}

/** Asks for a password on the terminal without echoing it. */
export async function promptPassword(message: string): Promise<string> {
  const { default: inquirer } = await import('inquirer');
  const answer = await inquirer.prompt<{ password: string }>([{ type: 'password', name: 'password', message, mask: '*' }], {});
  return answer.password;
}

/**
 * One clear line for the error; the stack only at -vv. Both go to stderr and, when
 * --log-file is open, to the file as well: someone reading only the log (a cron job's)
 * must see why the run ended.
 */
export function reportFatal(err: unknown): void {
  const out = (text: string) => {
    writeTerminal(text);
    appendLogFile(text);
  };
  out(`nclone: ${escapeControls(errorMessage(err))}\n`);
  if (!isUsage(err) && enabled('DEBUG') && err instanceof Error && err.stack) {
    out(err.stack.split('\n').map(escapeControls).join('\n') + '\n');
  }
}

/** Set once stdout's reader has gone away (EPIPE): output stops quietly. */
let stdoutClosed = false;
/** Any other failure to write stdout (a full disk under `nclone lsl > file`): an error. */
let stdoutFailure: unknown;
let stdoutUsed = false;
let watchingStdout = false;

/**
 * Keeps stdout errors from surfacing as crashes. With `nclone ls | head -1` the reader
 * closes early and the next write fails with EPIPE, often after the write call itself
 * returned; without a listener that 'error' event would kill the process with a stack.
 */
export function watchStdout(): void {
  if (watchingStdout) return;
  watchingStdout = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stdoutClosed = true;
    else if (!stdoutClosed) stdoutFailure ??= err;
  });
}

function checkStdout(): void {
  if (stdoutFailure !== undefined) throw fsError('other', `can't write to standard output: ${errorMessage(stdoutFailure)}`);
  if (stdoutClosed || process.stdout.destroyed) throw new OutputClosed();
}

/** Lets a write error from the last lines arrive (it is emitted a tick later), then reports it. */
async function settleStdout(): Promise<void> {
  if (!stdoutUsed) return;
  await new Promise((resolve) => setImmediate(resolve));
  checkStdout();
}

async function writeLine(line: string): Promise<void> {
  watchStdout();
  checkStdout();
  stdoutUsed = true;
  if (!process.stdout.write(line + '\n')) {
    checkStdout();
    await new Promise<void>((resolve) => {
      const done = () => {
        process.stdout.off('drain', done).off('close', done).off('error', done);
        resolve();
      };
      process.stdout.on('drain', done).on('close', done).on('error', done);
    });
    checkStdout();
  }
}
