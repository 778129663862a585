/**
 * lsjson, lsf, size and tree on a bucket of the test Ceph RGW, side by side with rclone 1.60
 * on the same bucket: lsjson's items parse to the same fields and values (directory times
 * aside: neither tool knows them, both print the time of the listing), lsf, size and tree
 * print the same text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { expectCode, expectOk, fixtureTree, makeBase, makeCli, removeBuckets, sdk, sortedLines, uniqueBucket, writeTree, type Cli } from '../s3/helpers-cli.js';

interface Item {
  Path: string;
  Name: string;
  Size: number;
  MimeType?: string;
  ModTime: string;
  IsDir: boolean;
  Hashes?: Record<string, string>;
  Tier?: string;
  IsBucket?: boolean;
}

const FIELDS = ['Path', 'Name', 'Size', 'MimeType', 'ModTime', 'IsDir', 'Hashes', 'Tier', 'IsBucket'];

let base: string;
let cli: Cli;
const bucket = uniqueBucket('nclone-listing');
const remote = `rgw:${bucket}`;

beforeAll(async () => {
  base = makeBase('listing');
  cli = makeCli(base, false);
  const src = path.join(base, 'src');
  await writeTree(src, fixtureTree());
  expectOk(await cli.nclone('sync', src, remote));
  // Written behind nclone's back: a Content-Type of its own and no mtime metadata.
  await sdk().send(new PutObjectCommand({ Bucket: bucket, Key: 'web/page.html', Body: '<p>hi</p>', ContentType: 'text/html; charset=utf-8' }));
});

afterAll(async () => {
  await removeBuckets([bucket]);
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

async function both(...args: string[]) {
  const [n, r] = await Promise.all([cli.nclone(...args), cli.rclone(...args)]);
  return { n, r };
}

function items(stdout: string): Item[] {
  const parsed = JSON.parse(stdout) as Item[];
  for (const i of parsed) for (const k of Object.keys(i)) expect(FIELDS, `unexpected field ${k}`).toContain(k);
  return parsed.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** Directories as both tools can agree on them: their time is the listing's, their size a backend detail. */
function comparable(list: Item[]): unknown[] {
  return list.map((i) => {
    if (!i.IsDir) return i;
    if (i.ModTime !== '') expect(Number.isNaN(Date.parse(i.ModTime))).toBe(false);
    const { ModTime: _t, Size: _s, ...rest } = i;
    return rest;
  });
}

describe('lsjson on the RGW, compared with rclone', () => {
  it('-R --hash: the same items, field for field', async () => {
    const { n, r } = await both('lsjson', '-R', '--hash', remote);
    expectOk(r);
    expectOk(n);
    const mine = items(n.stdout);
    expect(mine.map((i) => i.Path)).toContain('odd/a~b!c*d\'e(f)/semi;colon,comma@$&[x]{y}^|.txt');
    expect(comparable(mine)).toEqual(comparable(items(r.stdout)));
    // Directories from the recursive listing are -1 in both.
    expect(mine.filter((i) => i.IsDir).map((i) => i.Size)).toEqual(mine.filter((i) => i.IsDir).map(() => -1));
    const top = mine.find((i) => i.Path === 'top.txt')!;
    expect(top).toEqual({
      Path: 'top.txt',
      Name: 'top.txt',
      Size: 6,
      MimeType: top.MimeType,
      ModTime: '2020-09-13T12:26:40.123456789Z',
      IsDir: false,
      Hashes: { md5: 'b1946ac92492d2347c6235b4d2611184' },
      Tier: 'STANDARD',
    });
    // The server's Content-Type, and LastModified for an object without an mtime of rclone's.
    const page = mine.find((i) => i.Path === 'web/page.html')!;
    expect(page.MimeType).toBe('text/html; charset=utf-8');
    expect(page.ModTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it('the top level only, without times or types', async () => {
    const { n, r } = await both('lsjson', '--no-modtime', '--no-mimetype', remote);
    expectOk(r);
    expectOk(n);
    expect(comparable(items(n.stdout))).toEqual(comparable(items(r.stdout)));
    expect(items(n.stdout).map((i) => i.Path)).toEqual(['dir one', 'empty file', 'odd', 'top.txt', 'web', 'ünïcödé']);
  });

  it('--files-only with a filter, and a subdirectory', async () => {
    const { n, r } = await both('lsjson', '-R', '--files-only', '--include', '*.txt', `${remote}/odd`);
    expectOk(r);
    expectOk(n);
    expect(items(n.stdout)).toEqual(items(r.stdout));
    expect(items(n.stdout).map((i) => i.Path)).toEqual(['100% sure+#1.txt', "a~b!c*d'e(f)/semi;colon,comma@$&[x]{y}^|.txt", 'hash#pct%plus+.txt']);
  });

  it('at the root of the remote, the bucket is a directory with IsBucket', async () => {
    const { n, r } = await both('lsjson', 'rgw:');
    expectOk(r);
    expectOk(n);
    const mine = items(n.stdout).find((i) => i.Path === bucket);
    expect(mine).toMatchObject({ Name: bucket, IsDir: true, IsBucket: true, MimeType: 'inode/directory' });
    expect(mine).toEqual(items(r.stdout).find((i) => i.Path === bucket));
  });

  it('a prefix with nothing under it is an empty list; a missing bucket is exit 3 with nothing on stdout', async () => {
    const empty = await both('lsjson', `${remote}/no/such/dir`);
    expectOk(empty.n);
    expect(empty.n.stdout).toBe('[\n]\n');
    expect(empty.n.stdout).toBe(empty.r.stdout);
    const missing = await both('lsjson', `${remote}-missing`);
    expectCode(missing.n, 3);
    expectCode(missing.r, 3);
    expect(missing.n.stdout).toBe('');
    expect(missing.n.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('lsf, size and tree on the RGW, compared with rclone', () => {
  it.each([[['-R']], [['-R', '--files-only', '--format', 'pstmhT']], [['--files-only', '--csv', '--format', 'psm']], [['-R', '--dirs-only', '--absolute']], [['-R', '--exclude', 'odd/**', '--format', 'hp']], [['-R', '--fast-list', '--format', 'ps', '--files-only']]])(
    'lsf %j',
    async (flags) => {
      const { n, r } = await both('lsf', ...flags, remote);
      expectOk(r);
      expectOk(n);
      expect(sortedLines(n.stdout)).toEqual(sortedLines(r.stdout));
    },
  );

  it.each([[[]], [['--json']], [['--max-depth', '1']], [['--include', '*.txt', '--json']]])('size %j', async (flags) => {
    const { n, r } = await both('size', ...flags, remote);
    expectOk(r);
    expectOk(n);
    expect(n.stdout).toBe(r.stdout);
  });

  it('size counts the fixture', async () => {
    const n = await cli.nclone('size', '--json', remote);
    const bytes = fixtureTree().reduce((sum, f) => sum + f.data.length, 0) + '<p>hi</p>'.length;
    expect(JSON.parse(n.stdout)).toEqual({ count: 10, bytes, sizeless: 0 });
  });

  it.each([[['-s', '-D']], [['--level', '1', '-s']], [['--human-readable', '--full-path']], [['--fast-list', '-s', '-a']]])('tree %j', async (flags) => {
    const { n, r } = await both('tree', ...flags, remote);
    expectOk(r);
    expectOk(n);
    expect(n.stdout).toBe(r.stdout);
  });

  it('tree and size of a missing bucket: exit 3 and nothing on stdout', async () => {
    for (const cmd of ['tree', 'size', 'lsf']) {
      const n = await cli.nclone(cmd, `${remote}-missing`);
      expectCode(n, 3);
      expect(n.stdout).toBe('');
    }
  });
});
