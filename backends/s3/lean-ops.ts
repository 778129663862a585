import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { parseXML } from '@aws-sdk/xml-builder';
import { readListing } from './lean-xml.js';

export type LeanOp = 'HeadObject' | 'GetObject' | 'PutObject' | 'ListObjectsV2' | 'ListObjects' | 'ListBuckets' | 'HeadBucket';

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
  if (v === undefined || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  for (const item of items) if (typeof item !== 'object' || item === null) throw malformed('a list entry is not an element');
  return items as Xml[];
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw malformed('an element holds elements where text belongs');
  return v;
}

function integer(v: unknown): number | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(t)) throw malformed(`"${t.slice(0, 40)}" is not a whole number`);
  return Number(t);
}

function date(v: unknown): Date | undefined {
  const t = text(v);
  if (t === undefined) return undefined;
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) throw malformed(`"${t.slice(0, 40)}" is not a date`);
  return d;
}

function bool(v: unknown): boolean | undefined {
  const t = text(v);
  return t === undefined ? undefined : t.trim() === 'true';
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
