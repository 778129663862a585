/**
 * Issue 8 item 3: a listing answer that is not a listing, or that cannot be continued, is an
 * error for that directory: `nclone sync rgw:bucket ./dir` then deletes nothing and exits
 * non-zero. The real RGW sits behind the fault proxy, which changes only the listing answers
 * (the RGW cannot be made to send an HTML page, or a truncated page without a marker).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { SIGNATURES, makeBase, makeCli, putObject, removeBuckets, uniqueBucket, type Cli } from './helpers-cli.js';
import { filesUnder, localTree, runNclone, via } from './helpers-faults.js';

const HTML = '<!DOCTYPE html>\n<html><head><title>Sign in to the guest network</title></head><body><form>...</form></body></html>\n';

/** A ListObjects(V2) request of the bucket (GET on the bucket itself, no sub-resource). */
function isListing(req: ProxiedRequest, bucket: string): boolean {
  if (req.method !== 'GET' || !(req.path === `/${bucket}` || req.path === `/${bucket}/`)) return false;
  return ![...req.query.keys()].some((k) => ['uploads', 'location', 'acl', 'versioning', 'policy'].includes(k));
}

/** The listing's position: v1 marker or v2 continuation token ('' for a first page). */
function position(req: ProxiedRequest): string {
  return req.query.get('continuation-token') ?? req.query.get('marker') ?? '';
}

/** Claims more pages but holds no keys, no prefixes and no way to ask for the next page. */
function truncatedWithoutMarker(body: Buffer): Buffer {
  const xml = body
    .toString('utf8')
    .replace(/<Contents>[\s\S]*?<\/Contents>/g, '')
    .replace(/<CommonPrefixes>[\s\S]*?<\/CommonPrefixes>/g, '')
    .replace(/<(NextMarker|NextContinuationToken)>[\s\S]*?<\/\1>/g, '')
    .replace(/<KeyCount>\d+<\/KeyCount>/, '<KeyCount>0</KeyCount>')
    .replace(/<IsTruncated>false<\/IsTruncated>/, '<IsTruncated>true</IsTruncated>');
  expect(xml).toContain('<IsTruncated>true</IsTruncated>');
  return Buffer.from(xml);
}

describe.each(SIGNATURES)('listings that are not listings, signature $sig', ({ sig, v2 }) => {
  const bucket = uniqueBucket(`nclone-hostile-${sig}`);
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy | undefined;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;

  beforeAll(async () => {
    base = makeBase(`hostile-${sig}`);
    cli = makeCli(base, v2);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    expect((await cli.nclone('mkdir', `rgw:${bucket}`)).code).toBe(0);
    // Enough keys and directories that --s3-list-chunk 2 makes several pages per directory.
    for (const key of ['a.txt', 'b.txt', 'c.txt', 'dir/d.txt', 'dir/e.txt', 'more/f.txt']) await putObject(bucket, key, `remote ${key}\n`);
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  /** Syncs the bucket into a fresh local tree of files the bucket doesn't have, through the proxy. */
  async function syncThroughProxy(label: string, ...flags: string[]) {
    const dst = path.join(base, label);
    const before = localTree(dst);
    const r = await runNclone(['sync', `rgw:${bucket}`, dst, '--s3-list-chunk', '2', ...flags], via(cli.env, proxy!.endpoint), 20_000);
    return { r, before, after: filesUnder(dst) };
  }

  it('forwards everything unchanged when no fault is set: a sync through the proxy works', async () => {
    rule = () => undefined;
    const { r, after } = await syncThroughProxy('control');
    expect(r.code, r.stderr).toBe(0);
    expect(after).toEqual(['a.txt', 'b.txt', 'c.txt', 'dir/d.txt', 'dir/e.txt', 'more/f.txt']);
  });

  for (const version of ['1', '2']) {
    for (const fastList of [false, true]) {
      const flags = ['--s3-list-version', version, ...(fastList ? ['--fast-list'] : [])];
      const label = `list v${version}${fastList ? ', --fast-list' : ''}`;

      it(`an HTML page with status 200 is an error, not an empty bucket (${label})`, async () => {
        rule = (req) => (isListing(req, bucket) ? { respond: { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML } } : undefined);
        const { r, before, after } = await syncThroughProxy(`html-v${version}-${fastList}`, ...flags);
        expect(r.timedOut).toBe(false);
        expect(after).toEqual(before);
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stderr).toContain(`list rgw:${bucket}: the server's answer was not an S3 listing`);
        expect(r.stderr).toMatch(/not deleting/);
      });

      it(`a page that claims more but has no keys and no marker is an error (${label})`, async () => {
        rule = (req) => (isListing(req, bucket) ? { mutateBody: truncatedWithoutMarker } : undefined);
        const { r, before, after } = await syncThroughProxy(`trunc-v${version}-${fastList}`, ...flags);
        expect(r.timedOut).toBe(false);
        expect(after).toEqual(before);
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stderr).toContain('the listing cannot continue: the server says there is more but gives no marker');
      });

      it(`a marker that comes back is an error, not an endless listing (${label})`, async () => {
        // Every later page is the first page of the same listing again, so its marker repeats.
        const first = new Map<string, Buffer>();
        rule = (req) => {
          if (!isListing(req, bucket)) return undefined;
          const prefix = req.query.get('prefix') ?? '';
          if (position(req) === '') return { mutateBody: (body) => (first.set(prefix, body), body) };
          return { mutateBody: (body) => first.get(prefix) ?? body };
        };
        const { r, before, after } = await syncThroughProxy(`repeat-v${version}-${fastList}`, ...flags);
        expect(r.timedOut, 'the listing never ended').toBe(false);
        expect(after).toEqual(before);
        expect(r.code, r.stderr).not.toBe(0);
        expect(r.stderr).toContain('the listing cannot continue: the server gave a marker it already gave');
      });
    }
  }

  it('an HTML page for the list of buckets is an error, not "no buckets"', async () => {
    rule = (req) => (req.method === 'GET' && req.path === '/' ? { respond: { status: 200, headers: { 'content-type': 'text/html' }, body: HTML } } : undefined);
    const r = await runNclone(['lsd', 'rgw:'], via(cli.env, proxy!.endpoint));
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("list buckets of rgw: the server's answer was not an S3 bucket listing");
  });

  it('an HTML page for a HEAD does not make the path a file', async () => {
    // newFs asks whether rgw:bucket/dir is an object; a web page says 200 to anything.
    rule = (req) => (req.path.startsWith(`/${bucket}`) ? { respond: { status: 200, headers: { 'content-type': 'text/html' }, body: HTML } } : undefined);
    const dst = path.join(base, 'head-html');
    const before = localTree(dst);
    const r = await runNclone(['sync', `rgw:${bucket}/dir`, dst], via(cli.env, proxy!.endpoint));
    expect(filesUnder(dst)).toEqual(before);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain("the server's answer was not an S3 listing");
  });
});
