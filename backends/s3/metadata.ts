/**
 * -M on S3, as rclone maps it: Cache-Control, Content-Disposition, Content-Encoding,
 * Content-Language and Content-Type are headers; mtime is X-Amz-Meta-Mtime (decimal
 * seconds); btime (LastModified) and tier are read-only; every other key is an
 * X-Amz-Meta-* user key. md5chksum stays hidden: hashes have their own way.
 */
import { formatMetadataTime, parseMetadataTime } from '../../src/fs/metadata.js';
import { mimeTypeFromName } from '../../src/fs/mime.js';
import { fromDecimalSeconds, toDecimalSeconds } from '../../src/fs/time.js';
import type { Metadata, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { logDebug } from '../../src/lib/log.js';

/** The headers a PUT, CreateMultipartUpload or CopyObject (REPLACE) sets and a HEAD reads back. */
export interface ObjectHeaders {
  ContentType?: string;
  CacheControl?: string;
  ContentDisposition?: string;
  ContentEncoding?: string;
  ContentLanguage?: string;
}

const HEADER_KEYS: Record<string, keyof ObjectHeaders> = {
  'content-type': 'ContentType',
  'cache-control': 'CacheControl',
  'content-disposition': 'ContentDisposition',
  'content-encoding': 'ContentEncoding',
  'content-language': 'ContentLanguage',
};


/** What an upload sends besides the data: user metadata (without md5chksum), headers, and the mtime to store. */
export interface UploadMeta {
  metadata: Record<string, string>;
  headers: ObjectHeaders;
  modTime: Timestamp;
}

/**
 * The metadata and headers for writing src. Without -M only the mtime and a Content-Type go:
 * the one the source stores, else one guessed from the name's extension (as rclone).
 */
export async function uploadMeta(src: SrcInfo): Promise<UploadMeta> {
  let modTime = src.modTime;
  const metadata: Record<string, string> = {};
  const headers: ObjectHeaders = {};
  for (const [key, value] of Object.entries(src.metadata ?? {})) {
    const header = HEADER_KEYS[key];
    if (header) headers[header] = value;
    else if (key === 'mtime') {
      const t = parseMetadataTime(value);
      if (t === undefined) logDebug(src.remote, `ignoring metadata mtime "${value}": not an RFC 3339 time`);
      else modTime = t;
    } else if (key !== 'tier' && key !== 'md5chksum') metadata[key] = value;
  }
  headers.ContentType ??= src.mimeType || (await mimeTypeFromName(src.remote));
  metadata.mtime = toDecimalSeconds(modTime);
  return { metadata, headers, modTime };
}

/** The headers as a HEAD or GET answer gives them. */
export function headersOf(answer: ObjectHeaders): ObjectHeaders {
  const out: ObjectHeaders = {};
  for (const h of Object.values(HEADER_KEYS)) if (answer[h]) out[h] = answer[h];
  return out;
}

/** An object's metadata as -M reads it, from what a HEAD or GET said. */
export function readMeta(user: Record<string, string>, headers: ObjectHeaders, lastModified: Timestamp, tier: string): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(user)) {
    if (k === 'md5chksum') continue;
    if (k === 'mtime') {
      const t = fromDecimalSeconds(v);
      if (t !== undefined) out.mtime = formatMetadataTime(t);
    } else out[k] = v;
  }
  for (const [key, header] of Object.entries(HEADER_KEYS)) if (headers[header]) out[key] = headers[header]!;
  if (lastModified !== 0n) out.btime = formatMetadataTime(lastModified);
  out.tier = tier;
  return out;
}
