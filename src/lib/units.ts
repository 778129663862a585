/**
 * rclone's value syntaxes: sizes ("10M", "1.5Gi", default unit KiB), durations
 * ("1h30m", "2d", "500ms", default unit seconds) and bandwidth limits.
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
  e: 1024 ** 6,
};

export class ValueError extends Error {}

/**
 * Parses a size like rclone's SizeSuffix: a number with an optional suffix
 * b, K, M, G, T, P, E (optionally followed by "i" and/or "B"), all powers of 1024.
 * A bare number is in KiB. "off" means -1.
 */
export function parseSize(text: string, defaultUnit = 'k'): number {
  const s = text.trim();
  if (s.toLowerCase() === 'off') return -1;
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([bkmgtpe])?(i?b?)$/i.exec(s);
  if (!m || (m[2] === undefined && m[3] !== '')) {
    throw new ValueError(`invalid size "${text}": use a number with an optional suffix b, K, M, G, T, P (e.g. 10M)`);
  }
  const unit = SIZE_UNITS[(m[2] ?? defaultUnit).toLowerCase()]!;
  const value = Number(m[1]) * unit;
  if (!Number.isFinite(value)) throw new ValueError(`invalid size "${text}": too large`);
  return Math.round(value);
}

/** Formats bytes the way rclone's stats do: "1.500 MiB", "0 B". */
export function formatSize(bytes: number): string {
  if (bytes < 0) return 'off';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(3)} ${units[i]}`;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * Parses a duration like rclone's: a sequence of number+unit ("1h30m", "2d", "1.5s", "100ms");
 * a bare number is seconds. Returns milliseconds. "off" is -1.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === 'off') return -1;
  if (/^\d+(\.\d*)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w|M|y)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (s === '' || pos !== s.length) {
    throw new ValueError(`invalid duration "${text}": use a number with a unit ms, s, m, h, d, w, M, y (e.g. 1h30m)`);
  }
  return total;
}

/**
 * Parses --max-age/--min-age values: a duration before now, or an absolute date
 * ("2006-01-02", "2006-01-02 15:04:05", RFC 3339). Returns the cut-off as epoch ms.
 */
export function parseAgeCutoff(text: string, now = Date.now()): number {
  const s = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    // Without a zone these are local times, as in rclone. (A date-only ISO string would parse as UTC.)
    const t = Date.parse(s.length === 10 ? `${s}T00:00:00` : s.includes('T') ? s : s.replace(' ', 'T'));
    if (Number.isNaN(t)) throw new ValueError(`invalid date "${text}": use YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS" or a duration like 7d`);
    return t;
  }
  return now - parseDuration(s);
}

/**
 * Parses --bwlimit: a rate in bytes per second ("10M" = 10 MiB/s, bare number = KiB/s),
 * "off" for none. Time-table forms are not supported.
 */
export function parseBwLimit(text: string): number {
  const s = text.trim();
  if (s === '' || s === 'off' || s === '0') return -1;
  if (/[\s,:]/.test(s)) throw new ValueError(`invalid --bwlimit "${text}": timetables are not supported, use a single rate like 10M`);
  try {
    return parseSize(s);
  } catch {
    throw new ValueError(`invalid --bwlimit "${text}": use a rate in bytes per second with a suffix, e.g. 10M for 10 MiB/s`);
  }
}

/** Parses the boolean spellings rclone accepts in config files and flags. */
export function parseBool(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(s)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off', ''].includes(s)) return false;
  throw new ValueError(`invalid boolean "${text}": use true or false`);
}

