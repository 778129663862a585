/**
 * `nclone backend` (list-multipart-uploads, help, features, unknown commands) and
 * `nclone about`, on the test Ceph RGW and a local path, next to rclone 1.60.
 * Needs a build (npx tsc -p .).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import { statfs } from 'node:fs/promises';
import { CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SIGNATURES, expectCode, expectOk, makeBase, makeCli, removeBuckets, sdk, uniqueBucket, type Cli } from './helpers-cli.js';

describe('nclone backend and about', () => {
  let base: string;
  let cli: Cli;
  const bucket = uniqueBucket('nclone-backend');
  const empty = uniqueBucket('nclone-backend-empty');

  beforeAll(async () => {
    base = makeBase('backend');
    cli = makeCli(base, false);
    await removeBuckets([bucket, empty]);
    expectOk(await cli.nclone('mkdir', `rgw:${bucket}`));
    expectOk(await cli.nclone('mkdir', `rgw:${empty}`));
    const c = sdk();
    await c.send(new PutObjectCommand({ Bucket: bucket, Key: 'done.txt', Body: 'done' }));
    // Two unfinished uploads another tool started, one below dir/.
    for (const key of ['dir/part #1.bin', 'top.bin']) await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  });

  afterAll(async () => {
    await removeBuckets([bucket, empty]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it.each(SIGNATURES)('list-multipart-uploads prints what rclone prints, signature $sig', async ({ v2 }) => {
    const tools = makeCli(base, v2);
    for (const target of [`rgw:${bucket}`, `rgw:${bucket}/dir`, `rgw:${bucket}/dir/part`, `rgw:${empty}`]) {
      const mine = await tools.nclone('backend', 'list-multipart-uploads', target);
      expectOk(mine);
      const theirs = await tools.rclone('backend', 'list-multipart-uploads', target);
      expectOk(theirs);
      expect(mine.stdout, target).toBe(theirs.stdout);
    }
    const all = JSON.parse((await tools.nclone('backend', 'list-multipart-uploads', `rgw:${bucket}`)).stdout);
    expect(Object.keys(all)).toEqual([bucket]);
    expect(all[bucket].map((u: { Key: string }) => u.Key)).toEqual(['dir/part #1.bin', 'top.bin']);
    // At the top of the remote every bucket is listed (other tests' too).
    const top = JSON.parse((await tools.nclone('backend', 'list-multipart-uploads', 'rgw:')).stdout);
    expect(top[bucket]).toHaveLength(2);
    expect(top[empty]).toEqual([]);
  });

  it('backend help shows a backend\'s commands, by type or by remote', async () => {
    const byType = await cli.nclone('backend', 'help', 's3');
    expectOk(byType);
    for (const name of ['restore', 'restore-status', 'list-multipart-uploads']) expect(byType.stdout).toContain(`\n### ${name}\n`);
    expect(byType.stdout).toContain('- "lifetime": ');
    expect(await cli.nclone('backend', 'help', 'rgw:')).toEqual(byType);
    const local = await cli.nclone('backend', 'help', 'local');
    expectOk(local);
    expect(local.stdout).toMatch(/^The local backend has no commands of its own/);
  });

  it('backend features says what the remote is and can do', async () => {
    const r = await cli.nclone('backend', 'features', `rgw:${bucket}`);
    expectOk(r);
    expect(r.stdout).toMatch(/^\{\n\t"Name": "rgw",\n/);
    const f = JSON.parse(r.stdout);
    expect(f).toMatchObject({ Name: 'rgw', Root: bucket, String: `rgw:${bucket}`, Precision: 1, Hashes: ['md5'] });
    expect(f.Features).toMatchObject({ About: false, BucketBased: true, CanHaveEmptyDirectories: false, Command: true, Copy: true, ListR: true, PublicLink: true, Purge: true, SetTier: true, IsLocal: false });
    // rclone agrees where both have the feature.
    const theirs = JSON.parse((await cli.rclone('backend', 'features', `rgw:${bucket}`)).stdout);
    for (const k of ['About', 'BucketBased', 'CanHaveEmptyDirectories', 'Command', 'Copy', 'ListR', 'PublicLink', 'Purge', 'PutStream', 'SetTier', 'IsLocal', 'SlowModTime']) expect(f.Features[k], k).toBe(theirs.Features[k]);
    expect(f.Hashes).toEqual(theirs.Hashes);
    const local = JSON.parse((await cli.nclone('backend', 'features', base)).stdout);
    expect(local).toMatchObject({ Name: 'local', Root: base, Features: { About: true, IsLocal: true, Command: false, PublicLink: false, SetTier: false } });
  });

  it('refuses unknown commands and options in one line, listing what there is', async () => {
    const unknown = await cli.nclone('backend', 'thaw', `rgw:${bucket}`);
    expectCode(unknown, 1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe('nclone: the s3 backend has no command "thaw": use one of restore, restore-status, list-multipart-uploads, help, features (nclone backend help s3 explains them)\n');
    const local = await cli.nclone('backend', 'restore', base);
    expectCode(local, 1);
    expect(local.stderr).toBe('nclone: the local backend has no command "restore": use one of help, features (nclone backend help local explains them)\n');
    const opt = await cli.nclone('backend', 'list-multipart-uploads', `rgw:${bucket}`, '-o', 'all');
    expectCode(opt, 1);
    expect(opt.stderr).toBe('nclone: backend list-multipart-uploads: unknown option "all": it takes no -o options\n');
    const args = await cli.nclone('backend', 'list-multipart-uploads', `rgw:${bucket}`, 'extra');
    expectCode(args, 1);
    expect(args.stderr).toMatch(/^nclone: backend list-multipart-uploads takes no arguments after the path/);
    // rclone also fails an unknown command with exit code 1.
    expectCode(await cli.rclone('backend', 'thaw', `rgw:${bucket}`), 1);
  });

  it('about on S3 is not supported, with rclone\'s exit code', async () => {
    for (const target of ['rgw:', `rgw:${bucket}`]) {
      const r = await cli.nclone('about', target);
      expectCode(r, 1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`nclone: about is not supported by ${target} (its backend reports no total or free space)\n`);
      const theirs = await cli.rclone('about', target);
      expectCode(theirs, 1);
    }
  });

  it('about on a local path shows the file system\'s sizes as rclone does', async () => {
    const s = await statfs(base);
    const total = s.bsize * s.blocks;
    const json = await cli.nclone('about', '--json', base);
    expectOk(json);
    expect(json.stdout).toMatch(/^\{\n\t"total": \d+,\n\t"used": \d+,\n\t"free": \d+\n\}\n$/);
    const mine = JSON.parse(json.stdout);
    const theirs = JSON.parse((await cli.rclone('about', '--json', base)).stdout);
    expect(Object.keys(mine)).toEqual(Object.keys(theirs));
    expect(mine.total).toBe(theirs.total);
    expect(mine.total).toBe(total);
    // Used and free move as other programs write: the same within 1 GiB.
    for (const k of ['used', 'free']) expect(Math.abs(mine[k] - theirs[k]), k).toBeLessThan(2 ** 30);

    const human = await cli.nclone('about', base);
    expectOk(human);
    const lines = human.stdout.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe((await cli.rclone('about', base)).stdout.split('\n')[0]);
    expect(lines[1]).toMatch(/^Used: {4}\d+(\.\d{3})? [KMGTPE]?i?B$/);
    expect(lines[2]).toMatch(/^Free: {4}\d+(\.\d{3})? [KMGTPE]?i?B$/);
    const full = await cli.nclone('about', '--full', base);
    expect(full.stdout.split('\n')[0]).toBe(`Total:   ${total}`);

    const missing = await cli.nclone('about', `${base}/no/such/dir`);
    expectCode(missing, 3);
    expect(missing.stderr).toBe(`nclone: ${base}/no/such/dir: directory not found\n`);
    expectCode(await cli.rclone('about', `${base}/no/such/dir`), 3);
  });
});
