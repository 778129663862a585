import { fsError } from '../fs/errors.js';
import type { Obj } from '../fs/types.js';

/** A transfer waiting in the queue, with what --order-by may sort it on. */
export interface Queued {
  src: Obj;
  /** Filled in only when ordering by modtime (it may cost a request per object). */
  modTime?: bigint;
}

/** --order-by parsed: the key, the direction, and for `mixed` the share of workers taking the smallest. */
export interface OrderBy {
  key: 'size' | 'name' | 'modtime';
  descending: boolean;
  /** Percentage of the transfer workers that take from the small end; -1 when not mixed. */
  mixed: number;
}

/**
 * Parses rclone's --order-by syntax: size|name|modtime, then optionally ascending (asc),
 * descending (desc) or mixed, and after mixed a percentage (50 when left out). '' means
 * the order of the listing.
 */
export function parseOrderBy(text: string): OrderBy | undefined {
  if (text === '') return undefined;
  const bad = (why: string) => fsError('usage', `invalid value "${text}" for --order-by: ${why}; use size, name or modtime, then optionally ,ascending ,descending or ,mixed[,PERCENT] (e.g. size,descending)`);
  const parts = text.toLowerCase().split(',');
  const key = parts[0];
  if (key !== 'size' && key !== 'name' && key !== 'modtime') throw bad(`unknown key "${parts[0]}"`);
  const order: OrderBy = { key, descending: false, mixed: -1 };
  const direction = parts[1];
  if (direction === undefined || direction === 'ascending' || direction === 'asc') {
    if (parts.length > 2) throw bad('too many parts');
  } else if (direction === 'descending' || direction === 'desc') {
    if (parts.length > 2) throw bad('too many parts');
    order.descending = true;
  } else if (direction === 'mixed') {
    if (parts.length > 3) throw bad('too many parts');
    order.mixed = 50;
    if (parts[2] !== undefined) {
      if (!/^\d+$/.test(parts[2])) throw bad(`the mixed percentage "${parts[2]}" must be a whole number`);
      order.mixed = Number(parts[2]);
    }
  } else {
    throw bad(`unknown direction "${direction}"`);
  }
  return order;
}

/** A comparator for the queue: negative when a goes first. */
export function comparator(order: OrderBy): (a: Queued, b: Queued) => number {
  const asc =
    order.key === 'size' ? (a: Queued, b: Queued) => a.src.size - b.src.size
    : order.key === 'name' ? (a: Queued, b: Queued) => (a.src.remote < b.src.remote ? -1 : a.src.remote > b.src.remote ? 1 : 0)
    : (a: Queued, b: Queued) => {
        const d = (a.modTime ?? 0n) - (b.modTime ?? 0n);
        return d < 0n ? -1 : d > 0n ? 1 : 0;
      };
  return order.descending ? (a, b) => asc(b, a) : asc;
}
