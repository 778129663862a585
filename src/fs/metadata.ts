/**
 * rclone's metadata (-M): a flat map of lower-case keys to strings. System keys mean the
 * same on every backend (mtime, content-type, mode, ...); a backend stores what it
 * understands as such and the rest as user metadata, so an object can go S3 → local → S3
 * and keep what it had.
 */
import { fsError } from './errors.js';
import type { Metadata, Timestamp } from './types.js';

const NS_PER_S = 1_000_000_000n;

/** What a backend says about one of its system keys (`nclone help backend NAME`, docs). */
export interface MetadataHelp {
  help: string;
  type: string;
  example: string;
  /** Read from the object but never written from metadata. */
  readOnly?: boolean;
}

/** RFC 3339 in UTC with the fraction's trailing zeros cut, as Go's RFC3339Nano: "2006-01-02T15:04:05.5Z". */
export function formatMetadataTime(t: Timestamp): string {
  const sec = t >= 0n ? t / NS_PER_S : (t - NS_PER_S + 1n) / NS_PER_S;
  const ns = t - sec * NS_PER_S;
  const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  const frac = ns.toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso}${frac ? '.' + frac : ''}Z`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time to the nanosecond; undefined when it is not one. */
export function parseMetadataTime(text: string): Timestamp | undefined {
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms / 1000) * NS_PER_S + BigInt((m[3] ?? '').padEnd(9, '0'));
}

const KEY = /^[a-z0-9][a-z0-9._-]*$/;

/** --metadata-set key=value, repeated: keys are lower-cased (S3 keeps them so anyway). */
export function parseMetadataSet(pairs: readonly string[]): Metadata {
  const out: Metadata = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    if (eq < 0 || !KEY.test(key)) {
      throw fsError('usage', `invalid --metadata-set "${pair}": give key=value, the key made of a-z, 0-9, ".", "-" and "_"`);
    }
    const value = pair.slice(eq + 1);
    // Values travel as HTTP headers (S3): a control character would break the request.
    if (/[\x00-\x1f\x7f]/.test(value)) throw fsError('usage', `invalid --metadata-set "${key}=...": the value has a control character (a newline?)`);
    out[key] = value;
  }
  return out;
}
