import type { Timestamp } from '../fs/types.js';

/** Local time, as rclone prints times: the zone of the process (TZ). */

const NS_PER_S = 1_000_000_000n;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Whole seconds (rounded down, also before 1970) and the nanoseconds past them. */
function split(t: Timestamp): { date: Date; ns: bigint } {
  const sec = t >= 0n ? t / NS_PER_S : -((-t + NS_PER_S - 1n) / NS_PER_S);
  return { date: new Date(Number(sec) * 1000), ns: t - sec * NS_PER_S };
}

/**
 * How many fractional digits lsjson shows for a remote that keeps times to `precision`
 * nanoseconds: 9 for 1 ns, 3 for 1 ms, none for a second or coarser.
 */
export function digitsForPrecision(precision: bigint): number {
  let digits = 9;
  for (let step = 1n; digits > 0 && precision > step; step *= 10n) digits--;
  return digits;
}

/**
 * RFC 3339 in local time with `digits` fractional digits (cut, not rounded) and the zone
 * as "Z" or "+01:00": "2017-05-31T16:15:57.034468261+01:00".
 */
export function formatRfc3339(t: Timestamp, digits: number): string {
  const { date: d, ns } = split(t);
  const frac = digits > 0 ? '.' + ns.toString().padStart(9, '0').slice(0, digits) : '';
  const offset = -d.getTimezoneOffset();
  const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac}${zone}`;
}

/** lsf's t: "2006-01-02 15:04:05". */
export function formatLsfTime(t: Timestamp): string {
  const { date: d } = split(t);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** tree's -D: "Jan 02 15:04". */
export function formatTreeTime(t: Timestamp): string {
  const { date: d } = split(t);
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
