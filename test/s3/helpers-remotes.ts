/**
 * Helpers for test/s3/remotes.test.ts: bin/nclone run with a clean environment (no AWS_*,
 * NCLONE_* or RCLONE_* variables, no instance metadata), remotes written as connection strings,
 * s3:// URLs and config files for the test RGW, a small fixture tree, and checks of an object's
 * effective ACL by unsigned GETs. Only 127.0.0.1 is ever contacted.
 */
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { NCLONE, cleanEnv, run, type RunResult } from '../helpers/run.js';
import { s3Server } from '../helpers/s3.js';
import { T0, makeBase, writeTree, type FileSpec } from './helpers-cli.js';
import { anonymousGet, objectPath, observer, type RecordedRequest } from './helpers-backend.js';

/** Three files in two levels, with nanosecond mtimes. */
export const FILES: FileSpec[] = [
  { path: 'top.txt', data: Buffer.from('top\n'), sec: T0, ns: 123456789 },
  { path: 'dir/inner.txt', data: Buffer.from('inner file\n'), sec: T0 + 60, ns: 5 },
  { path: 'dir/sub/deep file.txt', data: Buffer.from('deep '.repeat(30)), sec: T0 + 3600, ns: 999999999 },
];

export interface Workspace {
  base: string;
  home: string;
  /** A local copy of FILES. */
  src: string;
}

export async function workspace(label: string): Promise<Workspace> {
  const base = makeBase(label);
  const src = path.join(base, 'src');
  await writeTree(src, FILES);
  return { base, home: path.join(base, 'home'), src };
}

/** A child environment with nothing from the parent's AWS_*, NCLONE_*, RCLONE_* variables. */
export function childEnv(ws: Workspace, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv(ws.home, { TZ: 'UTC', AWS_EC2_METADATA_DISABLED: 'true', ...extra });
}

/** `node bin/nclone ARGS` in env. */
export function nclone(env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [NCLONE, ...args], env);
}

/** The test RGW's keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
export function awsKeys(): Record<string, string> {
  const s = s3Server();
  return { AWS_ACCESS_KEY_ID: s.accessKeyId, AWS_SECRET_ACCESS_KEY: s.secretAccessKey };
}

/** The RGW's host:port, e.g. 127.0.0.1:PORT. */
export function hostPort(): string {
  return new URL(s3Server().endpoint).host;
}

/** `:s3,provider=Ceph,endpoint='EP',access_key_id=K,secret_access_key=S` plus extra options, without the final ':'. */
export function connString(extra = '', quote: "'" | '"' = "'"): string {
  const s = s3Server();
  const q = (v: string) => quote + v.split(quote).join(quote + quote) + quote;
  return `:s3,provider=Ceph,endpoint=${q(s.endpoint)},access_key_id=${s.accessKeyId},secret_access_key=${q(s.secretAccessKey)}${extra}`;
}

/** s3://BUCKET/PATH?access-key=...&secret-access-key=...&endpoint=...&region=... */
export function keyedUrl(bucketPath: string, extra = ''): string {
  const s = s3Server();
  const q = new URLSearchParams({ 'access-key': s.accessKeyId, 'secret-access-key': s.secretAccessKey, endpoint: s.endpoint, region: s.region });
  return `s3://${bucketPath}?${q.toString()}${extra}`;
}

/** Writes a config file in the workspace and returns its path. */
export function configFile(ws: Workspace, name: string, text: string): string {
  const file = path.join(ws.base, name);
  nfs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** An [name] s3 section for the test RGW; extra lines are appended as is. */
export function rgwSection(name: string, ...extra: string[]): string {
  const s = s3Server();
  return [`[${name}]`, 'type = s3', 'provider = Ceph', `endpoint = ${s.endpoint}`, `access_key_id = ${s.accessKeyId}`, `secret_access_key = ${s.secretAccessKey}`, ...extra, ''].join('\n');
}

/** Non-empty lines of some output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** The object exists (seen by the admin client) and an unsigned GET gets it: 200 with its content. */
export async function expectPublic(bucket: string, key: string, body?: string): Promise<void> {
  const got = await anonymousGet(objectPath(bucket, key));
  expect(got.status, `anonymous GET /${bucket}/${key}`).toBe(200);
  if (body !== undefined) expect(got.body.toString()).toBe(body);
}

/** The object exists (seen by the admin client) but an unsigned GET is refused with 403. */
export async function expectPrivate(bucket: string, key: string): Promise<void> {
  await observer().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  expect((await anonymousGet(objectPath(bucket, key))).status, `anonymous GET /${bucket}/${key}`).toBe(403);
}

/** A bucket made with the admin keys whose ACL and objects are public-read. */
export async function publicBucket(bucket: string, objects: Record<string, string>): Promise<void> {
  const c = observer();
  await c.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
  for (const [Key, Body] of Object.entries(objects)) await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ACL: 'public-read' }));
}

/** An SDK client for another RGW user. */
export function userClient(accessKeyId: string, secretAccessKey: string): S3Client {
  const s = s3Server();
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Empties and deletes a bucket with the given client; a missing bucket is fine. */
export async function dropBucketAs(c: S3Client, bucket: string): Promise<void> {
  try {
    const page = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
    for (const o of page.Contents ?? []) await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
    await c.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if ((err as { name?: string }).name !== 'NoSuchBucket') throw err;
  }
}

/** Every regular file under root (relative path -> content). */
export function localFiles(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of nfs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[path.relative(root, path.join(e.parentPath, e.name))] = nfs.readFileSync(path.join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

const HELLO_MD5 = createHash('md5').update('hello\n').digest('hex');

/** A stand-in S3 with one object, somebucket/prefix/a.txt ("hello\n"); everything else is 404. */
export function standIn(req: RecordedRequest): { status: number; headers?: Record<string, string>; body?: string } | undefined {
  const u = new URL(req.url, 'http://127.0.0.1');
  const xml = { 'content-type': 'application/xml' };
  if (req.method === 'GET' && /^\/somebucket\/?$/.test(u.pathname) && (u.searchParams.get('prefix') ?? '').startsWith('prefix')) {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>somebucket</Name>' +
      `<Prefix>${u.searchParams.get('prefix')}</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
      `<Contents><Key>prefix/a.txt</Key><LastModified>2023-11-14T22:13:20.000Z</LastModified><ETag>"${HELLO_MD5}"</ETag><Size>6</Size><StorageClass>STANDARD</StorageClass></Contents>` +
      '</ListBucketResult>';
    return { status: 200, headers: xml, body };
  }
  if ((req.method === 'GET' || req.method === 'HEAD') && u.pathname === '/somebucket/prefix/a.txt') {
    return { status: 200, headers: { 'content-type': 'text/plain', etag: `"${HELLO_MD5}"`, 'last-modified': 'Tue, 14 Nov 2023 22:13:20 GMT' }, body: 'hello\n' };
  }
  return { status: 404, headers: xml, body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>no</Message></Error>' };
}
