/**
 * Issue 8 items 6 and 7 (S3 parts), through bin/nclone against the test RGW: creating a
 * bucket with location constraint us-east-1, names the server refuses, https to a plain-HTTP
 * server, endpoints that are not URLs, server text echoed in errors, HEAD failures, and the
 * -vv request log. The fault proxy stands in for the RGW only to send an error the RGW
 * never sends (a huge code with control characters, a 500 to a HEAD).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { expectCode, makeBase, makeCli, putObject, removeBuckets, sdk, uniqueBucket, type Cli } from './helpers-cli.js';
import { runNclone, via } from './helpers-faults.js';

/** The environment of makeCli without the remote, with the test keys where the SDK's default chain finds them. */
function envForUrls(cli: Cli): NodeJS.ProcessEnv {
  const s = s3Server();
  const env = Object.fromEntries(Object.entries(cli.env).filter(([k]) => !k.startsWith('NCLONE_CONFIG_RGW_')));
  return { ...env, AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey };
}

async function bucketExists(bucket: string): Promise<boolean> {
  try {
    await sdk().send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch {
    return false;
  }
}

/** stderr without an empty last line. */
function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '');
}

describe('S3 errors and messages through the CLI', () => {
  const bucket = uniqueBucket('nclone-errors');
  const made: string[] = [bucket];
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy | undefined;
  let rule: (req: ProxiedRequest) => Fault | undefined = () => undefined;
  const hostPort = () => s3Server().endpoint.replace(/^http:\/\//, '');

  beforeAll(async () => {
    base = makeBase('errors');
    cli = makeCli(base, false);
    proxy = await startFaultProxy(s3Server().endpoint, (req) => rule(req));
    expectCode(await cli.nclone('mkdir', `rgw:${bucket}`), 0);
    await putObject(bucket, 'dir/file.txt', 'hello\n');
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets(made);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  describe('location constraint us-east-1 (the default region) is left out of CreateBucket', () => {
    it('from a flag and from the remote config', async () => {
      const a = uniqueBucket('nclone-lc-flag');
      const b = uniqueBucket('nclone-lc-conf');
      made.push(a, b);
      expectCode(await cli.nclone('mkdir', `rgw:${a}`, '--s3-location-constraint', 'us-east-1'), 0);
      expectCode(await runNclone(['mkdir', `rgw:${b}`], { ...cli.env, NCLONE_CONFIG_RGW_LOCATION_CONSTRAINT: 'us-east-1' }), 0);
      expect(await bucketExists(a)).toBe(true);
      expect(await bucketExists(b)).toBe(true);
    });

    it('from an s3:// URL with s3-location-constraint=us-east-1', async () => {
      const c = uniqueBucket('nclone-lc-url');
      made.push(c);
      const r = await runNclone(['mkdir', `s3://${hostPort()}/${c}?use-ssl=false&s3-location-constraint=us-east-1`], envForUrls(cli));
      expectCode(r, 0);
      expect(await bucketExists(c)).toBe(true);
    });

    it('another constraint the server refuses says what to set, once', async () => {
      const d = uniqueBucket('nclone-lc-bad');
      const r = await cli.nclone('mkdir', `rgw:${d}`, '--s3-location-constraint', 'eu-west-1');
      expect(r.code).not.toBe(0);
      expect(lines(r.stderr)).toEqual([`nclone: create bucket rgw:${d}: the server refused the location constraint (InvalidLocationConstraint): set location_constraint to the region the server is in, or leave it blank`]);
    });
  });

  it('a bucket name the server refuses: says S3 rules, asked once, not retried', async () => {
    rule = () => undefined;
    proxy!.requests.length = 0;
    const r = await runNclone(['mkdir', 'rgw:Bad_Bucket'], via(cli.env, proxy!.endpoint));
    expectCode(r, 6);
    expect(lines(r.stderr)).toEqual([
      'nclone: create bucket rgw:Bad_Bucket: the server refused the bucket name (InvalidBucketName): S3 bucket names are 3-63 characters of lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit (some providers allow more)',
    ]);
    expect(proxy!.requests.filter((q) => q.method === 'PUT').length).toBe(1);
  });

  it('a copy into a bucket the server refuses to create is not retried as a whole', async () => {
    rule = () => undefined;
    proxy!.requests.length = 0;
    const file = path.join(base, 'one.txt');
    nfs.writeFileSync(file, 'one\n');
    const r = await runNclone(['copy', file, 'rgw:Bad_Bucket/x'], via(cli.env, proxy!.endpoint));
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/Attempt 1\/3 failed/);
    expect(r.stderr).toContain('S3 bucket names are 3-63 characters');
    expect(proxy!.requests.filter((q) => q.method === 'PUT' && q.path.replace(/\/$/, '') === '/Bad_Bucket').length).toBe(1);
  });

  describe('https to a server that speaks plain HTTP', () => {
    it('an endpoint without a scheme', async () => {
      const r = await runNclone(['ls', `rgw:${bucket}`], { ...cli.env, NCLONE_CONFIG_RGW_ENDPOINT: hostPort() });
      expectCode(r, 1);
      expect(lines(r.stderr)).toEqual([
        `nclone: list rgw:${bucket}: the server at https://${hostPort()} answered plain HTTP to an HTTPS request: write http:// in the endpoint (endpoint = http://${hostPort()}), or use-ssl=false in an s3:// URL`,
      ]);
    });

    it('an s3://host:port/bucket URL', async () => {
      const r = await runNclone(['ls', `s3://${hostPort()}/${bucket}`], envForUrls(cli));
      expectCode(r, 1);
      expect(r.stderr).toContain('answered plain HTTP to an HTTPS request: write http:// in the endpoint');
      expect(r.stderr).not.toContain('EPROTO');
    });
  });

  it('an endpoint that is not a URL, or has a bad port, is a config error on one line', async () => {
    for (const endpoint of ['http://127.0.0.1:99999', 'http://[bad', 'http://']) {
      const r = await runNclone(['ls', `rgw:${bucket}`], { ...cli.env, NCLONE_CONFIG_RGW_ENDPOINT: endpoint });
      expectCode(r, 1);
      expect(lines(r.stderr)).toEqual([`nclone: endpoint ${JSON.stringify(endpoint)} is not a valid URL: check the host name and the port (0-65535), e.g. endpoint = http://127.0.0.1:9000`]);
    }
  });

  it('an error code and message from the server are cut short and their control characters escaped', async () => {
    const code = 'Evil' + 'X'.repeat(5000) + '\u001b[2J';
    const message = 'first line\n2026/01/01 00:00:00 NOTICE : forged line\u001b]0;title\u0007';
    rule = (req) =>
      req.method === 'GET'
        ? { respond: { status: 400, headers: { 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>` } }
        : undefined;
    proxy!.requests.length = 0;
    const r = await runNclone(['ls', `rgw:${bucket}`], via(cli.env, proxy!.endpoint));
    rule = () => undefined;
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr.length).toBeLessThan(600);
    expect(r.stderr).toContain('first line\\n2026/01/01 00:00:00 NOTICE : forged line\\x1b]0;title\\x07');
    // A 400 is the request refused: asking again would get the same answer.
    expect(proxy!.requests.filter((q) => q.method === 'GET').length).toBe(1);
  });

  it('a failed HEAD (no body to read a code from) names what failed and the HTTP status', async () => {
    rule = (req) => (req.method === 'HEAD' && req.path === `/${bucket}/dir/file.txt` ? { respond: { status: 500, body: '' } } : undefined);
    const r = await runNclone(['lsl', `rgw:${bucket}`, '--retries', '1'], via(cli.env, proxy!.endpoint));
    rule = () => undefined;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`read metadata of rgw:${bucket}/dir/file.txt: HTTP 500 from the server`);
    expect(r.stderr).not.toContain('UnknownError');
  });

  it('-vv logs one line per request and attempt: no SDK dumps, stacks, keys or signatures', async () => {
    rule = (req) => (req.method === 'HEAD' && req.path === `/${bucket}/dir/file.txt` ? { respond: { status: 503, body: '' } } : undefined);
    const file = path.join(base, 'vv.txt');
    nfs.writeFileSync(file, 'vv\n');
    const copy = await runNclone(['copy', file, `rgw:${bucket}/vv`, '-vv', '--low-level-retries', '3'], via(cli.env, proxy!.endpoint));
    const lsl = await runNclone(['lsl', `rgw:${bucket}/dir`, '-vv', '--retries', '1', '--low-level-retries', '3'], via(cli.env, proxy!.endpoint));
    rule = () => undefined;
    expectCode(copy, 0);
    // (At -vv the runner prints the stack of the error a command ends with; an expected 404 has none.)
    for (const bad of ['clientName', '$metadata', '    at ']) expect(copy.stderr).not.toContain(bad);
    for (const bad of [s3Server().secretAccessKey, s3Server().accessKeyId, 'Signature', 'Authorization', 'X-Amz-', 'amz-sdk']) expect(copy.stderr + lsl.stderr).not.toContain(bad);
    const s3Lines = (text: string) => lines(text).filter((l) => l.includes(' DEBUG : s3: '));
    expect(s3Lines(copy.stderr).map((l) => l.replace(/^.* DEBUG : s3: /, '').replace(/in \d+ ms/, 'in N ms'))).toEqual([
      `HEAD ${bucket}/vv (HeadObject): HTTP 404 in N ms, attempt 1/3`,
      `HEAD ${bucket} (HeadBucket): HTTP 200 in N ms, attempt 1/3`,
      `HEAD ${bucket}/vv/vv.txt (HeadObject): HTTP 404 in N ms, attempt 1/3`,
      // A small body is held in memory, so the PUT could be sent again: it has attempts left too.
      `PUT ${bucket}/vv/vv.txt (PutObject): HTTP 200 in N ms, attempt 1/3`,
    ]);
    const heads = s3Lines(lsl.stderr).filter((l) => l.includes(`HEAD ${bucket}/dir/file.txt (HeadObject)`));
    expect(heads.map((l) => l.replace(/^.*: HTTP/, 'HTTP').replace(/in \d+ ms/, 'in N ms'))).toEqual(
      expect.arrayContaining(['HTTP 503 in N ms, attempt 1/3', 'HTTP 503 in N ms, attempt 2/3', 'HTTP 503 in N ms, attempt 3/3']),
    );
  });
});
