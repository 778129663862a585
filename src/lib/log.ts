import { escapeControls } from './escape.js';
import { LogFile } from './logfile.js';

/** rclone's log levels, most severe first. */
export const LEVELS = ['ERROR', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type Level = (typeof LEVELS)[number];

/** The level names of rclone 1.60's --use-json-log (it logged NOTICE at logrus' warning level). */
const JSON_LEVEL: Record<Level, string> = { ERROR: 'error', NOTICE: 'warning', INFO: 'info', DEBUG: 'debug' };

interface LogConfig {
  level: Level;
  /** --use-json-log: each line one JSON object. */
  json: boolean;
  /** Takes log lines instead of stderr while a progress display is drawn there. */
  sink?: (line: string) => void;
}

const config: LogConfig = { level: 'NOTICE', json: false };
/** The --log-file, open for the whole run. */
let file: LogFile | undefined;

export function configureLog(c: Partial<LogConfig>): void {
  Object.assign(config, c);
}

export function jsonLog(): boolean {
  return config.json;
}

/**
 * Opens (creating it with mode 0600, appending otherwise) the file every later line goes
 * to. It is opened now, not at the first line, so that a wrapper can rely on it existing
 * and a bad path fails before any work is done. maxSize > 0 rotates it (LogFile).
 * Throws the system error.
 */
export function openLogFile(path: string, maxSize = -1): void {
  const opened = new LogFile(path, maxSize, logFileProblem);
  file?.close();
  file = opened;
}

/**
 * Closes --log-file at the end of a run, so that its descriptor is not held (and a later
 * run in the same process does not write to it). Lines logged after this go to stderr.
 */
export function closeLogFile(): void {
  if (file === undefined) return;
  const f = file;
  file = undefined;
  f.close();
}

/**
 * Whether colour may be written to this stream: only to a terminal (not TERM=dumb), and
 * never when NO_COLOR is set to anything but the empty string (https://no-color.org).
 * nclone's own output has no colour; this is for what it draws with inquirer.
 */
export function colorAllowed(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
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
  if (file?.write(text)) return;
  if (config.sink) config.sink(text);
  else process.stderr.write(text);
}

/** The log file can't be rotated or written: said on the terminal, where cron mails it (one JSON object with --use-json-log). */
function logFileProblem(message: string): void {
  writeTerminal(config.json ? `${message}\n` : `nclone: ${escapeControls(message)}\n`, 'ERROR');
}

/** "2006-01-02T15:04:05.999999-07:00", the time format of rclone's JSON log (local time, its offset). */
export function jsonTime(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  const frac = String(d.getMilliseconds()).padStart(3, '0').replace(/0+$/, '');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac ? '.' + frac : ''}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// JSON.stringify escapes C0 controls but not DEL, C1 controls, the Unicode line separators
// and the bidirectional overrides: those are written as \uXXXX too, so a JSON line is one
// line on any terminal and still decodes to the real name.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One JSON log line, keys in rclone's order (alphabetical). */
export function jsonLine(level: Level, subject: string | undefined, message: string, fields: Record<string, unknown> = {}): string {
  const rec: Record<string, unknown> = { level: JSON_LEVEL[level], msg: message };
  if (subject) rec.object = subject;
  for (const k of Object.keys(fields).sort()) rec[k] = fields[k];
  rec.time = jsonTime();
  return JSON.stringify(rec).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

/**
 * Text for the terminal outside the log (a notice about a signal, a fatal error), passed
 * through the progress display when one is drawn so that it is not overwritten. With
 * --use-json-log each line of it is a JSON object too (at warning level), so that stderr
 * stays parseable.
 */
export function writeTerminal(text: string, level: Level = 'NOTICE'): void {
  const out = config.json
    ? text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => jsonLine(level, undefined, l))
        .join('')
    : text;
  if (config.sink) config.sink(out);
  else process.stderr.write(out);
}

/**
 * The line that ends a run early (`nclone: message`, no time stamp, as rclone's fatal
 * errors), and the stack when one is given: to the terminal and, when --log-file is open,
 * into the file as well: someone reading only the log (a cron job's) must see why the run
 * ended. With --use-json-log it is one JSON object at error level, the stack a field.
 */
export function logFatal(message: string, stack?: string): void {
  const text = config.json
    ? jsonLine('ERROR', undefined, message, stack ? { stack } : {})
    : `nclone: ${escapeControls(message)}\n${stack ? stack.split('\n').map(escapeControls).join('\n') + '\n' : ''}`;
  if (config.sink) config.sink(text);
  else process.stderr.write(text);
  file?.write(text);
}

/**
 * Writes "2006/01/02 15:04:05 LEVEL : subject: message" like rclone. Subject and message
 * often hold names from servers: control characters in them are escaped, so one call is
 * always one line and can't drive the terminal. With --use-json-log, one JSON object.
 */
export function log(level: Level, subject: string | undefined, message: string): void {
  if (!enabled(level)) return;
  emit(formatLine(level, subject, message));
}

function formatLine(level: Level, subject: string | undefined, message: string): string {
  if (config.json) return jsonLine(level, subject, message);
  return `${stamp()} ${level.padEnd(6)}: ${subject ? escapeControls(subject) + ': ' : ''}${escapeControls(message)}\n`;
}

/**
 * A line that also reaches the terminal when the log goes to --log-file: the end of a
 * failed run, so that cron (which mails a job's stderr) reports it (docs/cron.md).
 */
export function logAlsoOnTerminal(level: Level, subject: string | undefined, message: string): void {
  if (!enabled(level)) return;
  const text = formatLine(level, subject, message);
  if (file?.write(text)) process.stderr.write(text);
  else emit(text);
}

/**
 * A multi-line block (the stats) logged as rclone does: the header line, then the lines.
 * Each line is escaped on its own; tabs are kept, as rclone's stats align with one. With
 * --use-json-log the block is one object's msg and `fields` (the stats object) are added.
 */
export function logBlock(level: Level, lines: string[], fields?: Record<string, unknown>): void {
  if (!enabled(level)) return;
  if (config.json) {
    emit(jsonLine(level, undefined, `\n${lines.join('\n')}\n`, fields));
    return;
  }
  const safe = lines.map((l) => l.split('\t').map(escapeControls).join('\t'));
  emit(`${stamp()} ${level.padEnd(6)}: \n${safe.join('\n')}\n`);
}

/** One line with extra JSON fields (the one-line stats): plain log() without --use-json-log. */
export function logFields(level: Level, subject: string | undefined, message: string, fields: Record<string, unknown>): void {
  if (!enabled(level)) return;
  if (config.json) emit(jsonLine(level, subject, message, fields));
  else log(level, subject, message);
}

export const logError = (subject: string | undefined, message: string) => log('ERROR', subject, message);
export const logNotice = (subject: string | undefined, message: string) => log('NOTICE', subject, message);
export const logInfo = (subject: string | undefined, message: string) => log('INFO', subject, message);
export const logDebug = (subject: string | undefined, message: string) => log('DEBUG', subject, message);
