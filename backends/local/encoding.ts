import * as path from 'node:path';
import { fsError } from '../../src/fs/errors.js';
import { hasLoneSurrogate } from '../../src/fs/path.js';
import { quoteName } from '../../src/lib/escape.js';

/**
 * The one place where a remote path becomes an OS path. Remote names come from other
 * people's buckets: a key "../x" must land inside the destination, never next to it.
 *
 * Names a POSIX disk cannot hold are translated, reversibly, the way rclone's encoder does
 * it on Linux (so both tools read each other's trees): a whole name "." or ".." becomes
 * "．" or "．．" (U+FF0E), NUL becomes "␀" (U+2400). A name that already holds one of those
 * replacement characters is marked with "‛" (U+201B) so that decoding gives it back
 * unchanged. What cannot be translated (an empty segment as in "a//b", a leading "/",
 * malformed Unicode, a name longer than the disk allows) is refused for that object.
 */

const QUOTE = '\u201b';
const DOT = '\uff0e';
const NUL = '\u2400';

/** Linux's NAME_MAX and PATH_MAX, in bytes. */
export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4095;

const DOTS_ENCODED = new RegExp(`^(${QUOTE}*)(${DOT}${DOT}?)$`, 'u');
const NUL_RUNS = new RegExp(`(${QUOTE}*)([\\u0000${NUL}])`, 'gu');
const NUL_RUNS_ENCODED = new RegExp(`(${QUOTE}*)${NUL}`, 'gu');

/** A remote path segment as the name it has on disk. */
export function encodeName(name: string): string {
  if (name === '.') return DOT;
  if (name === '..') return DOT + DOT;
  if (DOTS_ENCODED.test(name)) return QUOTE + name;
  if (!name.includes('\u0000') && !name.includes(NUL)) return name;
  // k quotes before a replacement character that was in the name: 2k+1 quotes; before a
  // NUL (now a replacement character): 2k. The parity tells the decoder which it was.
  return name.replace(NUL_RUNS, (_m, quotes: string, c: string) => (c === NUL ? quotes + quotes + QUOTE + NUL : quotes + quotes + NUL));
}

/** A name read from disk as a remote path segment (the inverse of encodeName). */
export function decodeName(name: string): string {
  const dots = DOTS_ENCODED.exec(name);
  if (dots) return dots[1] === '' ? (dots[2]!.length === 1 ? '.' : '..') : name.slice(1);
  if (!name.includes(NUL)) return name;
  return name.replace(NUL_RUNS_ENCODED, (_m, quotes: string) =>
    quotes.length % 2 === 1 ? QUOTE.repeat((quotes.length - 1) / 2) + NUL : QUOTE.repeat(quotes.length / 2) + '\u0000',
  );
}

/** Why a remote path can't be a local one, or undefined when it can. */
export function invalidReason(remote: string): string | undefined {
  if (remote.startsWith('/')) return 'it starts with "/"';
  if (remote.endsWith('/')) return 'it ends with "/"';
  if (remote.includes('//')) return 'it has an empty path segment ("//")';
  if (hasLoneSurrogate(remote)) return 'it is not valid Unicode';
  return undefined;
}

/**
 * The OS path of remote below root. Throws, naming the object, when the remote path
 * can't be a local name; the result is always root itself or a path inside it.
 */
export function localPath(root: string, remote: string): string {
  if (remote === '') return root;
  const reason = invalidReason(remote);
  if (reason !== undefined) throw invalidName(remote, reason);
  const names = remote.split('/').map(encodeName);
  for (const n of names) {
    if (Buffer.byteLength(n) > MAX_NAME_BYTES) throw invalidName(remote, `a name in it is longer than ${MAX_NAME_BYTES} bytes`);
  }
  // Every segment is now a plain name (no "", ".", ".." or "/"), so joining can't climb out.
  const full = root + (root.endsWith(path.sep) ? '' : path.sep) + names.join(path.sep);
  if (Buffer.byteLength(full) > MAX_PATH_BYTES) throw invalidName(remote, `the local path would be longer than ${MAX_PATH_BYTES} bytes`);
  return full;
}

function invalidName(remote: string, reason: string) {
  return fsError('invalidName', `${quoteName(remote)}: can't be stored as a local file name: ${reason}`, { retry: 'noRetry' });
}
