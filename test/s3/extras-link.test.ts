/**
 * `nclone link` against the test Ceph RGW: the presigned URLs (signature v4 through the
 * SDK's presigner, v2 query-string authentication computed by nclone) download the object
 * with curl, stop working once --expire has passed, and point where rclone's links point;
 * an anonymous remote gets the object's plain URL, which works for a public object.
 * Needs a build (npx tsc -p .) and curl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { NCLONE, run } from '../helpers/run.js';
import { s3Server } from '../helpers/s3.js';
import { SIGNATURES, expectCode, expectOk, makeBase, makeCli, removeBuckets, sdk, uniqueBucket, type Cli } from './helpers-cli.js';

/** HTTP status and body of a GET with curl (no retries, no redirects). */
async function curl(url: string): Promise<{ status: number; body: string }> {
  const r = await run('curl', ['-sS', '-w', '\n%{http_code}', url], process.env);
  expect(r.code, `curl failed: ${r.stderr}`).toBe(0);
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A key that needs encoding in a URL: spaces, unicode, # % + and a directory. */
const ODD_KEY = 'dir one/ünï #1 + 100%.txt';
/** Characters a URL gives meaning to, and those encodeURIComponent leaves alone, which v2 signs as sent. */
const QUERY_KEY = "q?x=1&y;z,@$!'()*~=.txt";
const BODY = 'linked content\n';

describe('nclone link on the RGW', () => {
  let base: string;
  const clis: Record<string, Cli> = {};
  const bucket = uniqueBucket('nclone-link');

  beforeAll(async () => {
    base = makeBase('link');
    for (const { sig, v2 } of SIGNATURES) clis[sig] = makeCli(base, v2);
    const c = sdk();
    await removeBuckets([bucket]);
    expectOk(await clis.v4!.nclone('mkdir', `rgw:${bucket}`));
    for (const Key of [ODD_KEY, QUERY_KEY]) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body: BODY }));
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'public.txt', Body: 'for everyone\n', ACL: 'public-read' }));
  });

  afterAll(async () => {
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it.each(SIGNATURES)('signature $sig: the link downloads the object, for 7 days by default', async ({ sig }) => {
    const r = await clis[sig]!.nclone('link', '-vv', `rgw:${bucket}/${ODD_KEY}`);
    expectCode(r, 0);
    const url = r.stdout.trim();
    // Even at -vv the log shows the request to find the object, never the link or the secret.
    const signature = new URL(url).searchParams.get(sig === 'v4' ? 'X-Amz-Signature' : 'Signature')!;
    expect(signature.length).toBeGreaterThan(20);
    expect(r.stderr).toMatch(/DEBUG : s3: HEAD /);
    for (const secret of [signature, encodeURIComponent(signature), 'Signature=', s3Server().secretAccessKey]) expect(r.stderr).not.toContain(secret);
    expect(r.stdout.split('\n').filter((l) => l !== '')).toHaveLength(1);
    const u = new URL(url);
    expect(`${u.protocol}//${u.host}`).toBe(s3Server().endpoint);
    // Path style, as the RGW needs: the bucket is the first segment.
    expect(decodeURIComponent(u.pathname)).toBe(`/${bucket}/${ODD_KEY}`);
    if (sig === 'v4') {
      expect(u.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      expect(u.searchParams.get('X-Amz-Expires')).toBe('604800');
    } else {
      expect(u.searchParams.get('AWSAccessKeyId')).toBe(s3Server().accessKeyId);
      const expires = Number(u.searchParams.get('Expires'));
      expect(Math.abs(expires - (Date.now() / 1000 + 7 * 86400))).toBeLessThan(120);
    }
    // The secret never appears, only what is signed with it.
    expect(url).not.toContain(s3Server().secretAccessKey);
    expect(await curl(url)).toEqual({ status: 200, body: BODY });
    const other = await clis[sig]!.nclone('link', `rgw:${bucket}/${QUERY_KEY}`);
    expectOk(other);
    expect(decodeURIComponent(new URL(other.stdout.trim()).pathname)).toBe(`/${bucket}/${QUERY_KEY}`);
    expect(await curl(other.stdout.trim())).toEqual({ status: 200, body: BODY });
    // A tampered signature is refused: the server checks what nclone signed.
    const bad = new URL(url);
    bad.searchParams.set(sig === 'v4' ? 'X-Amz-Signature' : 'Signature', sig === 'v4' ? '0'.repeat(64) : 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    expect((await curl(bad.toString())).status).toBe(403);
  });

  it('links with a short --expire stop working once it has passed (v4 and v2)', async () => {
    // Each link is tried at once (it works), then again once its 10 s are surely over.
    const links = await Promise.all(
      SIGNATURES.map(async ({ sig }) => {
        const r = await clis[sig]!.nclone('link', '--expire', '10s', `rgw:${bucket}/${ODD_KEY}`);
        const signedBy = Date.now();
        expectOk(r);
        const url = r.stdout.trim();
        expect(await curl(url)).toEqual({ status: 200, body: BODY });
        return { url, signedBy };
      }),
    );
    expect(new URL(links[0]!.url).searchParams.get('X-Amz-Expires')).toBe('10');
    await sleep(Math.max(0, Math.max(...links.map((l) => l.signedBy)) + 12_000 - Date.now()));
    for (const { url } of links) expect((await curl(url)).status).toBe(403);
  });

  it('points where rclone link points, and caps a longer --expire at 7 days with a notice', async () => {
    const mine = await clis.v4!.nclone('link', '--expire', '30d', `rgw:${bucket}/${ODD_KEY}`);
    expectCode(mine, 0);
    expect(mine.stderr).toMatch(/NOTICE.*7 days at most/);
    const theirs = await clis.v4!.rclone('link', '--expire', '30d', `rgw:${bucket}/${ODD_KEY}`);
    expectCode(theirs, 0);
    const [a, b] = [new URL(mine.stdout.trim()), new URL(theirs.stdout.trim())];
    expect(a.pathname).toBe(b.pathname);
    expect(a.searchParams.get('X-Amz-Expires')).toBe(b.searchParams.get('X-Amz-Expires'));
    expect(a.searchParams.get('X-Amz-Expires')).toBe('604800');
    expect((await curl(b.toString())).body).toBe((await curl(a.toString())).body);
  });

  it('gives an anonymous remote the plain URL, which works for a public object only', async () => {
    const s = s3Server();
    const env = { ...clis.v4!.env, NCLONE_CONFIG_ANON_TYPE: 's3', NCLONE_CONFIG_ANON_PROVIDER: 'Ceph', NCLONE_CONFIG_ANON_ENDPOINT: s.endpoint };
    const r = await run(NCLONE, ['link', `anon:${bucket}/public.txt`], env);
    expectOk(r);
    expect(r.stdout).toBe(`${s.endpoint}/${bucket}/public.txt\n`);
    expect(await curl(r.stdout.trim())).toEqual({ status: 200, body: 'for everyone\n' });
    // A private object can't even be found without credentials: said in one line.
    const denied = await run(NCLONE, ['link', `anon:${bucket}/${ODD_KEY}`], env);
    expectCode(denied, 6);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/^nclone: .*anonymous access: permission denied.*\n$/);
  });

  it('refuses what has no link, with rclone exit codes', async () => {
    const cli = clis.v4!;
    for (const target of [`rgw:${bucket}/missing.txt`, `rgw:${bucket}/dir one`, `rgw:${bucket}`]) {
      const r = await cli.nclone('link', target);
      expectCode(r, 4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^nclone: no object at rgw:.*: a link points at one object, not at a bucket or directory\n$/);
      // rclone fails on the bucket with a validation error (exit 1) instead.
      if (target !== `rgw:${bucket}`) expectCode(await cli.rclone('link', target), 4);
    }
    const local = await cli.nclone('link', base);
    expectCode(local, 1);
    expect(local.stderr).toBe(`nclone: link is not supported by ${base} (its backend has no public links)\n`);
    expectCode(await cli.rclone('link', base), 1);
    for (const [expire, why] of [
      ['soon', /invalid --expire: invalid duration "soon"/],
      ['500ms', /--expire 500ms is too short/],
    ] as const) {
      const r = await cli.nclone('link', '--expire', expire, `rgw:${bucket}/public.txt`);
      expectCode(r, 1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
  });
});
