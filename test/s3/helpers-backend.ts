/**
 * Helpers for the S3 backend tests: an independent observer (the AWS SDK used directly,
 * not through nclone), unsigned HTTP requests for anonymous checks, and clean-up.
 */
import * as http from 'node:http';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ListMultipartUploadsCommand, ListObjectsV2Command, DeleteObjectCommand, DeleteBucketCommand, S3Client, AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { s3Server } from '../helpers/s3.js';

let observerClient: S3Client | undefined;

/** A plain SDK client on the test RGW with the main user's keys: sees what the server really holds. */
export function observer(): S3Client {
  if (!observerClient) {
    const s = s3Server();
    observerClient = new S3Client({
      endpoint: s.endpoint,
      region: s.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }
  return observerClient;
}

/** Multipart uploads in progress in a bucket, as "key uploadId". */
export async function pendingUploads(bucket: string): Promise<string[]> {
  const res = await observer().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (res.Uploads ?? []).map((u) => `${u.Key} ${u.UploadId}`);
}

/** Waits (briefly) for a bucket to have no multipart uploads in progress, then asserts it. */
export async function expectNoPendingUploads(bucket: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = await pendingUploads(bucket);
  while (pending.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    pending = await pendingUploads(bucket);
  }
  expect(pending).toEqual([]);
}

/** All keys of a bucket under a prefix, as the server lists them. */
export async function serverKeys(bucket: string, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await observer().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of res.Contents ?? []) keys.push(o.Key!);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Deletes every object and pending upload of a bucket, then the bucket; a missing bucket is fine. */
export async function dropBucket(bucket: string): Promise<void> {
  const c = observer();
  try {
    const uploads = await c.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const u of uploads.Uploads ?? []) await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
    for (const k of await serverKeys(bucket)) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }));
    await c.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
  }
}

/** An unsigned GET (no Authorization header at all) of a path-style URL on the test RGW. */
export function anonymousGet(path: string): Promise<{ status: number; body: Buffer }> {
  const url = new URL(s3Server().endpoint);
  if (url.hostname !== '127.0.0.1') throw new Error(`refusing to contact ${url.hostname}`);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: Number(url.port), path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The path of an object in a path-style URL: bucket and each key segment percent-encoded. */
export function objectPath(bucket: string, key: string): string {
  return `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

const AWS_VARS = /^AWS_/;

/**
 * Removes every AWS_* variable from process.env (keeping AWS_EC2_METADATA_DISABLED=true so the
 * SDK never reaches for an instance metadata service) and returns a function that restores them.
 */
export function clearAwsEnv(): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(process.env)) {
    if (AWS_VARS.test(k)) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  }
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  return () => {
    for (const k of Object.keys(process.env)) if (AWS_VARS.test(k)) delete process.env[k];
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  };
}

/** Sets environment variables for the duration of fn, then puts the previous values back. */
export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    before[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A tiny S3 stand-in on 127.0.0.1 that records each request's headers. `answer` may reply to a
 * request; otherwise GETs get an empty listing and everything else 404, which is all a header
 * check needs. For what the test RGW cannot do (e.g. storage classes other than STANDARD).
 */
export async function recordingServer(
  answer?: (req: RecordedRequest) => { status: number; headers?: Record<string, string>; body?: string } | undefined,
): Promise<{ endpoint: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(rec);
    req.resume();
    req.on('end', () => {
      const custom = answer?.(rec);
      if (custom) {
        const body = custom.body ?? '';
        res.writeHead(custom.status, { 'content-length': String(Buffer.byteLength(body)), ...custom.headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      } else if (req.method === 'GET') {
        const body =
          '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          '<Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>';
        res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.writeHead(404, { 'content-length': 0 });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Options for a remote on the test RGW with no keys at all: anonymous unless env_auth is set. */
export function keylessOptions(extra: Record<string, string> = {}): Record<string, string> {
  const s = s3Server();
  return { provider: 'Ceph', endpoint: s.endpoint, region: s.region, ...extra };
}

const rgwScript = fileURLToPath(new URL('../servers/ceph-rgw.sh', import.meta.url));

/** Creates another RGW user with the given keys (radosgw-admin through ceph-rgw.sh admin). */
export async function makeRgwUser(uid: string, accessKeyId: string, secretAccessKey: string): Promise<void> {
  await promisify(execFile)('bash', [rgwScript, 'admin', s3Server().dir, 'user', 'create', `--uid=${uid}`, `--display-name=${uid}`, `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`]);
}
