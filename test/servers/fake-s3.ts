/**
 * A small fake S3 server on 127.0.0.1 that misbehaves on purpose.
 *
 * This is the one place a fake server fits: the tests of everything else run against the
 * real Ceph RGW (test/servers/ceph-rgw.sh), directly or through the fault proxy
 * (fault-proxy.ts), but the RGW cannot be made to send invalid XML, a Content-Length longer
 * than its body, a listing whose continuation token repeats forever, a listing page whose
 * keys are not sorted, a 200 answer with an <Error> body to CopyObject or
 * CompleteMultipartUpload (real S3 does this: the error happens after the 200 went out), or
 * to accept a connection and never answer. So this server speaks just enough path-style S3
 * (no signature checks) for nclone to list, read, write and copy objects, and answers the
 * chosen operations with the chosen misbehaviour.
 *
 * Operations: ListBuckets, HeadBucket, CreateBucket, ListObjects, ListObjectsV2,
 * ListMultipartUploads, HeadObject, GetObject, PutObject, CopyObject, DeleteObject,
 * DeleteObjects, CreateMultipartUpload, UploadPart, UploadPartCopy,
 * CompleteMultipartUpload, AbortMultipartUpload, ListParts.
 */
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';

export type Misbehaviour =
  | 'invalidXml' // the XML answer cut off in the middle of an element (status 200, matching Content-Length)
  | 'shortBody' // Content-Length larger than the body sent; the connection is then closed
  | 'repeatToken' // every listing page says "more" and gives the same continuation token / marker again
  | 'unsortedListing' // listing pages whose keys are in reverse order (the set of keys is complete)
  | 'error200' // 200 OK whose body is <Error><Code>InternalError</Code>... (CopyObject, CompleteMultipartUpload)
  | 'neverAnswer'; // the request is read, and no answer ever comes (the connection stays open)

export type S3Op =
  | 'ListBuckets'
  | 'HeadBucket'
  | 'CreateBucket'
  | 'DeleteBucket'
  | 'ListObjects'
  | 'ListObjectsV2'
  | 'ListMultipartUploads'
  | 'GetBucketLocation'
  | 'HeadObject'
  | 'GetObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'Unknown';

export interface FakeObject {
  body: Buffer;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export interface FakeUpload {
  bucket: string;
  key: string;
  parts: Map<number, Buffer>;
  state: 'open' | 'completed' | 'aborted';
}

export interface FakeRequest {
  op: S3Op;
  method: string;
  path: string;
  query: URLSearchParams;
  /** Whether this request got the misbehaviour. */
  misbehaved: boolean;
}

export interface FakeS3Options {
  /** Buckets and their objects (key to content). */
  buckets?: Record<string, Record<string, string | Buffer>>;
  misbehave?: Misbehaviour;
  /** The operations that misbehave (default: every operation the misbehaviour can apply to). */
  ops?: S3Op[];
}

export interface FakeS3 {
  endpoint: string /* http://127.0.0.1:PORT */;
  requests: FakeRequest[];
  buckets: Map<string, Map<string, FakeObject>>;
  uploads: Map<string, FakeUpload>;
  /** Connections accepted so far. */
  connections: () => number;
  close(): Promise<void>;
}

/** The operations each misbehaviour applies to unless FakeS3Options.ops says otherwise. */
const DEFAULT_OPS: Record<Misbehaviour, S3Op[]> = {
  invalidXml: ['ListObjects', 'ListObjectsV2', 'CopyObject', 'CreateMultipartUpload', 'CompleteMultipartUpload', 'ListBuckets'],
  shortBody: ['GetObject', 'ListObjects', 'ListObjectsV2'],
  repeatToken: ['ListObjects', 'ListObjectsV2'],
  unsortedListing: ['ListObjects', 'ListObjectsV2'],
  error200: ['CopyObject', 'UploadPartCopy', 'CompleteMultipartUpload'],
  neverAnswer: [
    'ListBuckets', 'HeadBucket', 'CreateBucket', 'ListObjects', 'ListObjectsV2', 'HeadObject', 'GetObject', 'PutObject', 'CopyObject',
    'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'DeleteObject', 'DeleteObjects',
  ],
};

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function x(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function classify(method: string, bucket: string, key: string, q: URLSearchParams, headers: http.IncomingHttpHeaders): S3Op {
  if (bucket === '') return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (key === '') {
    switch (method) {
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return 'CreateBucket';
      case 'DELETE':
        return 'DeleteBucket';
      case 'POST':
        return q.has('delete') ? 'DeleteObjects' : 'Unknown';
      case 'GET':
        if (q.has('uploads')) return 'ListMultipartUploads';
        if (q.has('location')) return 'GetBucketLocation';
        return q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
    }
    return 'Unknown';
  }
  switch (method) {
    case 'HEAD':
      return 'HeadObject';
    case 'GET':
      return q.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'PUT':
      if (headers['x-amz-copy-source'] !== undefined) return q.has('partNumber') ? 'UploadPartCopy' : 'CopyObject';
      return q.has('partNumber') ? 'UploadPart' : 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Unknown';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
  }
  return 'Unknown';
}

export function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const buckets = new Map<string, Map<string, FakeObject>>();
  const uploads = new Map<string, FakeUpload>();
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const misbehaviour = options.misbehave;
  const misOps = new Set(options.ops ?? (misbehaviour ? DEFAULT_OPS[misbehaviour] : []));
  const T = new Date('2024-01-02T03:04:05.000Z');

  const store = (bucket: string, key: string, body: Buffer, metadata: Record<string, string> = {}, etag = `"${md5(body)}"`) => {
    buckets.get(bucket)!.set(key, { body, etag, lastModified: T, metadata });
  };
  for (const [bucket, objects] of Object.entries(options.buckets ?? {})) {
    buckets.set(bucket, new Map());
    for (const [key, body] of Object.entries(objects)) store(bucket, key, Buffer.from(body));
  }

  // A server that never answers must not be cut off by Node's own request timeouts either.
  const server = http.createServer({ requestTimeout: 0, headersTimeout: 0 }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const segments = url.pathname.split('/');
    const bucket = decodeURIComponent(segments[1] ?? '');
    const key = segments.slice(2).map(decodeURIComponent).join('/');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const op = classify(method, bucket, key, q, req.headers);
    const misbehave = misbehaviour !== undefined && misOps.has(op) ? misbehaviour : undefined;
    requests.push({ op, method, path: url.pathname, query: q, misbehaved: misbehave !== undefined });

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (misbehave === 'neverAnswer') return; // read it all, say nothing, keep the connection open
      try {
        handle(Buffer.concat(chunks));
      } catch (err) {
        send(500, errorXml('InternalError', `fake S3 threw: ${String(err)}`));
      }
    });

    function send(status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      const h: Record<string, string> = { 'x-amz-request-id': 'tx-fake-s3', ...headers };
      if (h['content-type'] === undefined && buf.length > 0) h['content-type'] = 'application/xml';
      if (misbehave === 'shortBody' && method !== 'HEAD' && buf.length > 1) {
        // The length of the whole body, half of it, then the connection closes.
        res.writeHead(status, { ...h, 'content-length': String(buf.length) });
        res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => setImmediate(() => res.socket?.end()));
        return;
      }
      if (misbehave === 'invalidXml' && status === 200 && h['content-type'] === 'application/xml' && buf.length > 0) {
        // Well-formed up to the middle of an element, then nothing: a body cut on the way.
        // (Cut two characters into the first key, upload id, ETag or name: an unclosed element.)
        const text = buf.toString('utf8');
        const at = ['<Key>', '<UploadId>', '<ETag>', '<Name>'].map((t) => [text.indexOf(t), t.length]).find(([i]) => i! >= 0);
        const cut = Buffer.from(text.slice(0, at ? at[0]! + at[1]! + 2 : Math.floor(text.length * 0.6)));
        res.writeHead(status, { ...h, 'content-length': String(cut.length) });
        res.end(cut);
        return;
      }
      res.writeHead(status, { ...h, 'content-length': String(buf.length) });
      res.end(method === 'HEAD' ? undefined : buf);
    }

    function errorXml(code: string, message: string): string {
      return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${x(code)}</Code><Message>${x(message)}</Message><Resource>${x(url.pathname)}</Resource><RequestId>tx-fake-s3</RequestId></Error>`;
    }

    function fail(status: number, code: string, message: string): void {
      send(status, method === 'HEAD' ? '' : errorXml(code, message));
    }

    function objectHeaders(o: FakeObject): Record<string, string> {
      const h: Record<string, string> = { etag: o.etag, 'last-modified': o.lastModified.toUTCString(), 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
      for (const [k, v] of Object.entries(o.metadata)) h[`x-amz-meta-${k}`] = v;
      return h;
    }

    function handle(body: Buffer): void {
      const objects = buckets.get(bucket);
      if (op === 'ListBuckets') {
        const list = [...buckets.keys()].map((b) => `<Bucket><Name>${x(b)}</Name><CreationDate>${T.toISOString()}</CreationDate></Bucket>`).join('');
        return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>fake</ID><DisplayName>fake</DisplayName></Owner><Buckets>${list}</Buckets></ListAllMyBucketsResult>`);
      }
      if (op === 'CreateBucket') {
        if (!objects) buckets.set(bucket, new Map());
        return send(200, '', { location: `/${bucket}` });
      }
      if (!objects) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
      switch (op) {
        case 'HeadBucket':
          return send(200, '');
        case 'DeleteBucket':
          if (objects.size > 0) return fail(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty');
          buckets.delete(bucket);
          return send(204, '');
        case 'GetBucketLocation':
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${NS}"></LocationConstraint>`);
        case 'ListObjects':
        case 'ListObjectsV2':
          return list(objects, op === 'ListObjectsV2');
        case 'ListMultipartUploads': {
          const open = [...uploads.entries()].filter(([, u]) => u.bucket === bucket && u.state === 'open');
          const xml = open.map(([id, u]) => `<Upload><Key>${x(u.key)}</Key><UploadId>${x(id)}</UploadId><Initiated>${T.toISOString()}</Initiated></Upload>`).join('');
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="${NS}"><Bucket>${x(bucket)}</Bucket><IsTruncated>false</IsTruncated>${xml}</ListMultipartUploadsResult>`);
        }
        case 'HeadObject':
        case 'GetObject': {
          const o = objects.get(key);
          if (!o) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
          const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
          if (range && op === 'GetObject') {
            const start = Number(range[1]);
            const end = range[2] === '' ? o.body.length - 1 : Math.min(Number(range[2]), o.body.length - 1);
            return send(206, o.body.subarray(start, end + 1), { ...objectHeaders(o), 'content-range': `bytes ${start}-${end}/${o.body.length}` });
          }
          if (op === 'HeadObject') {
            res.writeHead(200, { ...objectHeaders(o), 'content-length': String(o.body.length), 'x-amz-request-id': 'tx-fake-s3' });
            return void res.end();
          }
          return send(200, o.body, objectHeaders(o));
        }
        case 'PutObject':
          store(bucket, key, body, metadataOf(req.headers));
          return send(200, '', { etag: `"${md5(body)}"` });
        case 'CopyObject': {
          const src = copySource(String(req.headers['x-amz-copy-source']));
          if (!src) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
          if (misbehave === 'error200') return send(200, errorXml('InternalError', 'We encountered an internal error. Please try again.'));
          const meta = req.headers['x-amz-metadata-directive'] === 'REPLACE' ? metadataOf(req.headers) : { ...src.metadata };
          store(bucket, key, src.body, meta, src.etag);
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="${NS}"><LastModified>${T.toISOString()}</LastModified><ETag>${x(src.etag)}</ETag></CopyObjectResult>`);
        }
        case 'DeleteObject':
          objects.delete(key);
          return send(204, '');
        case 'DeleteObjects': {
          const keys = [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
          for (const k of keys) objects.delete(k);
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${NS}">${keys.map((k) => `<Deleted><Key>${x(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
        }
        case 'CreateMultipartUpload': {
          const id = randomBytes(8).toString('hex');
          uploads.set(id, { bucket, key, parts: new Map(), state: 'open' });
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult xmlns="${NS}"><Bucket>${x(bucket)}</Bucket><Key>${x(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
        }
        case 'UploadPart':
        case 'UploadPartCopy': {
          const u = uploads.get(q.get('uploadId') ?? '');
          if (!u || u.state !== 'open') return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
          if (op === 'UploadPartCopy') {
            if (misbehave === 'error200') return send(200, errorXml('InternalError', 'We encountered an internal error. Please try again.'));
            const src = copySource(String(req.headers['x-amz-copy-source']));
            if (!src) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
            const r = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers['x-amz-copy-source-range'] ?? ''));
            const part = r ? src.body.subarray(Number(r[1]), Number(r[2]) + 1) : src.body;
            u.parts.set(Number(q.get('partNumber')), part);
            return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult><ETag>"${md5(part)}"</ETag><LastModified>${T.toISOString()}</LastModified></CopyPartResult>`);
          }
          u.parts.set(Number(q.get('partNumber')), body);
          return send(200, '', { etag: `"${md5(body)}"` });
        }
        case 'CompleteMultipartUpload': {
          const id = q.get('uploadId') ?? '';
          const u = uploads.get(id);
          if (!u || u.state !== 'open') return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
          // Real S3 may already have sent 200 and its keep-alive spaces when the completion fails.
          if (misbehave === 'error200') return send(200, errorXml('InternalError', 'We encountered an internal error. Please try again.'));
          const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
          const parts = numbers.map((n) => u.parts.get(n));
          if (parts.some((p) => p === undefined)) return fail(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          const all = Buffer.concat(parts as Buffer[]);
          const etag = `"${md5(Buffer.concat((parts as Buffer[]).map((p) => createHash('md5').update(p).digest())))}-${parts.length}"`;
          store(u.bucket, u.key, all, {}, etag);
          u.state = 'completed';
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult xmlns="${NS}"><Location>/${x(bucket)}/${x(key)}</Location><Bucket>${x(bucket)}</Bucket><Key>${x(key)}</Key><ETag>${x(etag)}</ETag></CompleteMultipartUploadResult>`);
        }
        case 'AbortMultipartUpload': {
          const u = uploads.get(q.get('uploadId') ?? '');
          if (!u || u.state !== 'open') return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
          u.state = 'aborted';
          return send(204, '');
        }
        case 'ListParts': {
          const u = uploads.get(q.get('uploadId') ?? '');
          if (!u || u.state !== 'open') return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
          const xml = [...u.parts.entries()].sort(([a], [b]) => a - b).map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><ETag>"${md5(p)}"</ETag><Size>${p.length}</Size></Part>`).join('');
          return send(200, `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="${NS}"><Bucket>${x(bucket)}</Bucket><Key>${x(key)}</Key><UploadId>${x(q.get('uploadId')!)}</UploadId><IsTruncated>false</IsTruncated>${xml}</ListPartsResult>`);
        }
        default:
          return fail(501, 'NotImplemented', `the fake S3 server does not do ${method} ${url.pathname}?${q}`);
      }
    }

    function copySource(header: string): FakeObject | undefined {
      const decoded = decodeURIComponent(header.replace(/^\//, '').split('?')[0]!);
      const slash = decoded.indexOf('/');
      return buckets.get(decoded.slice(0, slash))?.get(decoded.slice(slash + 1));
    }

    function list(objects: Map<string, FakeObject>, v2: boolean): void {
      const prefix = q.get('prefix') ?? '';
      const delimiter = q.get('delimiter') ?? '';
      const maxKeys = Math.max(1, Math.min(1000, Number(q.get('max-keys') ?? '1000') || 1000));
      const encode = q.get('encoding-type') === 'url';
      const enc = (s: string) => x(encode ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
      const position = (v2 ? q.get('continuation-token') ?? q.get('start-after') : q.get('marker')) ?? '';
      // Every entry of this listing, sorted as S3 sorts them: keys, and common prefixes in their place.
      const entries: { name: string; prefix: boolean; o?: FakeObject }[] = [];
      const seenPrefixes = new Set<string>();
      for (const k of [...objects.keys()].sort(compareKeys)) {
        if (!k.startsWith(prefix)) continue;
        const rest = k.slice(prefix.length);
        const d = delimiter ? rest.indexOf(delimiter) : -1;
        if (d >= 0) {
          const p = prefix + rest.slice(0, d + delimiter.length);
          if (!seenPrefixes.has(p)) entries.push({ name: p, prefix: true });
          seenPrefixes.add(p);
        } else entries.push({ name: k, prefix: false, o: objects.get(k) });
      }
      let page: typeof entries;
      let truncated: boolean;
      let next: string | undefined;
      if (misbehave === 'repeatToken') {
        // Always the first entry, always "there is more", always the same place to go on from.
        page = entries.slice(0, 1);
        truncated = true;
        next = v2 ? 'fake-token-always-the-same' : (page[0]?.name ?? 'a');
      } else {
        const after = entries.filter((e) => position === '' || compareKeys(e.name, position) > 0);
        page = after.slice(0, maxKeys);
        truncated = after.length > page.length;
        next = truncated ? page.at(-1)!.name : undefined;
        if (misbehave === 'unsortedListing') page = [...page].reverse();
      }
      const contents = page
        .filter((e) => !e.prefix)
        .map((e) => `<Contents><Key>${enc(e.name)}</Key><LastModified>${e.o!.lastModified.toISOString()}</LastModified><ETag>${x(e.o!.etag)}</ETag><Size>${e.o!.body.length}</Size><Owner><ID>fake</ID><DisplayName>fake</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>`)
        .join('');
      const prefixes = page.filter((e) => e.prefix).map((e) => `<CommonPrefixes><Prefix>${enc(e.name)}</Prefix></CommonPrefixes>`).join('');
      const head =
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${NS}"><Name>${x(bucket)}</Name><Prefix>${enc(prefix)}</Prefix>` +
        (v2 ? `<KeyCount>${page.length}</KeyCount>` : `<Marker>${enc(position)}</Marker>`) +
        `<MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${x(delimiter)}</Delimiter>` : ''}${encode ? '<EncodingType>url</EncodingType>' : ''}<IsTruncated>${truncated}</IsTruncated>`;
      const nextXml = next === undefined ? '' : v2 ? `<NextContinuationToken>${x(next)}</NextContinuationToken>` : `<NextMarker>${enc(next)}</NextMarker>`;
      const continuation = v2 && position ? `<ContinuationToken>${x(position)}</ContinuationToken>` : '';
      send(200, `${head}${continuation}${nextXml}${contents}${prefixes}</ListBucketResult>`);
    }
  });

  function metadataOf(headers: http.IncomingHttpHeaders): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') out[k.slice('x-amz-meta-'.length)] = v;
    return out;
  }

  server.on('connection', (s) => {
    connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  server.keepAliveTimeout = 60_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests,
        buckets,
        uploads,
        connections: () => connections,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          }),
      });
    });
  });
}
