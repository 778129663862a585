/**
 * S3 backend access control on the test Ceph RGW: canned ACLs checked with unsigned HTTP
 * requests, anonymous remotes, env_auth (environment variables, legacy names, shared
 * credentials file and profile), bad keys, and the legacy signature regions.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsError } from '../../src/fs/errors.js';
import type { Entry, Fs } from '../../src/fs/types.js';
import { rgwOptions, s3Fs, s3Server, uniqueBucket } from '../helpers/s3.js';
import { T1, expectFsError, putBytes, readObject, streamOf } from '../conformance/helpers.js';
import { anonymousGet, clearAwsEnv, dropBucket, keylessOptions, makeRgwUser, objectPath, recordingServer, withEnv } from './helpers-backend.js';

const priv = uniqueBucket('backend-priv');
const pub = uniqueBucket('backend-pub');
const made: string[] = [priv, pub];
let restoreEnv: () => void;

/** A second RGW user, so env_auth tests can tell whose keys were used. */
const other = { uid: `other-${randomBytes(3).toString('hex')}`, key: `OTHER${randomBytes(6).toString('hex').toUpperCase()}`, secret: randomBytes(20).toString('hex') };
const otherBucket = uniqueBucket('backend-other');

beforeAll(async () => {
  restoreEnv = clearAwsEnv();
  const { fs } = await s3Fs('');
  await fs.mkdir(priv);
  const { fs: pubRoot } = await s3Fs('', rgwOptions({ bucket_acl: 'public-read' }));
  await pubRoot.mkdir(pub);
  const { fs: pubFs } = await s3Fs(pub, rgwOptions({ acl: 'public-read' }));
  await putBytes(pubFs, 'top.txt', 'public top');
  await putBytes(pubFs, 'dir/inner.txt', 'public inner');
  await putBytes(pubFs, 'dir/sub/deep.txt', 'public deep');
  await makeRgwUser(other.uid, other.key, other.secret);
  const { fs: otherFs } = await s3Fs('', rgwOptions({ access_key_id: other.key, secret_access_key: other.secret }));
  await otherFs.mkdir(otherBucket);
});

afterAll(async () => {
  restoreEnv();
  for (const b of made) await dropBucket(b);
  const { fs: otherFs } = await s3Fs('', rgwOptions({ access_key_id: other.key, secret_access_key: other.secret }));
  await otherFs.rmdir(otherBucket);
});

const names = (entries: Entry[]) => entries.map((e) => `${e.kind === 'dir' ? 'd' : 'f'} ${e.remote}`).sort();

describe('canned ACLs, checked with unsigned requests', () => {
  it('acl=public-read makes uploaded and copied objects anonymously readable', async () => {
    const { fs } = await s3Fs(priv, rgwOptions({ acl: 'public-read' }));
    const o = await putBytes(fs, 'acl/public.txt', 'everyone may read');
    const got = await anonymousGet(objectPath(priv, 'acl/public.txt'));
    expect(got.status).toBe(200);
    expect(got.body.toString()).toBe('everyone may read');

    // A private object copied by a public-read remote becomes public; the original stays private.
    const { fs: plain } = await s3Fs(priv);
    const secret = await putBytes(plain, 'acl/private source.txt', 'copied to public');
    expect((await anonymousGet(objectPath(priv, 'acl/private source.txt'))).status).toBe(403);
    await fs.copy!(secret, 'acl/copied public.txt');
    const copied = await anonymousGet(objectPath(priv, 'acl/copied public.txt'));
    expect(copied.status).toBe(200);
    expect(copied.body.toString()).toBe('copied to public');
    expect((await anonymousGet(objectPath(priv, 'acl/private source.txt'))).status).toBe(403);
    await o.remove();
  });

  it('without acl an uploaded object is refused to anonymous readers', async () => {
    const { fs } = await s3Fs(priv);
    await putBytes(fs, 'acl/private.txt', 'owner only');
    expect((await anonymousGet(objectPath(priv, 'acl/private.txt'))).status).toBe(403);
  });

  it('bucket_acl=public-read on mkdir makes the new bucket anonymously listable; without it the bucket is private', async () => {
    const listable = uniqueBucket('backend-listable');
    const closed = uniqueBucket('backend-closed');
    made.push(listable, closed);
    const { fs: open } = await s3Fs('', rgwOptions({ bucket_acl: 'public-read' }));
    await open.mkdir(listable);
    const { fs: shut } = await s3Fs('');
    await shut.mkdir(closed);
    await putBytes((await s3Fs(listable)).fs, 'listed.txt', 'x');
    const res = await anonymousGet(`/${listable}`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain('<Key>listed.txt</Key>');
    // The bucket ACL does not make its objects public.
    expect((await anonymousGet(objectPath(listable, 'listed.txt'))).status).toBe(403);
    expect((await anonymousGet(`/${closed}`)).status).toBe(403);
  });

  it('acl alone also applies to buckets made by mkdir (bucket_acl defaults to acl)', async () => {
    const b = uniqueBucket('backend-aclbucket');
    made.push(b);
    const { fs } = await s3Fs('', rgwOptions({ acl: 'public-read' }));
    await fs.mkdir(b);
    expect((await anonymousGet(`/${b}`)).status).toBe(200);
  });
});

describe('anonymous remote (no keys, env_auth off)', () => {
  it('lists (list and listR) and reads a public bucket', async () => {
    const { fs } = await s3Fs(pub, keylessOptions());
    expect(names(await fs.list(''))).toEqual(['d dir', 'f top.txt']);
    expect(names(await fs.list('dir'))).toEqual(['d dir/sub', 'f dir/inner.txt']);
    const all: Entry[] = [];
    await fs.listR!('', async (page) => void all.push(...page));
    expect(names(all)).toEqual(['d dir', 'd dir/sub', 'f dir/inner.txt', 'f dir/sub/deep.txt', 'f top.txt']);
    expect((await readObject(fs, 'dir/sub/deep.txt')).toString()).toBe('public deep');
    const o = await fs.newObject('top.txt');
    expect(await o.modTime()).toBe(T1);
  });

  it('refuses to list buckets at the remote root: that needs credentials', async () => {
    const { fs } = await s3Fs('', keylessOptions());
    const err = await expectFsError(fs.list(''), 'permission');
    expect(err.message).toMatch(/listing buckets needs credentials/);
  });

  it('a put is refused with "anonymous access: permission denied"', async () => {
    const { fs } = await s3Fs(pub, keylessOptions());
    const err = await fs.put(streamOf('no'), { remote: 'anon.txt', size: 2, modTime: T1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FsError);
    expect((err as FsError).message).toContain('anonymous access: permission denied');
    const err2 = await expectFsError(s3Fs(priv, keylessOptions()).then(({ fs: p }) => p.list('')), 'permission');
    expect(err2.message).toContain('anonymous access: permission denied');
  });

  it('sends no Authorization header even with AWS_* credentials in the environment', async () => {
    const rec = await recordingServer();
    try {
      await withEnv({ AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_SESSION_TOKEN: 'envtoken' }, async () => {
        const { fs } = await s3Fs('somebucket', { provider: 'Ceph', endpoint: rec.endpoint, region: 'us-east-1' });
        expect(await fs.list('')).toEqual([]);
        await expectFsError(fs.newObject('missing.txt'), 'objectNotFound');
        // v2_auth cannot turn signing back on.
        const { fs: v2 } = await s3Fs('somebucket', { provider: 'Ceph', endpoint: rec.endpoint, v2_auth: 'true' });
        expect(await v2.list('')).toEqual([]);
      });
      expect(rec.requests.map((r) => r.method)).toEqual(['GET', 'HEAD', 'GET']);
      for (const r of rec.requests) {
        expect(r.headers.authorization, `${r.method} ${r.url}`).toBeUndefined();
        expect(r.headers['x-amz-security-token']).toBeUndefined();
      }
    } finally {
      await rec.close();
    }
  });
});

describe('env_auth', () => {
  async function whoseBuckets(fs: Fs): Promise<string[]> {
    return (await fs.list('')).map((e) => e.remote);
  }

  it('uses AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment', async () => {
    await withEnv({ AWS_ACCESS_KEY_ID: other.key, AWS_SECRET_ACCESS_KEY: other.secret }, async () => {
      const { fs } = await s3Fs('', keylessOptions({ env_auth: 'true' }));
      expect(await whoseBuckets(fs)).toEqual([otherBucket]);
      const o = await putBytes(fs, `${otherBucket}/env.txt`, 'via env');
      expect((await readObject(fs, `${otherBucket}/env.txt`)).toString()).toBe('via env');
      await o.remove();
    });
  });

  it("takes rclone's legacy AWS_ACCESS_KEY / AWS_SECRET_KEY names too", async () => {
    await withEnv({ AWS_ACCESS_KEY: other.key, AWS_SECRET_KEY: other.secret }, async () => {
      const { fs } = await s3Fs('', keylessOptions({ env_auth: 'true' }));
      expect(await whoseBuckets(fs)).toEqual([otherBucket]);
    });
  });

  it('reads a shared credentials file, choosing the profile given', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nclone-creds-'));
    try {
      const file = path.join(dir, 'credentials');
      const s = s3Server();
      writeFileSync(
        file,
        `[default]\naws_access_key_id = NOSUCHKEY\naws_secret_access_key = nosuchsecret\n\n` +
          `[nclone-other]\naws_access_key_id = ${other.key}\naws_secret_access_key = ${other.secret}\n\n` +
          `[nclone-main]\naws_access_key_id = ${s.accessKeyId}\naws_secret_access_key = ${s.secretAccessKey}\n`,
      );
      const { fs } = await s3Fs('', keylessOptions({ env_auth: 'true', shared_credentials_file: file, profile: 'nclone-other' }));
      expect(await whoseBuckets(fs)).toEqual([otherBucket]);
      const { fs: main } = await s3Fs('', keylessOptions({ env_auth: 'true', shared_credentials_file: file, profile: 'nclone-main' }));
      expect(await whoseBuckets(main)).toContain(pub);
      const { fs: dflt } = await s3Fs('', keylessOptions({ env_auth: 'true', shared_credentials_file: file }));
      const err = await expectFsError(dflt.list(''), 'permission');
      expect(err.message).toMatch(/access_key_id/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keys in the config win over the environment', async () => {
    await withEnv({ AWS_ACCESS_KEY_ID: other.key, AWS_SECRET_ACCESS_KEY: other.secret }, async () => {
      const { fs } = await s3Fs('', rgwOptions({ env_auth: 'true' }));
      expect(await whoseBuckets(fs)).toContain(pub);
    });
  });
});

describe('bad keys and signature versions', () => {
  for (const [label, extra] of [
    ['v4', {}],
    ['v2', { v2_auth: 'true' }],
  ] as const) {
    it(`${label}: a wrong secret is a fatal permission error naming secret_access_key`, async () => {
      const { fs } = await s3Fs(pub, rgwOptions({ ...extra, secret_access_key: 'definitely-not-the-secret' }));
      const err = await expectFsError(fs.list(''), 'permission');
      expect(err.message).toMatch(/secret_access_key/);
      expect(err.retry).toBe('fatal');
    });

    it(`${label}: an unknown access key is a fatal permission error naming access_key_id`, async () => {
      const { fs } = await s3Fs(pub, rgwOptions({ ...extra, access_key_id: 'NOSUCHACCESSKEY' }));
      const err = await expectFsError(fs.list(''), 'permission');
      expect(err.message).toMatch(/access_key_id/);
      expect(err.retry).toBe('fatal');
    });
  }

  for (const [region, scheme] of [
    ['other-v2-signature', /^AWS NCLONETESTACCESSKEY1:/],
    ['other-v4-signature', /^AWS4-HMAC-SHA256 Credential=NCLONETESTACCESSKEY1\/\d{8}\/us-east-1\/s3\//],
  ] as const) {
    it(`region=${region} works and signs with ${region.includes('v2') ? 'v2' : 'v4'}`, async () => {
      const { fs } = await s3Fs(`${priv}/${region}`, rgwOptions({ region }));
      const o = await putBytes(fs, 'sig.txt', region);
      expect((await readObject(fs, 'sig.txt')).toString()).toBe(region);
      expect(names(await fs.list(''))).toEqual(['f sig.txt']);
      await o.remove();
      // The same options against a recorder show which signature was sent.
      const rec = await recordingServer();
      try {
        const { fs: r } = await s3Fs('somebucket', rgwOptions({ region, endpoint: rec.endpoint }));
        await r.list('');
        expect(rec.requests[0]!.headers.authorization).toMatch(scheme);
      } finally {
        await rec.close();
      }
    });
  }
});
