import { escapeControls } from '../lib/escape.js';
import { formatSize } from '../lib/units.js';
import { formatDuration, formatRate, type Stats, type Transfer } from './stats.js';

/**
 * The text of the -P display's lines, the same in a terminal and in the plain lines written
 * elsewhere (the terminal adds a bar in front of the first). Only reads the stats.
 */

/**
 * The run's stats, and whether the listing is still under way: until it ends the totals only
 * count what has been listed so far. `listing` is set by the sync engine when it has that
 * signal; without it the totals are shown as they are.
 */
export type ProgressStats = Stats & { listing?: boolean };

/** The size of everything to transfer, or 0 while nothing is known about it (a total of 0 B would be made up). */
export function knownTotal(s: Stats): number {
  return Math.max(s.totalBytes, s.bytes);
}

export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
}

function eta(seconds: number | undefined): string {
  return seconds === undefined ? '-' : formatDuration(seconds * 1000);
}

/** "12.000 MiB / 40.000 MiB, 30%, 4.000 MiB/s, ETA 7s | files 3/10, checks 0/0": bytes, rate, ETA, counts. */
export function headText(s: ProgressStats, now = Date.now()): string {
  // A total still growing while the listing runs is marked, so that it is not read as final.
  const more = s.listing === true ? '+' : '';
  const total = knownTotal(s);
  const rate = formatRate(s.speed(now), s.rateUnit);
  const bytes =
    total > 0
      ? `${String(percent(s.bytes, total)).padStart(3)}% | ${formatSize(s.bytes)} / ${formatSize(total)}${more}, ${rate}, ETA ${s.listing === true ? '-' : eta(s.etaSeconds(now))}`
      : `${formatSize(s.bytes)}, ${rate}`;
  const errors = s.errors > 0 ? `, errors ${s.errors}` : '';
  return `${bytes} | files ${s.transfers}/${s.totalTransfers}${more}, checks ${s.checks}/${s.totalChecks}${more}${errors}`;
}

/** " * name: 40% of 1.500 MiB, 512 KiB/s, ETA 2s": one running transfer, its name escaped. */
export function transferText(t: Transfer, rateUnit: Stats['rateUnit'], now = Date.now()): string {
  const secs = (now - t.startedAt) / 1000;
  const speed = secs > 0 ? t.bytes / secs : 0;
  const rate = formatRate(speed, rateUnit);
  const name = escapeControls(t.name);
  // A size of -1 is unknown (a stream): what has gone so far, with no made-up percentage.
  if (t.size < 0) return ` * ${name}: ${formatSize(t.bytes)}, ${rate}`;
  const left = speed > 0 ? Math.max(0, t.size - t.bytes) / speed : undefined;
  return ` * ${name}: ${percent(t.bytes, t.size)}% of ${formatSize(t.size)}, ${rate}, ETA ${eta(left)}`;
}

/** --progress-terminal-title: short, as a tab or window list has little room. */
export function titleText(s: ProgressStats, now = Date.now()): string {
  const total = knownTotal(s);
  if (total === 0) return `nclone ${formatSize(s.bytes)}`;
  return `nclone ${percent(s.bytes, total)}%, ETA ${s.listing === true ? '-' : eta(s.etaSeconds(now))}`;
}

/**
 * At most `width` UTF-16 units, never splitting a surrogate pair. A line of double-width
 * characters can still be wider on the screen: autowrap is off while the display is drawn,
 * so the terminal cuts it instead of wrapping it onto a line the display does not count.
 */
export function clip(line: string, width: number): string {
  if (line.length <= width) return line;
  let out = '';
  for (const c of line) {
    if (out.length + c.length > width) break;
    out += c;
  }
  return out;
}
