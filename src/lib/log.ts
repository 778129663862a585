import { closeSync, openSync, writeSync } from 'node:fs';
import { escapeControls } from './escape.js';

/** rclone's log levels, most severe first. */
export const LEVELS = ['ERROR', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type Level = (typeof LEVELS)[number];

interface LogConfig {
  level: Level;
  /** Takes log lines instead of stderr while a progress display is drawn there. */
  sink?: (line: string) => void;
}

const config: LogConfig = { level: 'NOTICE' };
/** The --log-file descriptor, open for the whole run. */
let fileFd: number | undefined;

export function configureLog(c: Partial<LogConfig>): void {
  Object.assign(config, c);
}

/**
 * Opens (creating it with mode 0600, appending otherwise) the file every later line goes
 * to. It is opened now, not at the first line, so that a wrapper can rely on it existing
 * and a bad path fails before any work is done. Throws the system error.
 */
export function openLogFile(file: string): void {
  const fd = openSync(file, 'a', 0o600);
  if (fileFd !== undefined) closeSync(fileFd);
  fileFd = fd;
}

/**
 * Closes --log-file at the end of a run, so that its descriptor is not held (and a later
 * run in the same process does not write to it). Lines logged after this go to stderr.
 */
export function closeLogFile(): void {
  if (fileFd === undefined) return;
  const fd = fileFd;
  fileFd = undefined;
  closeSync(fd);
}

/**
 * Appends text to --log-file as it is, when one is open: for the lines written to the
 * terminal outside the log (the fatal `nclone: ...` line) that the file must hold too.
 */
export function appendLogFile(text: string): void {
  if (fileFd !== undefined) writeSync(fileFd, text);
}

export function enabled(level: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(config.level);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function stamp(d = new Date()): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function emit(text: string): void {
  if (fileFd !== undefined) writeSync(fileFd, text);
  else if (config.sink) config.sink(text);
  else process.stderr.write(text);
}

/**
 * Text for the terminal outside the log (a notice about a signal, a fatal error), passed
 * through the progress display when one is drawn so that it is not overwritten.
 */
export function writeTerminal(text: string): void {
  if (config.sink) config.sink(text);
  else process.stderr.write(text);
}

/**
 * Writes "2006/01/02 15:04:05 LEVEL : subject: message" like rclone. Subject and message
 * often hold names from servers: control characters in them are escaped, so one call is
 * always one line and can't drive the terminal.
 */
export function log(level: Level, subject: string | undefined, message: string): void {
  if (!enabled(level)) return;
  emit(`${stamp()} ${level.padEnd(6)}: ${subject ? escapeControls(subject) + ': ' : ''}${escapeControls(message)}\n`);
}

/**
 * A multi-line block (the stats) logged as rclone does: the header line, then the lines.
 * Each line is escaped on its own; tabs are kept, as rclone's stats align with one.
 */
export function logBlock(level: Level, lines: string[]): void {
  if (!enabled(level)) return;
  const safe = lines.map((l) => l.split('\t').map(escapeControls).join('\t'));
  emit(`${stamp()} ${level.padEnd(6)}: \n${safe.join('\n')}\n`);
}

export const logError = (subject: string | undefined, message: string) => log('ERROR', subject, message);
export const logNotice = (subject: string | undefined, message: string) => log('NOTICE', subject, message);
export const logInfo = (subject: string | undefined, message: string) => log('INFO', subject, message);
export const logDebug = (subject: string | undefined, message: string) => log('DEBUG', subject, message);
