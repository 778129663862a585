/**
 * S3 backend on the test Ceph RGW: buckets as top-level directories, paged listings with
 * ListObjects v1 and v2 (list and listR), setModTime keeping what a copy onto itself would
 * lose, and a root that names an object.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Entry, Fs } from '../../src/fs/types.js';
import { rgwOptions, s3Fs, uniqueBucket } from '../helpers/s3.js';
import { T1, T3, expectFsError, putBytes, readObject, streamOf } from '../conformance/helpers.js';
import { anonymousGet, dropBucket, makeRgwUser, objectPath, observer } from './helpers-backend.js';

const bucket = uniqueBucket('backend-bk');
const made: string[] = [bucket];

beforeAll(async () => {
  const { fs } = await s3Fs('');
  await fs.mkdir(bucket);
});

afterAll(async () => {
  for (const b of made) await dropBucket(b);
});

async function bucketExists(b: string): Promise<boolean> {
  return observer()
    .send(new HeadBucketCommand({ Bucket: b }))
    .then(
      () => true,
      (e: { $metadata?: { httpStatusCode?: number } }) => {
        if (e.$metadata?.httpStatusCode === 404) return false;
        throw e;
      },
    );
}

function newBucket(prefix: string): string {
  const b = uniqueBucket(prefix);
  made.push(b);
  return b;
}

describe('buckets', () => {
  it('mkdir creates a bucket; again (same Fs or a fresh one) is a no-op', async () => {
    const b = newBucket('backend-mk');
    const { fs } = await s3Fs('');
    await fs.mkdir(b);
    expect(await bucketExists(b)).toBe(true);
    await fs.mkdir(b);
    await (await s3Fs('')).fs.mkdir(b);
    await (await s3Fs(b)).fs.mkdir('');
    expect(await bucketExists(b)).toBe(true);
  });

  it('mkdir inside a bucket only makes the bucket', async () => {
    const b = newBucket('backend-mkin');
    const { fs } = await s3Fs(`${b}/some/dir`);
    await fs.mkdir('deeper');
    expect(await bucketExists(b)).toBe(true);
    expect(await (await s3Fs(b)).fs.list('')).toEqual([]);
  });

  it('with no_check_bucket mkdir does not create the bucket and a put into it fails', async () => {
    const b = newBucket('backend-nocheck');
    const { fs } = await s3Fs('', rgwOptions({ no_check_bucket: 'true' }));
    await fs.mkdir(b);
    expect(await bucketExists(b)).toBe(false);
    await expectFsError(putBytes(fs, `${b}/x.txt`, 'x'), 'dirNotFound');
    expect(await bucketExists(b)).toBe(false);
  });

  it('a put into a missing bucket creates it first', async () => {
    const b = newBucket('backend-autocreate');
    const { fs } = await s3Fs(`${b}/dir`);
    await putBytes(fs, 'file.txt', 'made the bucket');
    expect(await bucketExists(b)).toBe(true);
    expect((await readObject(fs, 'file.txt')).toString()).toBe('made the bucket');
  });

  it('rmdir removes an empty bucket, refuses a non-empty one and reports a missing one', async () => {
    const b = newBucket('backend-rm');
    const { fs } = await s3Fs('');
    await fs.mkdir(b);
    const o = await putBytes(fs, `${b}/keep.txt`, 'keep');
    await expectFsError(fs.rmdir(b), 'dirNotEmpty');
    expect(await bucketExists(b)).toBe(true);
    await o.remove();
    await fs.rmdir(b);
    expect(await bucketExists(b)).toBe(false);
    await expectFsError(fs.rmdir(b), 'dirNotFound');
    // The same through an Fs rooted at the bucket.
    await fs.mkdir(b);
    await (await s3Fs(b)).fs.rmdir('');
    expect(await bucketExists(b)).toBe(false);
  });

  it('listing a missing bucket is dirNotFound, with list and listR, from the root or inside', async () => {
    const missing = uniqueBucket('backend-missing');
    const { fs: root } = await s3Fs('');
    await expectFsError(root.list(missing), 'dirNotFound');
    await expectFsError(root.listR!(missing, async () => undefined), 'dirNotFound');
    const { fs: inside } = await s3Fs(`${missing}/a/b`);
    await expectFsError(inside.list(''), 'dirNotFound');
    await expectFsError(inside.listR!('', async () => undefined), 'dirNotFound');
  });

  it('a missing directory inside a bucket is dirNotFound, naming its full path', async () => {
    const { fs } = await s3Fs(`${bucket}/no`);
    for (const list of [() => fs.list('such dir'), () => fs.listR!('such dir', async () => undefined)]) {
      const err = await expectFsError(list(), 'dirNotFound');
      expect(err.message).toContain(`rgw:${bucket}/no/such dir`);
    }
    const { fs: deeper } = await s3Fs(`${bucket}/no/such dir`);
    expect((await expectFsError(deeper.list(''), 'dirNotFound')).message).toContain(`rgw:${bucket}/no/such dir:`);
  });

  it('the remote root lists buckets as directories with their creation times', async () => {
    const b = newBucket('backend-lsd');
    const before = BigInt(Date.now() - 60_000) * 1_000_000n;
    const { fs } = await s3Fs('');
    await fs.mkdir(b);
    const after = BigInt(Date.now() + 60_000) * 1_000_000n;
    const entries = await fs.list('');
    expect(entries.every((e) => e.kind === 'dir')).toBe(true);
    const mine = entries.find((e) => e.remote === b);
    expect(mine?.kind).toBe('dir');
    const t = mine?.kind === 'dir' ? mine.modTime : undefined;
    expect(t).toBeTypeOf('bigint');
    expect(t! >= before && t! <= after, `creation time ${t}`).toBe(true);
    expect(entries.map((e) => e.remote)).toContain(bucket);
  });

  it("mkdir of a bucket another user owns says so", async () => {
    const uid = `owner-${randomBytes(3).toString('hex')}`;
    const key = `OWNER${randomBytes(6).toString('hex').toUpperCase()}`;
    const secret = randomBytes(20).toString('hex');
    await makeRgwUser(uid, key, secret);
    const { fs: theirs } = await s3Fs('', rgwOptions({ access_key_id: key, secret_access_key: secret }));
    const b = uniqueBucket('backend-theirs');
    await theirs.mkdir(b);
    try {
      const { fs } = await s3Fs('');
      const err = await expectFsError(fs.mkdir(b), 'other');
      expect(err.message).toMatch(/belongs to another account/);
    } finally {
      await theirs.rmdir(b);
    }
  });
});

/** Every key of the listing tree: more than two pages per level at list_chunk=2, and awkward names. */
const TREE = [
  'a.txt',
  'b.txt',
  'c.txt',
  'd.txt',
  'e.txt',
  'with space/file name.txt',
  'with space/x y z.txt',
  'ünïcødé/日本語.txt',
  'ünïcødé/ß.txt',
  'sym/plus+sign.txt',
  'sym/per%cent.txt',
  'sym/per%2Fcent.txt',
  'sym/hash#tag.txt',
  'sym/ques?tion.txt',
  'sym/amp&ersand.txt',
  'sym/a=b;c.txt',
  'deep/1/2/3/leaf.txt',
  'dbl//slash.txt',
].sort();

/** The directories the keys imply, as listR reports them. */
function impliedDirs(keys: string[]): string[] {
  const dirs = new Set<string>();
  for (const k of keys) {
    const parts = k.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [...dirs].sort();
}

interface Tree {
  files: string[];
  dirs: string[];
}

const fmt = (e: Entry) => (e.kind === 'dir' ? e.remote : `${e.remote} ${e.size}`);

function split(entries: Entry[]): Tree {
  return {
    files: entries.filter((e) => e.kind === 'object').map(fmt).sort(),
    dirs: entries.filter((e) => e.kind === 'dir').map(fmt).sort(),
  };
}

/** Everything below '' found with list() alone. */
async function walk(fs: Fs, dir = ''): Promise<Tree> {
  const level = split(await fs.list(dir));
  const out: Tree = { files: [...level.files], dirs: [...level.dirs] };
  for (const d of level.dirs) {
    const sub = await walk(fs, d);
    out.files.push(...sub.files);
    out.dirs.push(...sub.dirs);
  }
  return { files: out.files.sort(), dirs: out.dirs.sort() };
}

async function listRAll(fs: Fs, dir = ''): Promise<{ tree: Tree; pages: number }> {
  const all: Entry[] = [];
  let pages = 0;
  await fs.listR!(dir, async (page) => {
    pages++;
    all.push(...page);
  });
  return { tree: split(all), pages };
}

describe('listing with list_version 1 and 2', () => {
  const root = `${bucket}/tree`;
  const want: Tree = { files: TREE.map((k) => `${k} ${Buffer.byteLength(k)}`).sort(), dirs: impliedDirs(TREE) };

  beforeAll(async () => {
    const { fs } = await s3Fs(root);
    for (const k of TREE) await putBytes(fs, k, k);
  });

  // Provider Minio asks for URL-encoded listings (encoding-type=url), which RGW also supports.
  for (const [version, provider] of [['1', 'Ceph'], ['2', 'Ceph'], ['1', 'Minio'], ['2', 'Minio']] as const) {
    it(`v${version} at list_chunk=2 (${provider}): list walk and listR both find every key, and agree`, async () => {
      const { fs } = await s3Fs(root, rgwOptions({ list_version: version, list_chunk: '2', provider }));
      const walked = await walk(fs);
      expect(walked).toEqual(want);
      const { tree, pages } = await listRAll(fs);
      expect(tree).toEqual(want);
      expect(pages).toBeGreaterThanOrEqual(Math.ceil(TREE.length / 2));
      // Subdirectories, including one with a single level of paging.
      expect(split(await fs.list('sym')).files).toEqual(want.files.filter((f) => f.startsWith('sym/')));
      expect((await listRAll(fs, 'with space')).tree).toEqual(split(await fs.list('with space')));
      expect((await listRAll(fs, 'deep')).tree.dirs).toEqual(['deep/1', 'deep/1/2', 'deep/1/2/3']);
    });
  }

  it('v1 and v2 give identical entries (sizes and times too) at any page size', async () => {
    const results: string[][] = [];
    for (const [version, chunk, provider] of [['1', '2', 'Ceph'], ['2', '2', 'Ceph'], ['1', '1000', 'Ceph'], ['2', '1000', 'Ceph'], ['1', '2', 'Minio'], ['2', '2', 'Minio']]) {
      const { fs } = await s3Fs(root, rgwOptions({ list_version: version!, list_chunk: chunk!, provider: provider! }));
      const all: Entry[] = [];
      await fs.listR!('', async (page) => void all.push(...page));
      const lines: string[] = [];
      for (const e of all) lines.push(e.kind === 'dir' ? `d ${e.remote}` : `f ${e.remote} ${e.size} ${await e.modTime()} ${await e.hash('md5')}`);
      for (const e of await fs.list('sym')) lines.push(`sym-level ${e.kind} ${e.remote}`);
      results.push(lines.sort());
    }
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
  });

  it('reads keys with awkward names back by name', async () => {
    const { fs } = await s3Fs(root);
    for (const k of ['sym/per%2Fcent.txt', 'sym/ques?tion.txt', 'ünïcødé/日本語.txt', 'dbl//slash.txt']) {
      expect((await readObject(fs, k)).toString()).toBe(k);
    }
  });
});

describe('setModTime', () => {
  it.each([
    ['v4', {}],
    ['v2', { v2_auth: 'true' }],
  ])('keeps content type, user metadata, the public-read ACL and the storage class (%s)', async (label, extra) => {
    const key = `mtime/public page ${label}.html`;
    // Written by another tool, with what a copy onto itself could lose.
    await observer().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: '<p>hello</p>',
        ContentType: 'text/html; charset=utf-8',
        ACL: 'public-read',
        StorageClass: 'STANDARD',
        Metadata: { mtime: '1700000000.123456789', 'owner-note': 'keep me' },
      }),
    );
    // A remote with no acl configured: the object's own ACL must survive.
    const { fs } = await s3Fs(bucket, rgwOptions(extra));
    const o = await fs.newObject(key);
    expect(await o.modTime()).toBe(T1);
    await o.setModTime(T3);

    const h = await observer().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(h.ContentType).toBe('text/html; charset=utf-8');
    expect(h.Metadata).toEqual({ mtime: '1500000000.000000001', 'owner-note': 'keep me' });
    expect(h.StorageClass ?? 'STANDARD').toBe('STANDARD');
    const anon = await anonymousGet(objectPath(bucket, key));
    expect(anon.status).toBe(200);
    expect(anon.body.toString()).toBe('<p>hello</p>');
    expect(await (await fs.newObject(key)).modTime()).toBe(T3);
  });

  it('keeps a private object private', async () => {
    const { fs } = await s3Fs(bucket);
    const o = await fs.put(streamOf('secret'), { remote: 'mtime/private.txt', size: 6, modTime: T1 });
    await o.setModTime(T3);
    expect((await anonymousGet(objectPath(bucket, 'mtime/private.txt'))).status).toBe(403);
    expect(await (await fs.newObject('mtime/private.txt')).modTime()).toBe(T3);
    expect((await readObject(fs, 'mtime/private.txt')).toString()).toBe('secret');
  });
});

describe('a root that names an object', () => {
  beforeAll(async () => {
    const { fs } = await s3Fs(bucket);
    await putBytes(fs, 'named/dir/file.txt', 'the file');
    await putBytes(fs, 'top-file.txt', 'at the top');
  });

  it('gives the parent as the Fs and the leaf as file', async () => {
    const { fs, file } = await s3Fs(`${bucket}/named/dir/file.txt`);
    expect(fs.root).toBe(`${bucket}/named/dir`);
    expect(file).toBe('file.txt');
    expect((await readObject(fs, file!)).toString()).toBe('the file');
    const top = await s3Fs(`/${bucket}/top-file.txt`);
    expect(top.fs.root).toBe(bucket);
    expect(top.file).toBe('top-file.txt');
  });

  it('gives no file for a directory, a bucket or a missing path', async () => {
    for (const root of [`${bucket}/named/dir`, `${bucket}/named/dir/`, bucket, `${bucket}/named/nothing.txt`]) {
      const { fs, file } = await s3Fs(root);
      expect(file, root).toBeUndefined();
      expect(fs.root).toBe(root.replace(/\/$/, ''));
    }
  });
});
