/**
 * Metadata on S3 through the CLI against the test RGW, with rclone 1.60 beside it: the
 * Content-Type every upload gets, what -M carries (user metadata, the content headers, a
 * local file's mode and owner, mtime) and --metadata-set, across streamed and server-side
 * copies and back to a local disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { NCLONE, run } from '../helpers/run.js';
import { s3Server } from '../helpers/s3.js';
import { NCLONE_MULTIPART, RCLONE_MULTIPART, expectOk, headObject, makeBase, makeCli, removeBuckets, sdk, uniqueBucket, writeTree, type Cli, type FileSpec } from './helpers-cli.js';

const T = 1_600_000_000;
const files: FileSpec[] = [
  { path: 'page.html', data: Buffer.from('<p>hi</p>\n'), sec: T, ns: 123456789 },
  { path: 'data/set.json', data: Buffer.from('{"a":1}\n'), sec: T + 60, ns: 5 },
  { path: 'data/README', data: Buffer.from('no extension\n'), sec: T + 120, ns: 0 },
  { path: 'pics/photo.JPG', data: Buffer.from([0xff, 0xd8, 0xff, 0xe0]), sec: T + 180, ns: 999999999 },
  // Above --s3-upload-cutoff 1Mi: a multipart upload.
  { path: 'big/log.txt', data: Buffer.alloc(6 * 1024 * 1024, 'log line\n'), sec: T + 240, ns: 1 },
];

describe('metadata on S3', () => {
  let base: string;
  let cli: Cli;
  let src: string;
  const plainN = uniqueBucket('meta-plain-n');
  const plainR = uniqueBucket('meta-plain-r');
  const withN = uniqueBucket('meta-m-n');
  const withR = uniqueBucket('meta-m-r');
  const copies = uniqueBucket('meta-copies');

  /** A second remote on the same server: copies between it and rgw are streamed, not server-side. */
  const other = () => {
    const s = s3Server();
    return { NCLONE_CONFIG_RGW2_TYPE: 's3', NCLONE_CONFIG_RGW2_PROVIDER: 'Ceph', NCLONE_CONFIG_RGW2_ENDPOINT: s.endpoint, NCLONE_CONFIG_RGW2_ACCESS_KEY_ID: s.accessKeyId, NCLONE_CONFIG_RGW2_SECRET_ACCESS_KEY: s.secretAccessKey };
  };
  const nclone2 = (...args: string[]) => run(NCLONE, args, { ...cli.env, ...other() });

  beforeAll(async () => {
    base = makeBase('metadata');
    cli = makeCli(base, false);
    src = path.join(base, 'src');
    await writeTree(src, files);
    nfs.chmodSync(path.join(src, 'page.html'), 0o640);
    nfs.chmodSync(path.join(src, 'data/set.json'), 0o600);
  });

  afterAll(async () => {
    await removeBuckets([plainN, plainR, withN, withR, copies]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('every upload gets the Content-Type of its extension, as rclone gives it (single PUT and multipart)', async () => {
    expectOk(await cli.nclone('copy', src, `rgw:${plainN}`, ...NCLONE_MULTIPART));
    expectOk(await cli.rclone('copy', src, `rgw:${plainR}`, ...RCLONE_MULTIPART));
    const types: Record<string, string | undefined> = {};
    for (const f of files) {
      const [n, r] = await Promise.all([headObject(plainN, f.path), headObject(plainR, f.path)]);
      expect(n.ContentType, f.path).toBe(r.ContentType);
      types[f.path] = n.ContentType;
      // Without -M nothing but the mtime (and a multipart upload's MD5) is stored.
      expect(Object.keys(n.Metadata ?? {}).filter((k) => k !== 'md5chksum')).toEqual(['mtime']);
    }
    expect(types).toEqual({
      'page.html': 'text/html; charset=utf-8',
      'data/set.json': 'application/json',
      'data/README': 'application/octet-stream',
      'pics/photo.JPG': 'image/jpeg',
      'big/log.txt': 'text/plain; charset=utf-8',
    });
  });

  it('-M stores a local file mode, owner and times as rclone -M does', async () => {
    expectOk(await cli.nclone('copy', '-M', src, `rgw:${withN}`, ...NCLONE_MULTIPART));
    expectOk(await cli.rclone('copy', '-M', src, `rgw:${withR}`, ...RCLONE_MULTIPART));
    const st = nfs.statSync(path.join(src, 'page.html'));
    for (const f of files) {
      const [n, r] = await Promise.all([headObject(withN, f.path), headObject(withR, f.path)]);
      // atime: reading the file for one upload may move it before the other reads it.
      const { atime: na, ...nMeta } = n.Metadata ?? {};
      const { atime: ra, ...rMeta } = r.Metadata ?? {};
      expect(na, f.path).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(ra, f.path).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(nMeta, f.path).toEqual(rMeta);
      expect(n.ContentType, f.path).toBe(r.ContentType);
    }
    const page = (await headObject(withN, 'page.html')).Metadata!;
    expect(page.mode).toBe('100640');
    expect(page.uid).toBe(String(st.uid));
    expect(page.gid).toBe(String(st.gid));
    expect(page.mtime).toBe('1600000000.123456789');
  });

  it('--metadata-set adds user metadata and sets headers; mtime in it wins', async () => {
    const dst = `rgw:${copies}/set`;
    const r = await cli.nclone('copyto', '-M', '--metadata-set', 'owner=team-a', '--metadata-set', 'Cache-Control=max-age=60', '--metadata-set', 'content-type=text/x-custom', '--metadata-set', 'mtime=2021-01-02T03:04:05.5Z', path.join(src, 'page.html'), `${dst}/page.html`);
    expectOk(r);
    const h = await headObject(copies, 'set/page.html');
    expect(h.Metadata?.owner).toBe('team-a');
    expect(h.CacheControl).toBe('max-age=60');
    expect(h.ContentType).toBe('text/x-custom');
    expect(h.Metadata?.mtime).toBe('1609556645.5');
    // Without -M, --metadata-set does nothing (as rclone).
    expectOk(await cli.nclone('copyto', '--metadata-set', 'owner=team-b', path.join(src, 'page.html'), `${dst}/plain.html`));
    expect((await headObject(copies, 'set/plain.html')).Metadata?.owner).toBeUndefined();
  });

  it('a malformed --metadata-set is one usage line, exit 1, nothing copied', async () => {
    const r = await cli.nclone('copy', '-M', '--metadata-set', 'no-equals-sign', src, `rgw:${copies}/bad`);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/invalid --metadata-set "no-equals-sign": give key=value/)]);
    expect((await cli.nclone('lsf', `rgw:${copies}/bad`)).stdout).toBe('');
  });

  describe('between S3 remotes', () => {
    const key = 'tagged/doc.txt';
    beforeAll(async () => {
      await sdk().send(
        new PutObjectCommand({
          Bucket: copies,
          Key: key,
          Body: 'tagged\n',
          ContentType: 'text/markdown',
          CacheControl: 'no-cache',
          ContentDisposition: 'inline',
          ContentLanguage: 'en-US',
          Metadata: { mtime: '1600000000.25', project: 'apollo' },
        }),
      );
    });

    it('a streamed copy keeps the Content-Type without -M, and only that', async () => {
      const r = await nclone2('copyto', '-v', `rgw:${copies}/${key}`, `rgw2:${copies}/streamed/plain.txt`);
      expectOk(r, false);
      expect(r.stderr).not.toMatch(/server-side/);
      const h = await headObject(copies, 'streamed/plain.txt');
      expect(h.ContentType).toBe('text/markdown');
      expect(h.CacheControl).toBeUndefined();
      expect(h.Metadata).toEqual({ mtime: '1600000000.25' });
    });

    it('a streamed copy with -M carries the headers and user metadata; lsjson -M reads them as rclone does', async () => {
      expectOk(await nclone2('copyto', '-M', '--metadata-set', 'stage=2', `rgw:${copies}/${key}`, `rgw2:${copies}/streamed/meta.txt`));
      const h = await headObject(copies, 'streamed/meta.txt');
      expect({ type: h.ContentType, cache: h.CacheControl, disp: h.ContentDisposition, lang: h.ContentLanguage }).toEqual({ type: 'text/markdown', cache: 'no-cache', disp: 'inline', lang: 'en-US' });
      expect(h.Metadata?.project).toBe('apollo');
      expect(h.Metadata?.stage).toBe('2');
      expect(h.Metadata?.mtime).toBe('1600000000.25');
      // btime is read-only: the copy's is its own upload time.
      expect(h.Metadata?.btime).toMatch(/^\d{4}-/);
      const n = await cli.nclone('lsjson', '-M', `rgw:${copies}/streamed`);
      const r = await cli.rclone('lsjson', '-M', `rgw:${copies}/streamed`);
      expectOk(n);
      expectOk(r);
      const byName = (out: string) => Object.fromEntries((JSON.parse(out) as { Name: string; Metadata: Record<string, string> }[]).map((i) => [i.Name, i.Metadata]));
      // rclone 1.60 predates the read-only "tier" key its current docs list (and nclone gives).
      const { tier, ...nMeta } = byName(n.stdout)['meta.txt']!;
      expect(tier).toBe('STANDARD');
      expect(nMeta).toEqual(byName(r.stdout)['meta.txt']);
      expect(nMeta).toMatchObject({ 'cache-control': 'no-cache', 'content-type': 'text/markdown', mtime: '2020-09-13T12:26:40.25Z', project: 'apollo' });
    });

    it('a server-side copy keeps everything; with -M and --metadata-set it adds to it', async () => {
      expectOk(await cli.nclone('copyto', `rgw:${copies}/${key}`, `rgw:${copies}/server/plain.txt`));
      expectOk(await cli.nclone('copyto', '-M', '--metadata-set', 'stage=3', `rgw:${copies}/${key}`, `rgw:${copies}/server/meta.txt`));
      const plain = await headObject(copies, 'server/plain.txt');
      expect(plain.CacheControl).toBe('no-cache');
      expect(plain.Metadata?.project).toBe('apollo');
      expect(plain.Metadata?.stage).toBeUndefined();
      const meta = await headObject(copies, 'server/meta.txt');
      expect({ type: meta.ContentType, cache: meta.CacheControl, project: meta.Metadata?.project, stage: meta.Metadata?.stage, mtime: meta.Metadata?.mtime }).toEqual({
        type: 'text/markdown',
        cache: 'no-cache',
        project: 'apollo',
        stage: '3',
        mtime: '1600000000.25',
      });
    });
  });

  it('local → S3 → local with -M gives the files back their mode and times', async () => {
    const back = path.join(base, 'back');
    expectOk(await cli.nclone('copy', '-M', `rgw:${withN}`, back));
    for (const f of files) {
      const a = nfs.statSync(path.join(src, f.path), { bigint: true });
      const b = nfs.statSync(path.join(back, f.path), { bigint: true });
      expect((b.mode & 0o777n).toString(8), f.path).toBe((a.mode & 0o777n).toString(8));
      expect(b.mtimeNs, f.path).toBe((a.mtimeNs / 1000n) * 1000n);
      expect(nfs.readFileSync(path.join(back, f.path)).equals(f.data), f.path).toBe(true);
    }
    // Without -M the mode is the umask's, as for any new file.
    const plain = path.join(base, 'plain-back');
    expectOk(await cli.nclone('copy', `rgw:${withN}`, plain));
    expect(nfs.statSync(path.join(plain, 'data/set.json')).mode & 0o777).not.toBe(0o600);
  });
});
