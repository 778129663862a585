/**
 * S3 backend on the test Ceph RGW: multipart uploads (content, ETag, stored MD5), failed and
 * interrupted uploads leaving no parts, and server-side copy (CopyObject and UploadPartCopy).
 * An SDK client used directly (helpers-backend.ts) observes what the server really holds.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AbortMultipartUploadCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { FsError } from '../../src/fs/errors.js';
import type { SrcInfo } from '../../src/fs/types.js';
import { rgwOptions, s3Fs, uniqueBucket } from '../helpers/s3.js';
import { T1, T2, expectFsError, readAll, streamOf } from '../conformance/helpers.js';
import { dropBucket, expectNoPendingUploads, observer, pendingUploads, serverKeys } from './helpers-backend.js';
import type { S3Object } from '../../backends/s3/object.js';

const MiB = 1024 * 1024;
const bucket = uniqueBucket('backend-mp');
const bucket2 = uniqueBucket('backend-mp2');

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** A multipart remote: anything of 1 MiB or more goes up in 5 MiB parts. */
const multipart = () => rgwOptions({ upload_cutoff: '1Mi', chunk_size: '5Mi' });

function src(remote: string, data: Buffer, withHash = true): SrcInfo {
  const info: SrcInfo = { remote, size: data.length, modTime: T1 };
  if (withHash) info.hash = async (t) => (t === 'md5' ? md5(data) : '');
  return info;
}

async function head(key: string, b = bucket) {
  return observer().send(new HeadObjectCommand({ Bucket: b, Key: key }));
}

async function expectAbsent(key: string): Promise<void> {
  const err = await head(key).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect((err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode, `${key} should not exist`).toBe(404);
}

beforeAll(async () => {
  const { fs } = await s3Fs('');
  await fs.mkdir(bucket);
  await fs.mkdir(bucket2);
});

afterAll(async () => {
  await dropBucket(bucket);
  await dropBucket(bucket2);
});

describe('multipart upload', () => {
  it('round-trips a 12 MiB stream in 5 MiB parts, storing the whole-file MD5 in metadata', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const data = randomBytes(12 * MiB);
    const obj = (await fs.put(streamOf(data, 64 * 1024), src('mp/big.bin', data))) as S3Object;
    expect(obj.size).toBe(data.length);
    expect(await obj.hash('md5')).toBe(md5(data));

    const h = await head('mp/big.bin');
    expect(h.ContentLength).toBe(data.length);
    expect(h.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(h.Metadata?.md5chksum).toBe(createHash('md5').update(data).digest('base64'));
    expect(h.Metadata?.mtime).toBe('1700000000.123456789');

    const again = await fs.newObject('mp/big.bin');
    expect(again.size).toBe(data.length);
    expect(await again.hash('md5')).toBe(md5(data));
    expect(await again.modTime()).toBe(T1);
    const back = await readAll(await again.open());
    expect(back.length).toBe(data.length);
    expect(md5(back)).toBe(md5(data));

    await expectNoPendingUploads(bucket);
    await again.remove();
  });

  it('without src.hash stores no MD5 and hash() says it cannot tell', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const data = randomBytes(6 * MiB);
    await fs.put(streamOf(data, 256 * 1024), src('mp/nohash.bin', data, false));
    const h = await head('mp/nohash.bin');
    expect(h.ETag).toMatch(/-2"$/);
    expect(h.Metadata?.md5chksum).toBeUndefined();
    const o = await fs.newObject('mp/nohash.bin');
    expect(await o.hash('md5')).toBe('');
    await o.remove();
  });

  it('putStream of unknown size goes up in parts and keeps every byte', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const data = randomBytes(7 * MiB + 123);
    const o = await fs.putStream!(streamOf(data, 100_000), { remote: 'mp/stream.bin', size: -1, modTime: T2 });
    expect(o.size).toBe(data.length);
    const h = await head('mp/stream.bin');
    expect(h.ContentLength).toBe(data.length);
    expect(h.ETag).toMatch(/-2"$/);
    expect(md5(await readAll(await (await fs.newObject('mp/stream.bin')).open()))).toBe(md5(data));
    await o.remove();
    await expectNoPendingUploads(bucket);
  });
});

describe('multipart with signature v2', () => {
  it('uploads and copies in parts when every request, parts included, is signed with v2', async () => {
    const { fs } = await s3Fs(bucket, rgwOptions({ v2_auth: 'true', upload_cutoff: '1Mi', chunk_size: '5Mi', copy_cutoff: '5Mi' }));
    const data = randomBytes(11 * MiB);
    const o = await fs.put(streamOf(data, 256 * 1024), src('v2/big file.bin', data));
    expect((await head('v2/big file.bin')).ETag).toMatch(/-3"$/);
    const c = await fs.copy!(o, 'v2/big copy.bin');
    expect((await head('v2/big copy.bin')).ETag).toMatch(/-3"$/);
    const back = await fs.newObject('v2/big copy.bin');
    expect(await back.hash('md5')).toBe(md5(data));
    expect(await back.modTime()).toBe(T1);
    expect(md5(await readAll(await back.open()))).toBe(md5(data));
    await expectNoPendingUploads(bucket);
    await c.remove();
    await o.remove();
  });
});

/** Yields `total` bytes in 1 MiB chunks, each on a later timer tick; calls onChunk with the running count. */
function slowStream(total: number, onChunk: (sent: number) => void = () => undefined, failAt?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      setTimeout(() => {
        if (failAt !== undefined && sent >= failAt) {
          this.destroy(new Error('injected read failure'));
          return;
        }
        if (sent >= total) {
          this.push(null);
          return;
        }
        const n = Math.min(MiB, total - sent);
        sent += n;
        this.push(randomBytes(n));
        onChunk(sent);
      }, 2);
    },
  });
}

describe('failed uploads leave nothing behind', () => {
  it('a multipart put whose stream fails after 7 MiB rejects with that error and leaves no object or parts', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const size = 12 * MiB;
    const err = await fs.put(slowStream(size, undefined, 7 * MiB), { remote: 'fail/src-error.bin', size, modTime: T1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(err)).toMatch(/injected read failure/);
    await expectAbsent('fail/src-error.bin');
    await expectNoPendingUploads(bucket);
  });

  it('with leave_parts_on_error a failed multipart upload keeps its parts for recovery', async () => {
    const { fs } = await s3Fs(bucket, rgwOptions({ upload_cutoff: '1Mi', chunk_size: '5Mi', leave_parts_on_error: 'true' }));
    const size = 12 * MiB;
    await expect(fs.put(slowStream(size, undefined, 7 * MiB), { remote: 'fail/left.bin', size, modTime: T1 })).rejects.toThrow(/injected read failure/);
    await expectAbsent('fail/left.bin');
    const left = await pendingUploads(bucket);
    expect(left.map((u) => u.split(' ')[0])).toEqual(['fail/left.bin']);
    const uploadId = left[0]!.split(' ')[1]!;
    await observer().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'fail/left.bin', UploadId: uploadId }));
    await expectNoPendingUploads(bucket);
  });

  it('an AbortSignal fired mid-upload rejects and aborts the multipart upload', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const size = 12 * MiB;
    const ac = new AbortController();
    const stream = slowStream(size, (sent) => {
      if (sent >= 7 * MiB) ac.abort(new Error('user interrupt'));
    });
    const started = Date.now();
    const err = await fs.put(stream, { remote: 'fail/aborted.bin', size, modTime: T1 }, { signal: ac.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'the put must reject').toBeDefined();
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).message).toMatch(/interrupted/);
    expect((err as FsError).retry).toBe('fatal');
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectAbsent('fail/aborted.bin');
    await expectNoPendingUploads(bucket);
  });

  it('an AbortSignal fired during a single-part put rejects and leaves nothing', async () => {
    const { fs } = await s3Fs(bucket);
    const size = 4 * MiB;
    const ac = new AbortController();
    const stream = slowStream(size, (sent) => {
      if (sent >= 2 * MiB) ac.abort();
    });
    const err = await fs.put(stream, { remote: 'fail/aborted-single.bin', size, modTime: T1 }, { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).message).toMatch(/interrupted/);
    await expectAbsent('fail/aborted-single.bin');
  });

  it('a single-part put with a short stream rejects at once (no hang), leaves nothing and prints nothing', async () => {
    const { fs } = await s3Fs(bucket);
    // The SDK would warn on the console about the failed streaming request: nclone's own error is enough.
    const warn = vi.spyOn(console, 'warn');
    const error = vi.spyOn(console, 'error');
    const started = Date.now();
    const data = randomBytes(500);
    const err = await expectFsError(fs.put(streamOf(data, 100), { remote: 'fail/short.bin', size: 1000, modTime: T1 }), 'other');
    expect(err.message).toMatch(/expected 1000 bytes, got 500/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect([...warn.mock.calls, ...error.mock.calls]).toEqual([]);
    warn.mockRestore();
    error.mockRestore();
    await expectAbsent('fail/short.bin');
  });

  it('a multipart put with a short stream rejects before completing and leaves no parts', async () => {
    const { fs } = await s3Fs(bucket, multipart());
    const data = randomBytes(6 * MiB);
    const err = await expectFsError(fs.put(streamOf(data, 256 * 1024), { remote: 'fail/short-mp.bin', size: 8 * MiB, modTime: T1 }), 'other');
    expect(err.message).toMatch(/expected 8388608 bytes, got 6291456/);
    await expectAbsent('fail/short-mp.bin');
    await expectNoPendingUploads(bucket);
    expect(await serverKeys(bucket, 'fail/')).toEqual([]);
  });
});

describe('server-side copy', () => {
  it('copies a small object with CopyObject: content, size, mtime and MD5 kept', async () => {
    const { fs } = await s3Fs(bucket);
    const data = Buffer.from('small object for CopyObject');
    const orig = await fs.put(streamOf(data), src('copy/small.txt', data));
    const copied = await fs.copy!(orig, 'copy/small-copy.txt');
    expect(copied.remote).toBe('copy/small-copy.txt');
    expect(copied.size).toBe(data.length);
    const h = await head('copy/small-copy.txt');
    expect(h.ETag).toBe(`"${md5(data)}"`); // a single-part ETag: not a multipart copy
    expect(h.Metadata?.mtime).toBe('1700000000.123456789');
    const o = await fs.newObject('copy/small-copy.txt');
    expect(o.size).toBe(data.length);
    expect(await o.modTime()).toBe(T1);
    expect(await o.hash('md5')).toBe(md5(data));
    expect((await readAll(await o.open())).equals(data)).toBe(true);
    await o.remove();
    await orig.remove();
  });

  it('above copy_cutoff copies in parts (UploadPartCopy), keeping content, mtime and a readable MD5', async () => {
    // Uploaded in one part (its ETag is its MD5); copied in three 5 MiB parts.
    const { fs } = await s3Fs(bucket, rgwOptions({ copy_cutoff: '5Mi' }));
    const data = randomBytes(12 * MiB);
    const orig = await fs.put(streamOf(data, 256 * 1024), src('copy/big.bin', data, false));
    expect((await head('copy/big.bin')).ETag).toBe(`"${md5(data)}"`);

    const copied = await fs.copy!(orig, 'copy/big-copy.bin');
    expect(copied.size).toBe(data.length);
    expect(await copied.hash('md5')).toBe(md5(data));
    const h = await head('copy/big-copy.bin');
    expect(h.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(h.ContentLength).toBe(data.length);
    expect(h.Metadata?.md5chksum).toBe(createHash('md5').update(data).digest('base64'));

    const o = await fs.newObject('copy/big-copy.bin');
    expect(await o.modTime()).toBe(T1);
    expect(await o.hash('md5')).toBe(md5(data));
    expect(md5(await readAll(await o.open()))).toBe(md5(data));
    await expectNoPendingUploads(bucket);
    await o.remove();
    await orig.remove();
  });

  it('copies between two buckets of the same remote (root at the remote)', async () => {
    const { fs } = await s3Fs('');
    const data = Buffer.from('crossing buckets');
    const orig = await fs.put(streamOf(data), src(`${bucket}/x/from.txt`, data));
    const copied = await fs.copy!(orig, `${bucket2}/y/to.txt`);
    expect(copied.remote).toBe(`${bucket2}/y/to.txt`);
    const o = await fs.newObject(`${bucket2}/y/to.txt`);
    expect(await o.modTime()).toBe(T1);
    expect((await readAll(await o.open())).equals(data)).toBe(true);
    expect((await head('y/to.txt', bucket2)).ETag).toBe(`"${md5(data)}"`);
    await o.remove();
    await orig.remove();
  });

  it('copies between two Fs rooted in different buckets of the same remote', async () => {
    const { fs: a } = await s3Fs(`${bucket}/a`);
    const { fs: b } = await s3Fs(`${bucket2}/b`);
    const data = Buffer.from('from bucket one to bucket two');
    const orig = await a.put(streamOf(data), src('one.txt', data));
    const copied = await b.copy!(orig, 'two.txt');
    expect(copied.remote).toBe('two.txt');
    const o = await b.newObject('two.txt');
    expect(await o.modTime()).toBe(T1);
    expect((await readAll(await o.open())).equals(data)).toBe(true);
    expect(await serverKeys(bucket2, 'b/')).toEqual(['b/two.txt']);
    await o.remove();
    await orig.remove();
  });

  it('copying a missing source fails with objectNotFound and creates nothing', async () => {
    const { fs } = await s3Fs(bucket);
    const data = Buffer.from('soon gone');
    const orig = await fs.put(streamOf(data), src('copy/gone.txt', data));
    await orig.remove();
    const err = await fs.copy!(orig, 'copy/gone-copy.txt').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).kind).toBe('objectNotFound');
    await expectAbsent('copy/gone-copy.txt');
  });
});
