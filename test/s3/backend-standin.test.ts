/**
 * What the test Ceph RGW cannot show: it only offers the STANDARD storage class (others need
 * zone placement changes and a gateway restart). A small HTTP stand-in on 127.0.0.1 answers
 * as S3 does for archived and infrequent-access objects, and records what nclone sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgwOptions, s3Fs } from '../helpers/s3.js';
import { T1, T3, expectFsError, readAll } from '../conformance/helpers.js';
import { recordingServer, type RecordedRequest } from './helpers-backend.js';

type Answer = { status: number; headers?: Record<string, string>; body?: string };

const LAST_MODIFIED = 'Tue, 14 Nov 2023 22:13:20 GMT';

/** HEAD answers by key: storage class and restore state as S3 reports them. */
const OBJECTS: Record<string, Record<string, string>> = {
  'ia.txt': { 'x-amz-storage-class': 'STANDARD_IA', 'content-type': 'text/plain; charset=utf-8' },
  'cold.txt': { 'x-amz-storage-class': 'GLACIER' },
  'thawing.txt': { 'x-amz-storage-class': 'GLACIER', 'x-amz-restore': 'ongoing-request="true"' },
  'thawed.txt': { 'x-amz-storage-class': 'DEEP_ARCHIVE', 'x-amz-restore': 'ongoing-request="false", expiry-date="Fri, 21 Dec 2040 00:00:00 GMT"' },
};

const ACL_XML =
  '<?xml version="1.0" encoding="UTF-8"?><AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Owner><ID>ownerid</ID><DisplayName>owner</DisplayName></Owner><AccessControlList>' +
  '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant>' +
  '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>ownerid</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>' +
  '</AccessControlList></AccessControlPolicy>';

const LISTING =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
  '<Name>archive</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>' +
  `<Contents><Key>cold.txt</Key><LastModified>2023-11-14T22:13:20.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag><Size>6</Size><StorageClass>GLACIER</StorageClass></Contents>` +
  '</ListBucketResult>';

function answer(req: RecordedRequest): Answer | undefined {
  const url = new URL(req.url, 'http://127.0.0.1');
  const key = decodeURIComponent(url.pathname.replace(/^\/archive\/?/, ''));
  if (req.method === 'HEAD' && OBJECTS[key]) {
    return {
      status: 200,
      headers: {
        'content-length': '6',
        'last-modified': LAST_MODIFIED,
        etag: '"0123456789abcdef0123456789abcdef"',
        'x-amz-meta-mtime': '1700000000.123456789',
        'x-amz-meta-custom': 'kept',
        ...OBJECTS[key],
      },
    };
  }
  if (req.method === 'GET' && url.searchParams.has('acl')) return { status: 200, headers: { 'content-type': 'application/xml' }, body: ACL_XML };
  if (req.method === 'GET' && key === '') return { status: 200, headers: { 'content-type': 'application/xml' }, body: LISTING };
  if (req.method === 'GET' && OBJECTS[key]) return { status: 200, body: 'thawed' };
  if (req.method === 'PUT' && req.headers['x-amz-copy-source']) {
    return { status: 200, headers: { 'content-type': 'application/xml' }, body: `<CopyObjectResult><LastModified>2023-11-14T22:13:20.000Z</LastModified><ETag>"0123456789abcdef0123456789abcdef"</ETag></CopyObjectResult>` };
  }
  return undefined;
}

let server: Awaited<ReturnType<typeof recordingServer>>;

beforeAll(async () => {
  server = await recordingServer(answer);
});

afterAll(async () => {
  await server.close();
});

const archive = () => s3Fs('archive', rgwOptions({ endpoint: server.endpoint }));

describe('storage classes other than STANDARD (stand-in server)', () => {
  it('setModTime keeps the storage class, content type, user metadata and grants of the object', async () => {
    const { fs } = await archive();
    const o = await fs.newObject('ia.txt');
    expect(await o.modTime()).toBe(T1);
    server.requests.length = 0;
    await o.setModTime(T3);
    const copy = server.requests.find((r) => r.method === 'PUT')!;
    expect(copy.headers['x-amz-copy-source']).toBe('archive/ia.txt');
    expect(copy.headers['x-amz-metadata-directive']).toBe('REPLACE');
    expect(copy.headers['x-amz-storage-class']).toBe('STANDARD_IA');
    expect(copy.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(copy.headers['x-amz-meta-custom']).toBe('kept');
    expect(copy.headers['x-amz-meta-mtime']).toBe('1500000000.000000001');
    expect(copy.headers['x-amz-grant-read']).toBe('uri="http://acs.amazonaws.com/groups/global/AllUsers"');
    expect(copy.headers['x-amz-grant-full-control']).toBe('id="ownerid"');
    expect(copy.headers['x-amz-acl']).toBeUndefined();
    expect(await o.modTime()).toBe(T3);
  });

  it('a configured acl is sent instead of the object grants', async () => {
    const { fs } = await s3Fs('archive', rgwOptions({ endpoint: server.endpoint, acl: 'private' }));
    const o = await fs.newObject('ia.txt');
    server.requests.length = 0;
    await o.setModTime(T3);
    expect(server.requests.some((r) => r.url.includes('acl'))).toBe(false);
    const copy = server.requests.find((r) => r.method === 'PUT')!;
    expect(copy.headers['x-amz-acl']).toBe('private');
    expect(copy.headers['x-amz-grant-read']).toBeUndefined();
  });

  it('setModTime of an archived object is notSupported (the engine uploads it again) and sends no copy', async () => {
    const { fs } = await archive();
    for (const key of ['cold.txt', 'thawed.txt']) {
      server.requests.length = 0;
      const o = await fs.newObject(key);
      await expectFsError(o.setModTime(T3), 'notSupported');
      expect(server.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    }
    // Found by a listing (no HEAD yet) too.
    const listed = (await fs.list('')).find((e) => e.remote === 'cold.txt');
    expect(listed?.kind).toBe('object');
    if (listed?.kind === 'object') await expectFsError(listed.setModTime(T3), 'notSupported');
  });

  it('opening an archived object needs a finished restore', async () => {
    const { fs } = await archive();
    for (const key of ['cold.txt', 'thawing.txt']) {
      const err = await expectFsError((await fs.newObject(key)).open(), 'other');
      expect(err.message).toMatch(/restore first/);
      expect(err.retry).toBe('noRetry');
    }
    const listed = (await fs.list('')).find((e) => e.remote === 'cold.txt');
    if (listed?.kind !== 'object') throw new Error('cold.txt not listed');
    await expectFsError(listed.open(), 'other');
    const thawed = await fs.newObject('thawed.txt');
    expect((await readAll(await thawed.open())).toString()).toBe('thawed');
  });
});
