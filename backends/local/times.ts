import { promises as fsp } from 'node:fs';
import type { Timestamp } from '../../src/fs/types.js';

/**
 * Sets a file's times. libuv cuts the seconds it is given to whole microseconds (towards
 * zero), so aim at the middle of the wanted microsecond: the stored time is then exactly
 * t floored to µs. Node treats a negative number as "now", but takes a numeric string.
 */
export async function setTimes(p: string, t: Timestamp, link: boolean): Promise<void> {
  const arg = timeArg(t);
  await (link ? fsp.lutimes(p, arg, arg) : fsp.utimes(p, arg, arg));
}

/** The seconds value for utimes/futimes that stores exactly t floored to the microsecond. */
export function timeArg(t: Timestamp): number {
  const us = floorToMicros(t) / 1000n;
  const value = Number(us / 1_000_000n) + (Number(us % 1_000_000n) + (us < 0n ? -0.5 : 0.5)) / 1e6;
  return (value < 0 ? String(value) : value) as number;
}

/** The time as the local disk will store it through setTimes. */
export function floorToMicros(t: Timestamp): Timestamp {
  return (t >= 0n ? t / 1000n : -((-t + 999n) / 1000n)) * 1000n;
}
