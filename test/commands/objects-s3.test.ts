/**
 * cat, rcat, copyto, touch and deletefile through the real command line against the test
 * Ceph RGW (remote `rgw` from NCLONE_CONFIG_RGW_* variables), side by side with rclone 1.60
 * where the result is deterministic. What the server holds is read with the SDK directly:
 * objects, their mtime metadata, ETags and unfinished multipart uploads. Needs a build.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headObject, makeBase, makeCli, removeBuckets, uniqueBucket, type Cli } from '../s3/helpers-cli.js';
import { observer, pendingUploads, serverKeys } from '../s3/helpers-backend.js';
import { bytes, expectOneLine, expectQuietOk, md5, messages, ncloneBin, runBin, type BinOptions, type BinResult } from './objects-helpers.js';

let base: string;
let cli: Cli;
const bucket = uniqueBucket('nclone-objects');
const B = `rgw:${bucket}`;

beforeAll(async () => {
  base = makeBase('objects');
  cli = makeCli(base, false);
  const made = await cli.nclone('mkdir', B);
  expect(made.code, made.stderr).toBe(0);
});

afterAll(async () => {
  await removeBuckets([bucket]);
  nfs.rmSync(base, { recursive: true, force: true });
});

const nclone = (args: string[], opts: Partial<BinOptions> = {}): Promise<BinResult> => ncloneBin(args, { env: cli.env, ...opts });
const rclone = (args: string[], opts: Partial<BinOptions> = {}): Promise<BinResult> => runBin('rclone', ['--config', path.join(base, 'rclone.conf'), ...args], { env: cli.env, ...opts });

async function getObject(key: string): Promise<Buffer> {
  const res = await observer().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** The mtime nclone and rclone store, in nanoseconds ("1600000000.123456789" seconds). */
async function mtimeOf(key: string): Promise<bigint> {
  const v = (await headObject(bucket, key)).Metadata?.mtime;
  expect(v, `${key} has no mtime metadata`).toBeDefined();
  const [s, f = ''] = v!.split('.');
  return BigInt(s!) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
}

async function missing(key: string): Promise<boolean> {
  return headObject(bucket, key).then(
    () => false,
    (err: { name?: string }) => {
      if (err.name === 'NotFound' || err.name === 'NoSuchKey') return true;
      throw err;
    },
  );
}

describe('rcat', () => {
  it('streams input past the cutoff as a multipart upload; the object is whole, with the time the command started', async () => {
    const data = bytes(12 * 1024 * 1024 + 5, 21);
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = await nclone(['rcat', '-vv', '--s3-chunk-size', '5Mi', `${B}/stream/big.bin`], { stdin: data });
    const after = BigInt(Date.now()) * 1_000_000n;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/\(UploadPart\): HTTP 200/g)).toHaveLength(3);
    expect((await headObject(bucket, 'stream/big.bin')).ETag).toMatch(/-3"$/);
    expect(md5(await getObject('stream/big.bin'))).toBe(md5(data));
    const t = await mtimeOf('stream/big.bin');
    expect(t >= before - 1_000_000n && t <= after, `${t} not in [${before}, ${after}]`).toBe(true);
    // rclone reads it back the same.
    const back = await rclone(['cat', `${B}/stream/big.bin`]);
    expect(md5(back.stdout)).toBe(md5(data));
    expect(await pendingUploads(bucket)).toEqual([]);
  });

  it('small input is one PUT whose ETag is its MD5; empty input makes an empty object, as rclone does', async () => {
    const data = Buffer.from('hello, rgw\n');
    expectQuietOk(await nclone(['rcat', `${B}/small/hello.txt`], { stdin: data }));
    expect((await headObject(bucket, 'small/hello.txt')).ETag).toBe(`"${md5(data)}"`);
    expectQuietOk(await nclone(['rcat', `${B}/small/empty-n`], { stdin: Buffer.alloc(0) }));
    const r = await rclone(['rcat', `${B}/small/empty-r`], { stdin: Buffer.alloc(0) });
    expect(r.code, r.stderr).toBe(0);
    expect((await headObject(bucket, 'small/empty-n')).ContentLength).toBe(0);
    expect((await headObject(bucket, 'small/empty-r')).ContentLength).toBe(0);
  });

  it('Ctrl-C during a multipart rcat leaves no object and no unfinished upload', async () => {
    let stderr = '';
    const r = await nclone(['rcat', '-vv', '--s3-chunk-size', '5Mi', `${B}/int/big.bin`], {
      onStderr: (text) => (stderr = text),
      // 7 MiB and stdin left open: one part is sent and the command waits for more.
      feed: (child) => {
        child.stdin!.write(bytes(7 * 1024 * 1024, 4));
        const poll = setInterval(() => {
          if (!/\(UploadPart\): HTTP 200/.test(stderr)) return;
          clearInterval(poll);
          child.kill('SIGINT');
        }, 100);
        child.once('close', () => clearInterval(poll));
      },
    });
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain('(CreateMultipartUpload): HTTP 200');
    expect(r.stderr).toContain('(AbortMultipartUpload): HTTP 204');
    expect(await missing('int/big.bin')).toBe(true);
    expect(await pendingUploads(bucket)).toEqual([]);
  });

  it('--size: input longer or shorter than said fails with one line and leaves no object', async () => {
    const data = bytes(6_000_000, 9);
    // The server has the first 6000000 bytes before the extra ones arrive: it must never get
    // them all, or the PUT completes and replaces the object that was there.
    expectQuietOk(await nclone(['rcat', `${B}/size/kept`], { stdin: Buffer.from('old') }));
    for (const flags of [[], ['--s3-upload-cutoff', '5Mi', '--s3-chunk-size', '5Mi']]) {
      const over = await nclone(['rcat', ...flags, '--size', '6000000', `${B}/size/kept`], {
        feed: (child) => {
          child.stdin!.write(data);
          setTimeout(() => child.stdin!.end('extra'), 1500);
        },
      });
      expect(expectOneLine(over, 6)).toBe('nclone: standard input held more than 6000000 bytes, not the 6000000 given with --size: nothing was stored');
      expect((await getObject('size/kept')).toString()).toBe('old');
    }
    const longer = await nclone(['rcat', '--size', '6000000', `${B}/size/long`], { stdin: Buffer.concat([data, Buffer.from('extra')]) });
    expect(expectOneLine(longer, 6)).toBe('nclone: standard input held more than 6000000 bytes, not the 6000000 given with --size: nothing was stored');
    const shorter = await nclone(['rcat', '--size', '6000000', `${B}/size/short`], { stdin: data.subarray(0, 5_000_000) });
    expect(expectOneLine(shorter, 6)).toBe('nclone: standard input held 5000000 bytes, not the 6000000 given with --size: nothing was stored');
    expectQuietOk(await nclone(['rcat', '--size', '6000000', `${B}/size/exact`], { stdin: data }));
    expect(await serverKeys(bucket, 'size/')).toEqual(['size/exact', 'size/kept']);
    expect(md5(await getObject('size/exact'))).toBe(md5(data));
    expect(await pendingUploads(bucket)).toEqual([]);
  });
});

describe('cat', () => {
  const data = bytes(1000, 8);

  beforeAll(async () => {
    expectQuietOk(await nclone(['rcat', `${B}/cat/f.bin`], { stdin: data }));
    expectQuietOk(await nclone(['rcat', `${B}/cat/a.txt`], { stdin: Buffer.from('A\n') }));
    expectQuietOk(await nclone(['rcat', `${B}/cat/sub/b.txt`], { stdin: Buffer.from('B\n') }));
  });

  it('prints an object and ranges of it as rclone does', async () => {
    for (const flags of [[], ['--head', '10'], ['--tail', '10'], ['--offset', '100', '--count', '17'], ['--offset', '-5']]) {
      const [n, r] = await Promise.all([nclone(['cat', `${B}/cat/f.bin`, ...flags]), rclone(['cat', `${B}/cat/f.bin`, ...flags])]);
      expectQuietOk(n);
      expect(n.stdout.equals(r.stdout), flags.join(' ')).toBe(true);
    }
    const all = await nclone(['cat', `${B}/cat/f.bin`]);
    expect(all.stdout.equals(data)).toBe(true);
  });

  it('prints the objects below a prefix, filtered, as rclone; an offset past the end prints nothing (rclone fails with 416)', async () => {
    const [n, r] = await Promise.all([nclone(['cat', '--include', '*.txt', `${B}/cat`]), rclone(['cat', '--include', '*.txt', `${B}/cat`])]);
    expectQuietOk(n);
    expect(n.stdout.toString()).toBe('A\nB\n');
    expect(n.stdout.toString()).toBe(r.stdout.toString());
    const past = await nclone(['cat', '--offset', '1000', `${B}/cat/f.bin`]);
    expectQuietOk(past);
    expect(past.stdout.length).toBe(0);
  });
});

describe('copyto', () => {
  it('uploads a file to a new key with its mtime, copies server-side on the same remote, and skips an identical destination', async () => {
    const local = path.join(base, 'up.txt');
    nfs.writeFileSync(local, 'upload me');
    nfs.utimesSync(local, 1_600_000_000.25, 1_600_000_000.25);
    const up = await nclone(['copyto', '-v', local, `${B}/copyto/renamed.txt`]);
    expect(up.code, up.stderr).toBe(0);
    expect(messages(up.stderr)).toContain('INFO  : renamed.txt: Copied (new)');
    expect(await mtimeOf('copyto/renamed.txt')).toBe(1_600_000_000_250_000_000n);
    const ss = await nclone(['copyto', '-v', `${B}/copyto/renamed.txt`, `${B}/copyto/again/copy.txt`]);
    expect(ss.code, ss.stderr).toBe(0);
    expect(messages(ss.stderr)).toContain('INFO  : copy.txt: Copied (server-side copy)');
    expect((await getObject('copyto/again/copy.txt')).toString()).toBe('upload me');
    expect(await mtimeOf('copyto/again/copy.txt')).toBe(1_600_000_000_250_000_000n);
    const same = await nclone(['copyto', '-v', local, `${B}/copyto/renamed.txt`]);
    expect(same.code, same.stderr).toBe(0);
    expect(messages(same.stderr)).toContain('INFO  : There was nothing to transfer');
    // rclone sees the same objects.
    const r = await rclone(['lsl', `${B}/copyto`]);
    expect(r.stdout.toString().split('\n').filter(Boolean).sort()).toEqual(['        9 2020-09-13 12:26:40.250000000 again/copy.txt', '        9 2020-09-13 12:26:40.250000000 renamed.txt']);
  });
});

describe('touch', () => {
  it('creates an empty object and re-times an existing one to the nanosecond, as rclone', async () => {
    for (const [tool, run] of [
      ['n', nclone],
      ['r', rclone],
    ] as const) {
      expect((await run(['touch', '-t', '2006-01-02T15:04:05.123456789', `${B}/touch/${tool}/new.txt`])).code).toBe(0);
      expect((await run(['rcat', `${B}/touch/${tool}/old.txt`], { stdin: Buffer.from('old') })).code).toBe(0);
      expect((await run(['touch', '-t', '2001-01-01T00:00:00.5', `${B}/touch/${tool}/old.txt`])).code).toBe(0);
      expect((await run(['touch', '-C', `${B}/touch/${tool}/never.txt`])).code).toBe(0);
    }
    for (const tool of ['n', 'r']) {
      expect(await mtimeOf(`touch/${tool}/new.txt`)).toBe(1_136_214_245_123_456_789n);
      expect((await headObject(bucket, `touch/${tool}/new.txt`)).ContentLength).toBe(0);
      expect(await mtimeOf(`touch/${tool}/old.txt`)).toBe(978_307_200_500_000_000n);
      expect((await getObject(`touch/${tool}/old.txt`)).toString()).toBe('old');
    }
    expect(await serverKeys(bucket, 'touch/')).toEqual(['touch/n/new.txt', 'touch/n/old.txt', 'touch/r/new.txt', 'touch/r/old.txt']);
  });

  it('a prefix is a directory: its objects are touched (all below with -R), no object of its name is made', async () => {
    for (const key of ['dir/a.txt', 'dir/sub/b.txt']) expectQuietOk(await nclone(['rcat', `${B}/tdir/${key}`], { stdin: Buffer.from('x') }));
    expectQuietOk(await nclone(['touch', '-t', '2010-01-01T00:00:00', `${B}/tdir/dir`]));
    expect(await mtimeOf('tdir/dir/a.txt')).toBe(1_262_304_000_000_000_000n);
    expect(await mtimeOf('tdir/dir/sub/b.txt')).not.toBe(1_262_304_000_000_000_000n);
    expectQuietOk(await nclone(['touch', '-R', '-t', '2011-01-01T00:00:00', `${B}/tdir/dir`]));
    expect(await mtimeOf('tdir/dir/a.txt')).toBe(1_293_840_000_000_000_000n);
    expect(await mtimeOf('tdir/dir/sub/b.txt')).toBe(1_293_840_000_000_000_000n);
    expect(await serverKeys(bucket, 'tdir/')).toEqual(['tdir/dir/a.txt', 'tdir/dir/sub/b.txt']);
  });
});

describe('deletefile', () => {
  it('removes one object; a prefix or a missing key is one line, exit 1, as rclone', async () => {
    expectQuietOk(await nclone(['rcat', `${B}/del/a.txt`], { stdin: Buffer.from('a') }));
    expectQuietOk(await nclone(['rcat', `${B}/del/sub/b.txt`], { stdin: Buffer.from('b') }));
    const del = await nclone(['deletefile', '-v', `${B}/del/a.txt`]);
    expect(del.code, del.stderr).toBe(0);
    expect(messages(del.stderr)[0]).toBe('INFO  : a.txt: Deleted');
    for (const target of [`${B}/del/sub`, `${B}/del/nope.txt`]) {
      const r = await nclone(['deletefile', target]);
      expect(expectOneLine(r, 1)).toBe(`nclone: ${target} is a directory or doesn't exist: deletefile removes one existing file (use delete or purge for a directory)`);
      expect((await rclone(['deletefile', '--retries', '1', target])).code).toBe(1);
    }
    expect(await serverKeys(bucket, 'del/')).toEqual(['del/sub/b.txt']);
  });
});
