import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { parseXML } from '@aws-sdk/xml-builder';
import { readListing } from './lean-xml.js';

export type LeanOp = 'HeadObject' | 'GetObject' | 'PutObject' | 'CopyObject' | 'ListObjectsV2' | 'ListObjects' | 'ListBuckets' | 'HeadBucket';

type Xml = Record<string, unknown>;

/** The SDK's own XML reader; its errors say "XML parse error", which mapS3Error knows. */
export function fromXml(text: string): Xml {
  if (text.trim() === '') return {};
  return readListing(text) ?? (parseXML(text) as Xml);
}

function malformed(what: string): Error {
  return new Error(`XML parse error: ${what}`);
}

/** One element or several, as a list (the XML reader gives a lone element as itself). */
function list(v: unknown): Xml[] {
  if (v === undefined) return [];
  // An empty element is an entry with nothing in it (the listing check then names what is missing).
  const items = (Array.isArray(v) ? v : [v]).map((item) => (item === '' ? {} : item));
  for (const item of items) if (typeof item !== 'object' || item === null) throw malformed('a list entry is not an element');
  return items as Xml[];
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw malformed('an element holds elements where text belongs');
  return v;
}

/** A whole number as the SDK reads one: optional minus, no leading zeros, nothing around it. */
function integer(v: unknown): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  if (!/^-?(0|[1-9]\d*)$/.test(t)) throw malformed(`"${t.slice(0, 40)}" is not a whole number`);
  return Number(t);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function notTime(t: string): Error {
  return malformed(`"${t.slice(0, 40)}" is not an RFC 3339 time`);
}

/**
 * An RFC 3339 time as the SDK reads one: a zone is required (a time without one is not read
 * as local time), and fractions of a second round to the millisecond.
 */
function date(v: unknown): Date | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  // Read once per object of a listing: no closure or array beyond the match.
  const m = RFC3339.exec(t);
  if (!m) throw notTime(t);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) throw notTime(t);
  const ms = m[7] ? Math.round(parseFloat(`0.${m[7]}`) * 1000) : 0;
  const offset = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000 : 0;
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset);
}

/** As the SDK reads a boolean: anything but empty or "false" (any case) is true. */
function bool(v: unknown): boolean | undefined {
  const t = text(v);
  return t === undefined ? undefined : t !== '' && t.toLowerCase() !== 'false';
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function headerDate(h: IncomingHttpHeaders, name: string): Date | undefined {
  const v = header(h, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The x-amz-meta-* headers, named as the SDK names them (lower case, prefix removed). */
function userMetadata(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-amz-meta-') && v !== undefined) out[k.slice(11)] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** What the SDK's command would have returned for this answer. */
export function leanAnswer(op: LeanOp, h: IncomingHttpHeaders, status: number, xml: Xml | undefined, body?: IncomingMessage): unknown {
  const $metadata = metadataOf(h, status);
  const objectHeaders = () => {
    const length = header(h, 'content-length');
    return {
      ContentLength: length === undefined ? undefined : Number(length),
      ETag: header(h, 'etag'),
      LastModified: headerDate(h, 'last-modified'),
      ContentType: header(h, 'content-type'),
      CacheControl: header(h, 'cache-control'),
      ContentDisposition: header(h, 'content-disposition'),
      ContentEncoding: header(h, 'content-encoding'),
      ContentLanguage: header(h, 'content-language'),
      Metadata: userMetadata(h),
      StorageClass: header(h, 'x-amz-storage-class'),
      Restore: header(h, 'x-amz-restore'),
      ServerSideEncryption: header(h, 'x-amz-server-side-encryption'),
      SSECustomerAlgorithm: header(h, 'x-amz-server-side-encryption-customer-algorithm'),
      SSEKMSKeyId: header(h, 'x-amz-server-side-encryption-aws-kms-key-id'),
      VersionId: header(h, 'x-amz-version-id'),
    };
  };
  switch (op) {
    case 'HeadBucket':
      return { $metadata, BucketRegion: header(h, 'x-amz-bucket-region') };
    case 'HeadObject':
      return { $metadata, ...objectHeaders() };
    case 'GetObject':
      return { $metadata, ...objectHeaders(), ContentRange: header(h, 'content-range'), Body: body };
    case 'PutObject':
      return {
        $metadata,
        ETag: header(h, 'etag'),
        ServerSideEncryption: header(h, 'x-amz-server-side-encryption'),
        SSECustomerAlgorithm: header(h, 'x-amz-server-side-encryption-customer-algorithm'),
        SSEKMSKeyId: header(h, 'x-amz-server-side-encryption-aws-kms-key-id'),
        VersionId: header(h, 'x-amz-version-id'),
        /** The server's clock when it answered (whole seconds): the metadata cache's time for the new object. */
        ServerDate: headerDate(h, 'date'),
      };
    case 'CopyObject': {
      // As the SDK reads it: the fields of the body's root element, whatever its name.
      const root = xml === undefined ? undefined : Object.values(xml)[0];
      if (root !== undefined && root !== '' && (typeof root !== 'object' || root === null)) throw malformed('the copy result holds text, not elements');
      const r = (root || {}) as Xml;
      return {
        $metadata,
        CopyObjectResult: { ETag: text(r.ETag), LastModified: date(r.LastModified) },
        VersionId: header(h, 'x-amz-version-id'),
        CopySourceVersionId: header(h, 'x-amz-copy-source-version-id'),
        ServerSideEncryption: header(h, 'x-amz-server-side-encryption'),
        SSEKMSKeyId: header(h, 'x-amz-server-side-encryption-aws-kms-key-id'),
      };
    }
    case 'ListBuckets': {
      const r = xml?.ListAllMyBucketsResult as Xml | undefined;
      if (r === undefined || typeof r !== 'object') return { $metadata };
      const buckets = r.Buckets === undefined ? undefined : list((r.Buckets as Xml | '') === '' ? undefined : (r.Buckets as Xml).Bucket);
      return { $metadata, Buckets: buckets?.map((b) => ({ Name: text(b.Name), CreationDate: date(b.CreationDate) })) };
    }
    case 'ListObjects':
    case 'ListObjectsV2': {
      const r = xml?.ListBucketResult as Xml | undefined;
      if (r === undefined || typeof r !== 'object') return { $metadata };
      return {
        $metadata,
        Name: text(r.Name),
        Prefix: text(r.Prefix),
        IsTruncated: bool(r.IsTruncated),
        KeyCount: integer(r.KeyCount),
        NextContinuationToken: text(r.NextContinuationToken),
        NextMarker: text(r.NextMarker),
        Contents: r.Contents === undefined ? undefined : list(r.Contents).map((c) => ({ Key: text(c.Key), Size: integer(c.Size), ETag: text(c.ETag), LastModified: date(c.LastModified), StorageClass: text(c.StorageClass) })),
        CommonPrefixes: r.CommonPrefixes === undefined ? undefined : list(r.CommonPrefixes).map((p) => ({ Prefix: text(p.Prefix) })),
      };
    }
  }
}

export function metadataOf(h: IncomingHttpHeaders, status: number) {
  return { httpStatusCode: status, requestId: header(h, 'x-amz-request-id'), extendedRequestId: header(h, 'x-amz-id-2'), attempts: 1, totalRetryDelay: 0 };
}
