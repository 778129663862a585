/**
 * The S3 object's tier() and mimeType() (rclone's GetTier and MimeType) on the test Ceph
 * RGW: the storage class as the listing or HEAD says it (STANDARD when S3 says nothing), the
 * Content-Type the server keeps, read with a HEAD when needed, and '' when it can't be read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { s3Fs, uniqueBucket } from '../helpers/s3.js';
import { T1, streamOf } from '../conformance/helpers.js';
import { dropBucket, observer } from './helpers-backend.js';
import type { S3Fs } from '../../backends/s3/fs.js';
import type { Obj } from '../../src/fs/types.js';

const bucket = uniqueBucket('nclone-obj-extras');

describe('S3 object tier and MIME type', () => {
  let fs: S3Fs;

  beforeAll(async () => {
    fs = (await s3Fs(bucket)).fs;
    await fs.mkdir('');
    await observer().send(new PutObjectCommand({ Bucket: bucket, Key: 'notes.md', Body: '# notes\n', ContentType: 'text/markdown; charset=utf-8' }));
    await observer().send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: 'odd type', ContentType: 'application/x-nclone-test' }));
  });

  afterAll(async () => {
    await fs?.close();
    await dropBucket(bucket);
  });

  const listed = async (name: string): Promise<Obj> => {
    const found = (await fs.list('')).find((e) => e.remote === name);
    if (found?.kind !== 'object') throw new Error(`${name} not listed`);
    return found;
  };

  it('tier() is the storage class from the listing or the HEAD, STANDARD when S3 names none', async () => {
    expect((await listed('notes.md')).tier!()).toBe('STANDARD');
    // The RGW's HEAD names no class for STANDARD objects, as AWS's.
    const headed = await fs.newObject('notes.md');
    expect(headed.tier!()).toBe('STANDARD');
  });

  it('mimeType() is the stored Content-Type, whether the object came from a listing, a HEAD or an upload', async () => {
    expect(await (await listed('notes.md')).mimeType!()).toBe('text/markdown; charset=utf-8');
    expect(await (await fs.newObject('notes.md')).mimeType!()).toBe('text/markdown; charset=utf-8');
    expect(await (await listed('plain')).mimeType!()).toBe('application/x-nclone-test');
    // nclone's uploads are typed as the SDK types them: the upload's object asks the server.
    const data = Buffer.from('uploaded by nclone');
    const put = await fs.put(streamOf(data), { remote: 'up.bin', size: data.length, modTime: T1 });
    expect(await put.mimeType!()).toBe('application/octet-stream');
  });

  it("mimeType() of an object that is gone is '' (logged, as rclone), not an error", async () => {
    const obj = await listed('plain');
    await observer().send(new PutObjectCommand({ Bucket: bucket, Key: 'gone', Body: 'x' }));
    const gone = await listed('gone');
    await gone.remove();
    expect(await gone.mimeType!()).toBe('');
    expect(await obj.mimeType!()).toBe('application/x-nclone-test');
  });

  it('mimeType() still stops when the run is stopped', async () => {
    const obj = await listed('notes.md');
    const stop = new AbortController();
    stop.abort(new Error('stopped'));
    await expect(obj.mimeType!({ signal: stop.signal })).rejects.toThrow();
  });
});
