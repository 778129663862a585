import type { Timestamp } from './types.js';

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;

export function toMs(t: Timestamp): number {
  return Number(t / NS_PER_MS);
}

export function toDate(t: Timestamp): Date {
  return new Date(toMs(t));
}

/** Decimal seconds with up to nine fractional digits, e.g. "1700000000.123456789", as rclone stores mtimes. */
export function toDecimalSeconds(t: Timestamp): string {
  const neg = t < 0n;
  const a = neg ? -t : t;
  const frac = (a % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / NS_PER_S}${frac ? '.' + frac : ''}`;
}

export function fromDecimalSeconds(s: string): Timestamp | undefined {
  const m = /^(-?)(\d+)(?:\.(\d{1,9})\d*)?$/.exec(s.trim());
  if (!m) return undefined;
  const t = BigInt(m[2]!) * NS_PER_S + BigInt((m[3] ?? '').padEnd(9, '0') || '0');
  return m[1] ? -t : t;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local time with nanoseconds, as rclone's lsl prints it: "2006-01-02 15:04:05.000000000". */
export function formatLsl(t: Timestamp): string {
  const sec = t >= 0n ? t / NS_PER_S : (t - NS_PER_S + 1n) / NS_PER_S;
  const ns = t - sec * NS_PER_S;
  const d = new Date(Number(sec) * 1000);
  return `${formatLocalSeconds(d)}.${ns.toString().padStart(9, '0')}`;
}

/** Local time to the second, as lsd prints it. */
export function formatLocalSeconds(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function absDiff(a: Timestamp, b: Timestamp): bigint {
  return a > b ? a - b : b - a;
}
