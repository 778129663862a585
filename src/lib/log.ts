import { appendFileSync } from 'node:fs';

/** rclone's log levels, most severe first. */
export const LEVELS = ['ERROR', 'NOTICE', 'INFO', 'DEBUG'] as const;
export type Level = (typeof LEVELS)[number];

interface LogConfig {
  level: Level;
  file?: string;
  /** Takes log lines instead of stderr while a progress display is drawn there. */
  sink?: (line: string) => void;
}

const config: LogConfig = { level: 'NOTICE' };

export function configureLog(c: Partial<LogConfig>): void {
  Object.assign(config, c);
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

/** Writes "2006/01/02 15:04:05 LEVEL : subject: message" like rclone. */
export function log(level: Level, subject: string | undefined, message: string): void {
  if (!enabled(level)) return;
  const line = `${stamp()} ${level.padEnd(6)}: ${subject ? subject + ': ' : ''}${message}\n`;
  if (config.file) {
    appendFileSync(config.file, line);
    return;
  }
  if (config.sink) config.sink(line);
  else process.stderr.write(line);
}

export const logError = (subject: string | undefined, message: string) => log('ERROR', subject, message);
export const logNotice = (subject: string | undefined, message: string) => log('NOTICE', subject, message);
export const logInfo = (subject: string | undefined, message: string) => log('INFO', subject, message);
export const logDebug = (subject: string | undefined, message: string) => log('DEBUG', subject, message);
