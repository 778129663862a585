/**
 * Batched deletes on S3 (backends/s3/batch-delete.ts) against the test RGW: DeleteObjects
 * with 1,000 keys a request and Content-MD5, per-key errors mapped like single deletes,
 * answers that are not a DeleteResult or forget keys, a server without DeleteObjects (501),
 * keys XML can't carry; and `nclone sync` deleting 2,500 extra objects in 3 requests.
 * Requests are counted through the fault proxy, which forwards them unchanged unless a
 * test says otherwise.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, DeleteBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap } from '../../src/fs/configmap.js';
import { FsError } from '../../src/fs/errors.js';
import { DEFAULT_GLOBALS } from '../../src/fs/globals.js';
import { s3Backend } from '../../backends/s3/index.js';
import { newFs, type S3Fs } from '../../backends/s3/fs.js';
import { deleteKeys, type DeleteItem } from '../../backends/s3/batch-delete.js';
import { rgwOptions, s3Server, uniqueBucket } from '../helpers/s3.js';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';
import { dropBucket, observer, serverKeys } from './helpers-backend.js';
import { makeBase, makeCli } from './helpers-cli.js';
import { runNclone, via } from './helpers-faults.js';

const isBatch = (q: ProxiedRequest) => q.method === 'POST' && q.query.has('delete');
const isSingle = (q: ProxiedRequest) => q.method === 'DELETE';

let proxy: FaultProxy;
/** What the proxy does to the next requests; undefined forwards them as they are. */
let rule: ((q: ProxiedRequest) => Fault | undefined) | undefined;
const buckets: string[] = [];

beforeAll(async () => {
  proxy = await startFaultProxy(s3Server().endpoint, (q) => rule?.(q));
});
afterEach(() => {
  rule = undefined;
});
afterAll(async () => {
  await proxy?.close();
  for (const b of buckets) await dropBucket(b);
});

/** A fresh bucket holding the keys (each object's body is its key), written with the plain SDK. */
async function bucketWith(keys: string[]): Promise<string> {
  const bucket = uniqueBucket('nclone-batch');
  buckets.push(bucket);
  const c = observer();
  await c.send(new CreateBucketCommand({ Bucket: bucket }));
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!;
      await c.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return bucket;
}

/** An S3Fs on the RGW reached through the proxy (a new one has a new door: nothing remembered). */
async function proxiedFs(extra: Record<string, string> = {}, lowLevelRetries = 2): Promise<S3Fs> {
  const values = rgwOptions({ endpoint: proxy.endpoint, ...extra });
  const res = await newFs('rgw', '', new ConfigMap(s3Backend.options, [{ source: 'test', values }]), { ...DEFAULT_GLOBALS, lowLevelRetries });
  return res.fs as S3Fs;
}

const items = (keys: string[]): DeleteItem<string>[] => keys.map((key) => ({ key, obj: key }));
const numbered = (n: number, prefix = 'k/') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(5, '0')}`);

/** The proxy's requests from now on. */
function sinceNow(): () => ProxiedRequest[] {
  const start = proxy.requests.length;
  return () => proxy.requests.slice(start);
}

describe('deleteKeys against the RGW', () => {
  it('1,050 keys (some awkward, one already gone) go in 2 DeleteObjects requests with Content-MD5 and no CRC32', async () => {
    const awkward = ['a & b.txt', '<tag>.txt', 'quote"s\'.txt', 'sp ace /trailing ', 'ünïcødé/日本.txt', 'plus+percent%20.txt'];
    const keys = [...numbered(1050 - awkward.length - 1), ...awkward];
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    const seen = sinceNow();
    const failures = await deleteKeys(fs.door, bucket, items([...keys, 'never-there.txt']), {});
    expect(failures).toEqual([]);
    expect(await serverKeys(bucket)).toEqual([]);
    const batches = seen().filter(isBatch);
    expect(batches).toHaveLength(2);
    expect(seen().filter(isSingle)).toEqual([]);
    for (const q of batches) {
      expect(q.headers['content-md5']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Object.keys(q.headers).filter((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm')).toEqual([]);
    }
  });

  it('works with signature v2 too (Content-MD5 is part of what v2 signs)', async () => {
    const keys = numbered(5);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs({ v2_auth: 'true' });
    const seen = sinceNow();
    expect(await deleteKeys(fs.door, bucket, items(keys))).toEqual([]);
    expect(await serverKeys(bucket)).toEqual([]);
    expect(seen().filter(isBatch)).toHaveLength(1);
  });

  it('keys with control characters go one DELETE each, the others in the batch', async () => {
    const control = ['nl\nINFO  : forged.txt', 'esc\x1b[31mred.txt', 'tab\there.txt'];
    const keys = [...numbered(3), ...control];
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    const seen = sinceNow();
    expect(await deleteKeys(fs.door, bucket, items(keys))).toEqual([]);
    expect(await serverKeys(bucket)).toEqual([]);
    expect(seen().filter(isBatch)).toHaveLength(1);
    expect(seen().filter(isSingle).map((q) => q.path.replace(`/${bucket}/`, '')).sort()).toEqual([...control].sort());
  });

  it('a key the bucket policy forbids deleting is a permission error naming it; the others are deleted', async () => {
    const keys = [...numbered(4), 'locked/one.txt', 'locked/two.txt'];
    const bucket = await bucketWith(keys);
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: { AWS: ['*'] }, Action: ['s3:DeleteObject'], Resource: [`arn:aws:s3:::${bucket}/locked/*`] }],
    };
    await observer().send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    try {
      const fs = await proxiedFs();
      const failures = await deleteKeys(fs.door, bucket, items(keys));
      expect(failures.map((f) => f.obj).sort()).toEqual(['locked/one.txt', 'locked/two.txt']);
      for (const f of failures) {
        expect(f.err).toBeInstanceOf(FsError);
        expect((f.err as FsError).kind).toBe('permission');
        expect((f.err as FsError).retry).toBe('noRetry');
        expect((f.err as Error).message).toContain(`remove rgw:${bucket}/${f.obj}: access denied`);
      }
      expect((await serverKeys(bucket)).sort()).toEqual(['locked/one.txt', 'locked/two.txt']);
    } finally {
      await observer().send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
    }
  });

  it('a 200 that is not a DeleteResult fails every key of the request (retryable), and deletes nothing', async () => {
    const keys = numbered(3);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    rule = (q) => (isBatch(q) ? { respond: { status: 200, headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult></ListBucketResult>' } } : undefined);
    const failures = await deleteKeys(fs.door, bucket, items(keys));
    expect(failures.map((f) => f.obj)).toEqual(keys);
    for (const f of failures) {
      expect((f.err as FsError).retry).toBe('retryable');
      expect((f.err as Error).message).toMatch(/not with a DeleteResult/);
    }
    expect(await serverKeys(bucket)).toEqual(keys);
  });

  it('a web page with status 200 is not taken for success', async () => {
    const keys = numbered(2);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    rule = (q) => (isBatch(q) ? { respond: { status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Welcome</body></html>' } } : undefined);
    const failures = await deleteKeys(fs.door, bucket, items(keys));
    expect(failures.map((f) => f.obj)).toEqual(keys);
    expect(await serverKeys(bucket)).toEqual(keys);
  });

  it('a key the answer does not mention is a failure, not a silent success', async () => {
    const keys = numbered(3);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    const dropped = keys[1]!;
    rule = (q) => (isBatch(q) ? { mutateBody: (b) => Buffer.from(b.toString('utf8').replace(`<Deleted><Key>${dropped}</Key></Deleted>`, '')) } : undefined);
    const failures = await deleteKeys(fs.door, bucket, items(keys));
    expect(failures.map((f) => f.obj)).toEqual([dropped]);
    expect((failures[0]!.err as Error).message).toMatch(/did not say whether it was deleted/);
  });

  it('a server answering 501 NotImplemented: the keys go one by one, and so does every later call on that remote', async () => {
    const keys = numbered(6);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    rule = (q) => (isBatch(q) ? { status: 501, code: 'NotImplemented', message: 'A header you provided implies functionality that is not implemented' } : undefined);
    const first = sinceNow();
    expect(await deleteKeys(fs.door, bucket, items(keys.slice(0, 3)))).toEqual([]);
    expect(first().filter(isBatch).length).toBeGreaterThan(0);
    expect(first().filter(isSingle)).toHaveLength(3);
    const second = sinceNow();
    expect(await deleteKeys(fs.door, bucket, items(keys.slice(3)))).toEqual([]);
    expect(second().filter(isBatch)).toEqual([]);
    expect(second().filter(isSingle)).toHaveLength(3);
    expect(await serverKeys(bucket)).toEqual([]);
  });

  it('a request that keeps failing reports each of its keys, with the error of the request', async () => {
    const keys = numbered(3);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    rule = (q) => (isBatch(q) ? { status: 500 } : undefined);
    const failures = await deleteKeys(fs.door, bucket, items(keys));
    expect(failures.map((f) => f.obj)).toEqual(keys);
    expect((failures[0]!.err as FsError).retry).toBe('retryable');
    expect(await serverKeys(bucket)).toEqual(keys);
  });

  it('an aborted call sends nothing', async () => {
    const keys = numbered(2);
    const bucket = await bucketWith(keys);
    const fs = await proxiedFs();
    const seen = sinceNow();
    const stop = new AbortController();
    stop.abort(new Error('stop'));
    await expect(deleteKeys(fs.door, bucket, items(keys), { signal: stop.signal })).rejects.toBeDefined();
    expect(seen()).toEqual([]);
    expect(await serverKeys(bucket)).toEqual(keys);
  });
});

describe('nclone sync deletes in batches (needs S3Fs.removeMany wired to deleteKeys)', () => {
  let base: string;
  afterAll(() => {
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('a bucket with 2,500 extra objects: 3 DeleteObjects requests, no single DELETE, only the source file left', async () => {
    base = makeBase('batch-delete');
    const cli = makeCli(base, false);
    const src = path.join(base, 'src');
    nfs.mkdirSync(src, { recursive: true });
    nfs.writeFileSync(path.join(src, 'keep.txt'), 'keep');
    const bucket = await bucketWith(numbered(2500, 'extra/'));
    const seen = sinceNow();
    const r = await runNclone(['sync', src, `rgw:${bucket}`, '-v'], via(cli.env, proxy.endpoint), 180_000);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    expect(await serverKeys(bucket)).toEqual(['keep.txt']);
    expect(seen().filter(isBatch)).toHaveLength(3);
    expect(seen().filter(isSingle)).toEqual([]);
    expect(r.stderr.match(/: extra\/\d+: Deleted$/gm)).toHaveLength(2500);
    // Writing 2,500 objects takes most of this on a busy 2-core machine.
  }, 300_000);
});
