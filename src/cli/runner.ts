import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { isatty } from 'node:tty';
import type { Progress } from '../accounting/progress.js';
import { resetCurrentStats, type Stats } from '../accounting/stats.js';
import { configPath } from '../config/config.js';
import { ConfigDocument } from '../config/document.js';
import type { PasswordSource } from '../config/store.js';
import { remoteSource } from '../config/remote-source.js';
import { ExitCode, exitCodeFor, errorMessage, FsError, fsError, isKind } from '../fs/errors.js';
import type { FsResolver } from '../fs/newfs.js';
import type { Fs } from '../fs/types.js';
import { closeLogFile, colorAllowed, logAlsoOnTerminal, configureLog, enabled, jsonLog, logBlock, logError, logFatal, logFields, logInfo, logNotice, openLogFile, type Level } from '../lib/log.js';
import { acquireLock, describeHolder, type HeldLock } from '../lib/lock.js';
import { sleep } from '../lib/pacer.js';
import { buildSummary, writeSummaryFile } from './summary.js';
import type { OperationContext } from '../operations/context.js';
import type { LineSource } from '../operations/interactive.js';
import { defaultRegistry } from '../../backends/index.js';
import type { CommandDef, CommandEnv } from './command.js';
import { packageVersion } from './package-version.js';
import { logStartup, redactArgs } from './startup.js';
import { backendGlobals, bwlimit, durationMs, filterOptions, logLevelFrom, logOptions, mergeFlags, operationOptions, type FlagValues, type LogOptions } from './options.js';

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
 * What the end of a run needs for --summary-json and --lock-file, filled in as it goes.
 * The runner writes the summary and releases the lock when the run ends; if the process
 * exits first (a second Ctrl-C exits at once), an 'exit' hook does both.
 */
interface RunRecord {
  command: string;
  argv: string[];
  startedAt: number;
  stats: Stats;
  dryRun: boolean;
  retries: number;
  /** Absolute path of --summary-json. */
  summaryFile?: string;
  lock?: HeldLock;
  /** Refused by --lock-file: the summary file belongs to the run holding the lock. */
  refused: boolean;
  summaryWritten: boolean;
}

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
  const run: RunRecord = { command: def.name, argv, startedAt: Date.now(), stats: resetCurrentStats(), dryRun: false, retries: 0, refused: false, summaryWritten: false };
  // Registered before the lock's own hook, so that on exit the summary is written first.
  const onExit = (code: number) => writeSummary(run, code, signal.aborted);
  process.once('exit', onExit);
  let code: number = ExitCode.uncategorized;
  try {
    code = await runLogged(def, args, cliFlags, backendFlags, signal, argv, run);
    return code;
  } finally {
    process.off('exit', onExit);
    // Only once the summary and the final error line are written: the log file must hold them.
    writeSummary(run, code, signal.aborted);
    run.lock?.release();
    closeLogFile();
  }
}

/** Writes --summary-json once; a failure is logged (the run's exit code stays what it was). */
function writeSummary(run: RunRecord, exitCode: number, interrupted: boolean): void {
  if (run.summaryFile === undefined || run.refused || run.summaryWritten) return;
  run.summaryWritten = true;
  try {
    const summary = buildSummary({
      version: packageVersion(),
      command: run.command,
      args: redactArgs(run.argv),
      startedAt: run.startedAt,
      dryRun: run.dryRun,
      interrupted,
      exitCode,
      retries: run.retries,
      stats: run.stats,
    });
    writeSummaryFile(run.summaryFile, summary);
  } catch (err) {
    // On stderr too, so that cron mails it: the summary is what monitoring reads.
    logAlsoOnTerminal('ERROR', undefined, `can't write --summary-json ${run.summaryFile}: ${errorMessage(err)}`);
  }
}

async function runLogged(
  def: CommandDef,
  args: string[],
  cliFlags: FlagValues,
  backendFlags: FsResolver['backendFlags'],
  signal: AbortSignal,
  argv: string[],
  run: RunRecord,
): Promise<number> {
  const stats: Stats = run.stats;
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
    // Known before the flags are checked, so that a run with a bad flag still writes its
    // summary, in JSON when asked for: a bad NCLONE_* variable fails mergeFlags.
    configureLog({ json: cliFlags.useJsonLog === true });
    const summaryFile = (cliFlags.summaryJson as string | undefined) ?? process.env.NCLONE_SUMMARY_JSON;
    if (summaryFile) run.summaryFile = path.resolve(summaryFile);
    const flags = mergeFlags(cliFlags, process.env);
    configureLog({ level: logLevelFrom(flags), json: flags.useJsonLog === true });
    // Until the lock is known to be ours the log file is opened without rotation: a refused
    // run must not rotate the log of the run holding the lock.
    let logOpt: LogOptions;
    let took: ReturnType<typeof takeLock> | undefined;
    try {
      logOpt = logOptions(flags);
      if (logOpt.lockFile) took = takeLock(logOpt.lockFile);
    } catch (err) {
      if (flags.logFile) openLog(String(flags.logFile), -1);
      throw err;
    }
    if (took && !took.acquired) {
      run.refused = true;
      if (flags.logFile) openLog(String(flags.logFile), -1);
      reportFatal(fsError('other', took.message));
      return ExitCode.lockHeld;
    }
    if (took?.acquired) run.lock = took.lock;
    if (flags.logFile) openLog(String(flags.logFile), logOpt.logFileMaxSize);
    if (took?.acquired && took.stale) logNotice(undefined, `--lock-file ${logOpt.lockFile}: taking over the lock of ${took.stale}, which is no longer running`);
    if (summaryFile) checkSummaryPath(run, summaryFile);
    const configFile = configPath(flags.config as string | undefined);
    logStartup(argv, configFile);
    opt = operationOptions(flags);
    run.dryRun = opt.dryRun;
    stats.rateUnit = logOpt.rateUnit;
    const { Filter } = await import('../filter/filter.js');
    const filter = await Filter.create(filterOptions(flags));
    const passwords: PasswordSource = {
      env: process.env,
      passwordCommand: flags.passwordCommand as string | undefined,
      // isatty(0), not process.stdin.isTTY: making the stdin stream costs every run a millisecond.
      prompt: isatty(0) ? promptPassword : undefined,
    };
    // Commands that manage the config file read it themselves (and must work when it is broken).
    const config = def.noConfig ? ConfigDocument.empty() : (await (await import('../config/store.js')).loadConfig(configFile, passwords)).doc;
    const resolver: FsResolver = { registry: defaultRegistry(), remotes: remoteSource(config, configFile, process.env), configFile, env: process.env, backendFlags, globals: { ...backendGlobals(flags, opt), askPassword: passwords.prompt } };
    const rate = bwlimit(flags);
    const bucket = rate > 0 ? new (await import('../accounting/stream.js')).TokenBucket(rate) : undefined;
    const ctx: OperationContext = { opt, filter, stats, bwlimit: bucket, signal: runSignal };
    // -i asks before copies and deletes; under --dry-run nothing is done, so nothing is asked.
    if (opt.interactive && wants(def, 'interactive') && !opt.dryRun) {
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
    // Off a terminal -P prints plain lines, which would break --use-json-log's one object per line.
    if (wants(def, 'stats') && flags.progress === true && !ctx.interactive && (process.stderr.isTTY || !jsonLog())) {
      progressModule ??= await import('../accounting/progress.js');
      progress = new progressModule.Progress(stats, process.stderr, 4, { title: flags.progressTerminalTitle === true });
      const p = progress;
      configureLog({ sink: (line) => p.log(line) });
      progress.start();
    }
    // rclone logs stats at --stats-log-level (INFO), NOTICE under --dry-run so that a trial
    // run always shows what it would have done.
    statsLevel = logOpt.statsLevel;
    const level = statsLevel;
    oneLine = flags.statsOneLine === true;
    const every = durationMs(flags, 'stats', 60_000);
    if (wants(def, 'stats') && !progress && every > 0 && enabled(level)) {
      statsTimer = setInterval(() => logStats(level, ctx.stats, oneLine), every);
      statsTimer.unref();
    }

    summary = wants(def, 'stats') && (enabled(statsLevel) || flags.progress === true);
    ran = true;
    const attempts = wants(def, 'retries') ? opt.retries : 1;
    for (let attempt = 1; ; attempt++) {
      run.retries = attempt - 1;
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

/** The stats as rclone logs them: the block, or with --stats-one-line one line; with --use-json-log, with the stats object. */
function logStats(level: Level, stats: Stats, oneLine: boolean): void {
  if (!enabled(level)) return;
  const fields = jsonLog() ? { stats: stats.jsonStats() } : undefined;
  if (oneLine) logFields(level, undefined, stats.oneLine(), fields ?? {});
  else logBlock(level, stats.summaryLines(), fields);
}

/** Why a path can't be opened or created, in a few words. */
function pathProblem(abs: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? `directory ${path.dirname(abs)} does not exist`
    : code === 'EISDIR' ? 'it is a directory: give a file name'
    : code === 'ENOTDIR' ? `${path.dirname(abs)} is not a directory`
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EROFS' ? 'read-only file system'
    : errorMessage(err);
}

/** Opens --log-file now; a path that can't be a log file is a usage error in one line. */
function openLog(file: string, maxSize: number): void {
  const abs = path.resolve(file);
  try {
    openLogFile(abs, maxSize);
  } catch (err) {
    throw fsError('usage', `can't open --log-file ${file}: ${pathProblem(abs, err)}`);
  }
}

/**
 * --summary-json is written at the end, but a directory that isn't there is a usage error
 * now, before any work: finding out after a night's sync that nothing was recorded helps no one.
 */
function checkSummaryPath(run: RunRecord, file: string): void {
  const abs = path.resolve(file);
  let why: string | undefined;
  try {
    if (!statSync(path.dirname(abs)).isDirectory()) why = `${path.dirname(abs)} is not a directory`;
    else if (existsSync(abs) && statSync(abs).isDirectory()) why = 'it is a directory: give a file name';
  } catch (err) {
    why = pathProblem(abs, err);
  }
  if (why === undefined) return;
  run.summaryFile = undefined;
  throw fsError('usage', `can't write --summary-json ${file}: ${why}`);
}

/** --lock-file: the lock, or the line that says who holds it. A path that can't be a lock file is a usage error. */
function takeLock(file: string): { acquired: true; lock: HeldLock; stale?: string } | { acquired: false; message: string } {
  const abs = path.resolve(file);
  let got: ReturnType<typeof acquireLock>;
  try {
    got = acquireLock(abs);
  } catch (err) {
    throw fsError('usage', `can't create --lock-file ${file}: ${pathProblem(abs, err)}`);
  }
  if (got.acquired) return { acquired: true, lock: got.lock, stale: got.staleHolder && describeHolder(got.staleHolder) };
  const who = got.holder ? ` is held by ${describeHolder(got.holder)}` : '';
  return { acquired: false, message: `--lock-file ${file}${who}: ${got.reason}; not starting (exit code ${ExitCode.lockHeld})` };
}

function finish(def: CommandDef, stats: Stats, opt: OperationContext['opt'] | undefined, ran: boolean): number {
  if (stats.errors > 0) {
    const err = stats.lastError;
    // The empty-source refusal is its own one line: what happened and what to do.
    if (isKind(err, 'emptySource')) reportFatal(err);
    else if (ran && def.transfers && !isUsage(err)) logAlsoOnTerminal('ERROR', undefined, `Failed to ${def.name} with ${stats.errors} error${stats.errors > 1 ? 's' : ''}: last error was: ${errorMessage(err)}`);
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

/** Whether a command takes part in --retries, -i or the stats; `transfers` turns on all three. */
function wants(def: CommandDef, what: 'retries' | 'interactive' | 'stats'): boolean {
  return def[what] ?? def.transfers === true;
}

function isUsage(err: unknown): boolean {
  return err instanceof FsError && (err.kind === 'usage' || err.kind === 'config');
}

/** inquirer's look without colour: for a terminal that is not one, or NO_COLOR. */
const PLAIN_THEME = {
  prefix: { idle: '?', done: '✔' },
  style: {
    answer: (t: string) => t,
    message: (t: string) => t,
    error: (t: string) => `> ${t}`,
    defaultAnswer: (t: string) => `(${t})`,
    help: (t: string) => t,
    highlight: (t: string) => t,
    key: (t: string) => `<${t}>`,
    keysHelpTip: (keys: [string, string][]) => keys.map(([key, action]) => `${key} ${action}`).join(' • '),
  },
};

/**
 * Asks for a password on the terminal without echoing it. On stderr, as rclone does, so
 * that `nclone lsjson remote: > out.json` keeps the question out of the file. inquirer
 * colours only terminals and honours NO_COLOR on recent Node versions; the plain theme
 * makes that hold on every version nclone supports.
 */
export async function promptPassword(message: string): Promise<string> {
  const { default: inquirer } = await import('inquirer');
  const theme = colorAllowed(process.stderr) ? undefined : PLAIN_THEME;
  const prompt = inquirer.createPromptModule({ output: process.stderr });
  const answer = await prompt<{ password: string }>([{ type: 'password', name: 'password', message, mask: '*', ...(theme ? { theme } : {}) }]);
  return answer.password;
}

/**
 * One clear line for the error; the stack only at -vv. Both go to stderr and, when
 * --log-file is open, to the file as well (logFatal).
 */
export function reportFatal(err: unknown): void {
  const stack = !isUsage(err) && enabled('DEBUG') && err instanceof Error && err.stack ? err.stack : undefined;
  // A message may quote a path as it was typed: a connection string's secrets are hidden.
  logFatal(redactArgs([errorMessage(err)])[0]!, stack);
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
