import * as http from 'node:http';
import type * as https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import aws4 from 'aws4';
import type { AwsCredentialIdentity, HttpRequest } from '@smithy/types';
import { enabled, logDebug } from '../../src/lib/log.js';
import { quoteName } from '../../src/lib/escape.js';
import { signV2 } from './sigv2.js';
import type { Attempt } from './commands.js';
import { fromXml, leanAnswer, metadataOf, type LeanOp } from './lean-ops.js';

export type { LeanOp } from './lean-ops.js';

/**
 * The few requests a sync sends once per object (HEAD, GET, PUT of a small body, a
 * server-side copy, a listing page) cost the SDK about 1.4 ms of CPU each in middleware and schema code: here they are
 * sent straight over Node's keep-alive agent, signed with aws4 (SigV4) or the v2 signer,
 * and answered in the shapes the SDK would give, errors included, so the door, the error
 * mapping and the callers cannot tell the two paths apart. Everything else, and every remote
 * this path does not fit (AWS, whose region redirects and checksums the SDK handles; access
 * point ARNs), goes through the SDK.
 */
export interface LeanSettings {
  endpoint: URL;
  pathStyle: boolean;
  region: string;
  /** undefined: anonymous (unsigned) requests. */
  credentials?: () => Promise<AwsCredentialIdentity>;
  v2Auth: boolean;
  agent: http.Agent | https.Agent;
  /** https.request for an https endpoint (the caller loads node:https only then); default http.request. */
  request?: typeof http.request;
  timeoutMs: number;
  conTimeoutMs: number;
}

export interface LeanRequestOptions {
  signal?: AbortSignal;
  attempt?: Attempt;
}

/** What the answer's body is read into (listings, errors): larger bodies are not S3's. */
const MAX_XML = 64 * 1024 * 1024;

export class LeanS3 {
  private readonly request: typeof http.request;

  constructor(private readonly s: LeanSettings) {
    if (s.endpoint.protocol === 'https:' && !s.request) throw new Error('LeanS3: an https endpoint needs settings.request (https.request)');
    this.request = s.request ?? http.request;
  }

  /** Whether this path can send op with this input exactly as the SDK would; else the SDK sends it. */
  accepts(op: string, input: Record<string, unknown>): op is LeanOp {
    const allowed = ALLOWED[op as LeanOp];
    if (!allowed) return false;
    if (typeof input.Bucket === 'string' && input.Bucket.startsWith('arn:')) return false;
    if (typeof input.CopySource === 'string' && input.CopySource.startsWith('arn:')) return false;
    for (const k of Object.keys(input)) if (input[k] !== undefined && !allowed.has(k)) return false;
    return op !== 'PutObject' || Buffer.isBuffer(input.Body);
  }

  async send(op: LeanOp, input: Record<string, any>, o: LeanRequestOptions = {}): Promise<unknown> {
    const req = toRequest(op, input);
    const started = enabled('DEBUG') ? Date.now() : 0;
    let res: IncomingMessage;
    try {
      res = await this.exchange(req.method, input.Bucket as string | undefined, input.Key as string | undefined, req.query, req.headers, req.body, o.signal);
    } catch (err) {
      this.log(op, input, started, o.attempt, (err as { code?: string }).code ?? (err as Error).name);
      throw err;
    }
    this.log(op, input, started, o.attempt, `HTTP ${res.statusCode}`);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw await errorOf(res, op);
    if (op === 'GetObject') return leanAnswer(op, res.headers, status, undefined, res);
    const text = METHOD[op] === 'HEAD' ? (res.resume(), '') : await readText(res);
    // S3 may answer 200 and then fail, with an <Error> body: the SDK takes that for a 503.
    if (text.trimEnd().endsWith('</Error>')) throw await errorOf(res, op, text, 503);
    // A copy answered with nothing was cut short: the SDK's "S3 aborted request", a 503.
    if (op === 'CopyObject' && text === '') throw Object.assign(new Error('S3 aborted request'), { name: 'InternalError', $fault: 'server', $metadata: metadataOf(res.headers, 503) });
    return leanAnswer(op, res.headers, status, op === 'PutObject' ? undefined : fromXml(text));
  }

  private log(op: string, input: Record<string, any>, started: number, attempt: Attempt | undefined, what: string): void {
    if (started === 0) return;
    const where = [input.Bucket, input.Key ?? input.Prefix].filter((p) => p !== undefined && p !== '').join('/');
    logDebug(undefined, `s3: ${METHOD[op as LeanOp]} ${quoteName(where || '/')} (${op}): ${what} in ${Date.now() - started} ms, attempt ${attempt ? `${attempt.attempt}/${attempt.of}` : 1}`);
  }

  private async exchange(
    method: string,
    bucket: string | undefined,
    key: string | undefined,
    query: Record<string, string>,
    headers: Record<string, string>,
    body: Buffer | undefined,
    signal: AbortSignal | undefined,
  ): Promise<IncomingMessage> {
    const { hostname, port, path } = this.address(bucket, key);
    const qs = Object.entries(query)
      .map(([k, v]) => `${escape(k)}=${escape(v)}`)
      .join('&');
    const host = port ? `${hostname}:${port}` : hostname;
    let sendHeaders: Record<string, string> = { ...headers, host };
    if (body !== undefined) sendHeaders['content-length'] = String(body.length);
    if (this.s.credentials) {
      const creds = await this.s.credentials();
      if (this.s.v2Auth) {
        const request: HttpRequest = { method, protocol: this.s.endpoint.protocol, hostname, port, path, query, headers: sendHeaders, body };
        sendHeaders = signV2(request, creds).headers;
      } else {
        // aws4 (the common small SigV4 signer) hashes the body into x-amz-content-sha256. An
        // empty one is not given to it: it would add a form Content-Type to a CopyObject.
        const signed = aws4.sign(
          { host, path: qs ? `${path}?${qs}` : path, method, headers: sendHeaders, body: body?.length ? body : undefined, service: 's3', region: this.s.region || 'us-east-1' },
          { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken },
        );
        sendHeaders = signed.headers as Record<string, string>;
      }
    }
    let answer: IncomingMessage | undefined;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = this.request({
        agent: this.s.agent as http.Agent,
        method,
        hostname: hostname.replace(/^\[|\]$/g, ''),
        port,
        path: qs ? `${path}?${qs}` : path,
        headers: sendHeaders,
        signal,
      });
      req.once('error', reject);
      if (this.s.timeoutMs > 0) {
        req.setTimeout(this.s.timeoutMs, () => {
          // The answer's body may be what went silent: its reader must see the timeout too.
          const err = timeoutError('the connection was silent longer than the socket inactivity timeout');
          answer?.destroy(err);
          req.destroy(err);
        });
      }
      if (this.s.conTimeoutMs > 0) {
        req.once('socket', (socket) => {
          if (!socket.connecting) return;
          const timer = setTimeout(() => req.destroy(timeoutError(`could not connect within ${this.s.conTimeoutMs} ms`)), this.s.conTimeoutMs);
          socket.once('connect', () => clearTimeout(timer));
          socket.once('close', () => clearTimeout(timer));
        });
      }
      req.once('response', (res) => resolve((answer = res)));
      req.end(body);
    });
  }

  private address(bucket: string | undefined, key: string | undefined): { hostname: string; port: number | undefined; path: string } {
    const e = this.s.endpoint;
    const port = e.port ? Number(e.port) : undefined;
    const base = e.pathname.replace(/\/+$/, '');
    const keyPath = key === undefined ? '' : encodeKey(key);
    if (bucket === undefined || bucket === '') return { hostname: e.hostname, port, path: `${base}/` };
    // Virtual-hosted style as the SDK does it: only for names that are valid host labels
    // (no dots over https, where they would break the certificate's wildcard).
    if (!this.s.pathStyle && /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) && !/^\d+\.\d+\.\d+\.\d+$/.test(e.hostname) && !e.hostname.startsWith('[')) {
      return { hostname: `${bucket}.${e.hostname}`, port, path: `${base}/${keyPath}` };
    }
    return { hostname: e.hostname, port, path: `${base}/${encodeURIComponent(bucket)}${key === undefined ? '' : `/${keyPath}`}` };
  }
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

/** RFC 3986 escaping, as SigV4 and the SDK's serialisers use. */
function escape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A key in a URL path: each segment escaped, the slashes kept. */
function encodeKey(key: string): string {
  return key.split('/').map(escape).join('/');
}

const METHOD: Record<LeanOp, string> = {
  HeadObject: 'HEAD',
  GetObject: 'GET',
  PutObject: 'PUT',
  CopyObject: 'PUT',
  ListObjectsV2: 'GET',
  ListObjects: 'GET',
  ListBuckets: 'GET',
  HeadBucket: 'HEAD',
};

const ALLOWED: Record<LeanOp, ReadonlySet<string>> = {
  HeadObject: new Set(['Bucket', 'Key']),
  GetObject: new Set(['Bucket', 'Key', 'Range']),
  PutObject: new Set(['Bucket', 'Key', 'Body', 'ContentLength', 'ContentMD5', 'Metadata', 'ContentType', 'CacheControl', 'ContentDisposition', 'ContentEncoding', 'ContentLanguage', 'ACL', 'StorageClass', 'ServerSideEncryption', 'SSEKMSKeyId']),
  CopyObject: new Set(['Bucket', 'Key', 'CopySource', 'MetadataDirective', 'Metadata', 'ContentType', 'CacheControl', 'ContentDisposition', 'ContentEncoding', 'ContentLanguage', 'ACL', 'StorageClass', 'ServerSideEncryption', 'SSEKMSKeyId', 'GrantRead', 'GrantReadACP', 'GrantWriteACP', 'GrantFullControl']),
  ListObjectsV2: new Set(['Bucket', 'Prefix', 'Delimiter', 'MaxKeys', 'EncodingType', 'ContinuationToken']),
  ListObjects: new Set(['Bucket', 'Prefix', 'Delimiter', 'MaxKeys', 'EncodingType', 'Marker']),
  ListBuckets: new Set([]),
  HeadBucket: new Set(['Bucket']),
};

function toRequest(op: LeanOp, i: Record<string, any>): { method: string; query: Record<string, string>; headers: Record<string, string>; body?: Buffer } {
  const headers: Record<string, string> = {};
  const query: Record<string, string> = {};
  const set = (q: string, v: unknown) => {
    if (v !== undefined && v !== null) query[q] = String(v);
  };
  switch (op) {
    case 'GetObject':
      if (i.Range) headers.range = i.Range;
      break;
    case 'PutObject':
      // Without a ContentType, what the SDK sends.
      headers['content-type'] = i.ContentType ?? 'application/octet-stream';
      // Content-MD5 has the server check every byte: hashing them again for the signature
      // (SHA-256) would add CPU and no protection.
      if (i.ContentMD5) headers['content-md5'] = i.ContentMD5;
      if (i.ContentMD5) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      objectHeaders(i, headers);
      return { method: 'PUT', query, headers, body: i.Body as Buffer };
    case 'CopyObject':
      // CopySource comes escaped (keys.ts copySource), as the SDK sends it.
      headers['x-amz-copy-source'] = i.CopySource;
      if (i.MetadataDirective) headers['x-amz-metadata-directive'] = i.MetadataDirective;
      if (i.ContentType) headers['content-type'] = i.ContentType;
      if (i.GrantRead) headers['x-amz-grant-read'] = i.GrantRead;
      if (i.GrantReadACP) headers['x-amz-grant-read-acp'] = i.GrantReadACP;
      if (i.GrantWriteACP) headers['x-amz-grant-write-acp'] = i.GrantWriteACP;
      if (i.GrantFullControl) headers['x-amz-grant-full-control'] = i.GrantFullControl;
      objectHeaders(i, headers);
      return { method: 'PUT', query, headers, body: EMPTY };
    case 'ListObjectsV2':
    case 'ListObjects':
      if (op === 'ListObjectsV2') query['list-type'] = '2';
      set('continuation-token', i.ContinuationToken);
      set('delimiter', i.Delimiter);
      set('encoding-type', i.EncodingType);
      set('marker', i.Marker);
      set('max-keys', i.MaxKeys);
      set('prefix', i.Prefix);
      break;
  }
  return { method: METHOD[op], query, headers };
}

const EMPTY = Buffer.alloc(0);

/** The headers a PUT and a CopyObject send alike for the object they make. */
function objectHeaders(i: Record<string, any>, headers: Record<string, string>): void {
  if (i.CacheControl) headers['cache-control'] = i.CacheControl;
  if (i.ContentDisposition) headers['content-disposition'] = i.ContentDisposition;
  if (i.ContentEncoding) headers['content-encoding'] = i.ContentEncoding;
  if (i.ContentLanguage) headers['content-language'] = i.ContentLanguage;
  if (i.ACL) headers['x-amz-acl'] = i.ACL;
  if (i.StorageClass) headers['x-amz-storage-class'] = i.StorageClass;
  if (i.ServerSideEncryption) headers['x-amz-server-side-encryption'] = i.ServerSideEncryption;
  if (i.SSEKMSKeyId) headers['x-amz-server-side-encryption-aws-kms-key-id'] = i.SSEKMSKeyId;
  for (const [k, v] of Object.entries((i.Metadata ?? {}) as Record<string, string>)) headers[`x-amz-meta-${k.toLowerCase()}`] = v;
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > MAX_XML) {
      res.destroy();
      throw new Error(`XML parse error: the answer is larger than ${MAX_XML} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** An error shaped as the SDK's (name = the S3 code, $metadata, $response) so mapS3Error reads it. */
async function errorOf(res: IncomingMessage, op: LeanOp, read?: string, asStatus?: number): Promise<Error> {
  const status = asStatus ?? res.statusCode ?? 0;
  let code = '';
  let message = '';
  let extra: Record<string, string> = {};
  if (METHOD[op] !== 'HEAD') {
    try {
      const body = fromXml(read ?? (await readText(res))) as { Error?: Record<string, unknown> };
      const e = body.Error;
      if (e && typeof e === 'object') {
        code = typeof e.Code === 'string' ? e.Code : '';
        message = typeof e.Message === 'string' ? e.Message : '';
        extra = Object.fromEntries(Object.entries(e).filter(([k, v]) => typeof v === 'string' && (k === 'Region' || k === 'BucketName'))) as Record<string, string>;
      }
    } catch {
      // Not XML (a proxy's page): the status says what happened.
    }
  } else res.resume();
  if (code === '' && status === 404) code = 'NotFound';
  const err = new Error(message || (code === '' ? 'UnknownError' : code));
  return Object.assign(err, { name: code || 'Unknown', ...extra, $fault: status >= 500 ? 'server' : 'client', $metadata: metadataOf(res.headers, status), $response: { statusCode: status, headers: flat(res.headers) } });
}

function flat(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
