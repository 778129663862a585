/**
 * Issue 9, "Malformed servers": invalid XML, a Content-Length longer than the body, a listing
 * whose continuation token or marker repeats forever, a listing page whose keys are not
 * sorted, a 200 answer with an <Error> body to CopyObject and CompleteMultipartUpload, and a
 * server that accepts the connection and never answers. Each must end in an error that names
 * the remote and what was wrong, with a documented exit code, in bounded time: never a crash,
 * a stack trace, a hang or an endless loop, nothing deleted and no partial file left.
 *
 * The server is test/servers/fake-s3.ts on 127.0.0.1 (the real RGW cannot misbehave on
 * purpose), reached through an on-the-fly remote `:s3,provider=Other,endpoint=...:`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NCLONE, cleanEnv, run, type RunResult } from '../helpers/run.js';
import { startFakeS3, type FakeS3, type FakeS3Options } from '../servers/fake-s3.js';
import { filesUnder } from '../s3/helpers-faults.js';

/** Flags every run gets: few retries, short timeouts, so a failure comes fast. */
const QUICK = ['--low-level-retries', '2', '--retries', '1', '--timeout', '2s', '--contimeout', '2s'];
/** No run may take longer than this (run() kills it then, and the test fails). */
const BOUND_MS = 30_000;

/** The remote's name as nclone prints it. */
const SRC = ':s3:src';
const DST = ':s3:dst';

const OBJECTS = { 'a.txt': 'first object\n', 'b.txt': 'second object\n', 'dir/c.txt': 'third object\n' };

let base: string;
let env: NodeJS.ProcessEnv;
let upDir: string;
let big: Buffer;

beforeAll(() => {
  if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
  base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-malformed-'));
  nfs.mkdirSync(path.join(base, 'home'));
  env = cleanEnv(path.join(base, 'home'), { AWS_EC2_METADATA_DISABLED: 'true', TZ: 'UTC' });
  // 7 MiB: with --s3-upload-cutoff 1Mi --s3-chunk-size 5Mi a two-part multipart upload.
  upDir = path.join(base, 'up');
  nfs.mkdirSync(upDir);
  big = Buffer.alloc(7 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff;
  nfs.writeFileSync(path.join(upDir, 'big.bin'), big);
});

afterAll(() => {
  if (base) nfs.rmSync(base, { recursive: true, force: true });
});

/** `:s3,...:path` on the fake server. */
function remote(fake: FakeS3, p: string): string {
  return `:s3,provider=Other,endpoint='${fake.endpoint}',access_key_id=x,secret_access_key=y:${p}`;
}

interface Timed extends RunResult {
  ms: number;
}

async function nclone(args: string[]): Promise<Timed> {
  const start = Date.now();
  const r = await run(NCLONE, [...args, ...QUICK], env, { timeoutMs: BOUND_MS });
  return { ...r, ms: Date.now() - start };
}

async function withFake(options: FakeS3Options, body: (fake: FakeS3) => Promise<void>): Promise<void> {
  const fake = await startFakeS3({ buckets: { src: { ...OBJECTS }, dst: {} }, ...options });
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

/** A local destination holding a file the bucket doesn't have (a sync would delete it). */
function localDst(label: string): { dir: string; before: string[] } {
  const dir = path.join(base, label);
  nfs.mkdirSync(dir, { recursive: true });
  nfs.writeFileSync(path.join(dir, 'local-only.txt'), 'only here\n');
  return { dir, before: ['local-only.txt'] };
}

function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}

/** The lines that report a problem: a command's one fatal line, or one ERROR line per failed item (not the closing summary). */
function problemLines(stderr: string): string[] {
  return lines(stderr).filter((l) => !/ (NOTICE|INFO|DEBUG) : /.test(l) && !/ ERROR : (Failed to (copy|sync) with|not deleting )/.test(l));
}

/** Ended on its own, in bounded time, with this exit code, no stack trace and no SDK internals. */
function expectCleanFailure(r: Timed, code: number): void {
  const shown = `exit ${r.code} after ${r.ms} ms${r.timedOut ? ' (KILLED: outlived the bound)' : ''}; stderr:\n${r.stderr}`;
  expect(r.timedOut, shown).toBe(false);
  expect(r.code, shown).toBe(code);
  expect(r.ms, shown).toBeLessThan(BOUND_MS);
  expect(r.stderr, shown).not.toMatch(/^\s+at /m);
  for (const noise of ['$response', '$metadata', 'Deserialization error', 'clientName', '[object Object]', 'TypeError', 'undefined']) expect(r.stderr, shown).not.toContain(noise);
}

/** One line (`nclone: ...`) naming the remote and saying what was wrong. */
function expectOneLine(r: Timed, names: string, what: RegExp): void {
  const got = lines(r.stderr);
  expect(got, r.stderr).toHaveLength(1);
  expect(got[0]).toMatch(/^nclone: /);
  expect(got[0]).toContain(names);
  expect(got[0]).toMatch(what);
}

/** One ERROR line per failed item, each naming its remote path and what was wrong. */
function expectErrorLines(r: Timed, names: string[], what: RegExp): void {
  const got = problemLines(r.stderr);
  expect(got, r.stderr).toHaveLength(names.length);
  for (const n of names) {
    const line = got.find((l) => l.includes(n));
    expect(line, `no error line names ${n}:\n${r.stderr}`).toBeDefined();
    expect(line).toMatch(what);
  }
}

describe('invalid XML (an answer cut off in the middle of an element)', () => {
  const WHAT = /XML|not valid|malformed|unreadable/i;

  for (const version of ['1', '2']) {
    it(`ls: exit 5 and one line (list v${version})`, async () => {
      await withFake({ misbehave: 'invalidXml' }, async (fake) => {
        const r = await nclone(['ls', remote(fake, 'src'), '--s3-list-version', version]);
        expectCleanFailure(r, 5);
        expectOneLine(r, `list ${SRC}`, WHAT);
        expect(r.stdout).toBe('');
      });
    });
  }

  it('sync into a local directory: deletes nothing', async () => {
    await withFake({ misbehave: 'invalidXml' }, async (fake) => {
      const { dir, before } = localDst('xml-sync');
      const r = await nclone(['sync', remote(fake, 'src'), dir]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [SRC], WHAT);
      expect(r.stderr).toContain('not deleting files or directories as there were IO errors');
      expect(filesUnder(dir)).toEqual(before);
    });
  });

  it('server-side copy (CopyObject answer unreadable): exit 5, one line per file', async () => {
    await withFake({ misbehave: 'invalidXml', ops: ['CopyObject'] }, async (fake) => {
      const r = await nclone(['copy', remote(fake, 'src/a.txt'), remote(fake, 'dst')]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${DST}/a.txt`], WHAT);
      expect(fake.requests.some((q) => q.op === 'CopyObject' && q.misbehaved)).toBe(true);
    });
  });
});

describe('a Content-Length longer than the body, then the connection closed', () => {
  const WHAT = /Content-Length|short|incomplete|premature|closed|ended|truncated|fewer bytes/i;

  it('ls (the listing cut short): exit 5, one line', async () => {
    await withFake({ misbehave: 'shortBody', ops: ['ListObjects', 'ListObjectsV2'] }, async (fake) => {
      const r = await nclone(['ls', remote(fake, 'src')]);
      expectCleanFailure(r, 5);
      expectOneLine(r, `list ${SRC}`, WHAT);
    });
  });

  it('copy of one object into a local directory: exit 5, no file and no partial file', async () => {
    await withFake({ misbehave: 'shortBody', ops: ['GetObject'] }, async (fake) => {
      const dir = path.join(base, 'short-copy');
      const r = await nclone(['copy', remote(fake, 'src/a.txt'), dir]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${SRC}/a.txt`], WHAT);
      expect(filesUnder(dir)).toEqual([]);
      // Retried: each attempt got a short body.
      expect(fake.requests.filter((q) => q.op === 'GetObject').length).toBeGreaterThanOrEqual(2);
    });
  });

  it('sync into a local directory: deletes nothing, no partial file', async () => {
    await withFake({ misbehave: 'shortBody', ops: ['GetObject'] }, async (fake) => {
      const { dir, before } = localDst('short-sync');
      const r = await nclone(['sync', remote(fake, 'src'), dir]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${SRC}/a.txt`, `${SRC}/b.txt`, `${SRC}/dir/c.txt`], WHAT);
      expect(filesUnder(dir)).toEqual(before);
    });
  });
});

describe('a listing that repeats the same continuation token or marker forever', () => {
  const WHAT = /(marker|token).*(already|repeat|again)|(already|repeat|again).*(marker|token)/i;

  for (const version of ['1', '2']) {
    it(`ls: exit 6, one line, a few requests only (list v${version})`, async () => {
      await withFake({ misbehave: 'repeatToken' }, async (fake) => {
        const r = await nclone(['ls', remote(fake, 'src'), '--s3-list-version', version]);
        expectCleanFailure(r, 6);
        expectOneLine(r, `list ${SRC}`, WHAT);
        expect(fake.requests.filter((q) => q.op === 'ListObjects' || q.op === 'ListObjectsV2').length).toBeLessThan(10);
      });
    });
  }

  it('sync into a local directory: deletes nothing', async () => {
    await withFake({ misbehave: 'repeatToken' }, async (fake) => {
      const { dir, before } = localDst('repeat-sync');
      const r = await nclone(['sync', remote(fake, 'src'), dir]);
      expectCleanFailure(r, 6);
      expectErrorLines(r, [SRC], WHAT);
      expect(filesUnder(dir)).toEqual(before);
    });
  });
});

describe('a listing page whose keys are not sorted', () => {
  // S3 returns keys in UTF-8 binary order; a page in another order is a broken server
  // (or a broken proxy), and a sync that trusts it can miss or repeat keys.
  const WHAT = /sort|order/i;

  it('ls: exit 6, one line', async () => {
    await withFake({ misbehave: 'unsortedListing' }, async (fake) => {
      const r = await nclone(['ls', remote(fake, 'src'), '--s3-list-chunk', '2']);
      expectCleanFailure(r, 6);
      expectOneLine(r, SRC, WHAT);
    });
  });

  it('sync into a local directory: deletes nothing', async () => {
    await withFake({ misbehave: 'unsortedListing' }, async (fake) => {
      const { dir, before } = localDst('unsorted-sync');
      const r = await nclone(['sync', remote(fake, 'src'), dir, '--s3-list-chunk', '2']);
      expectCleanFailure(r, 6);
      expectErrorLines(r, [SRC], WHAT);
      expect(filesUnder(dir)).toEqual(before);
    });
  });
});

describe('200 OK with an <Error> body (S3 does this on CopyObject and CompleteMultipartUpload)', () => {
  const WHAT = /InternalError/;

  it('server-side copy of a bucket into another (sync remote:b1 remote:b2): exit 5, deletes nothing, copies nothing', async () => {
    await withFake({ misbehave: 'error200' }, async (fake) => {
      fake.buckets.get('dst')!.set('extra.txt', { body: Buffer.from('extra\n'), etag: '"x"', lastModified: new Date(0), metadata: {} });
      const r = await nclone(['sync', remote(fake, 'src'), remote(fake, 'dst')]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${DST}/a.txt`, `${DST}/b.txt`, `${DST}/dir/c.txt`], WHAT);
      expect([...fake.buckets.get('dst')!.keys()]).toEqual(['extra.txt']);
      expect(fake.requests.filter((q) => q.op === 'CopyObject').length).toBeGreaterThanOrEqual(3);
      expect(fake.requests.some((q) => q.op === 'DeleteObject' || q.op === 'DeleteObjects')).toBe(false);
    });
  });

  it('single-object server-side copy: exit 5, one line naming the destination', async () => {
    await withFake({ misbehave: 'error200' }, async (fake) => {
      const r = await nclone(['copy', remote(fake, 'src/a.txt'), remote(fake, 'dst')]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${DST}/a.txt`], WHAT);
      expect(fake.buckets.get('dst')!.size).toBe(0);
    });
  });

  it('multipart upload whose CompleteMultipartUpload fails inside a 200: exit 5, no object, every upload aborted', async () => {
    await withFake({ misbehave: 'error200' }, async (fake) => {
      const r = await nclone(['copy', upDir, remote(fake, 'dst'), '--s3-upload-cutoff', '1Mi', '--s3-chunk-size', '5Mi']);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${DST}/big.bin`], WHAT);
      expect(fake.buckets.get('dst')!.size).toBe(0);
      const uploads = [...fake.uploads.values()];
      expect(uploads.length).toBeGreaterThanOrEqual(1);
      expect(uploads.filter((u) => u.state !== 'aborted')).toEqual([]);
    });
  });
});

describe('a server that accepts the connection and never answers', () => {
  const WHAT = /timed out|timeout|no answer|silent/i;

  it('ls: exit 5 within the bound, one line', async () => {
    await withFake({ misbehave: 'neverAnswer' }, async (fake) => {
      const r = await nclone(['ls', remote(fake, 'src')]);
      expectCleanFailure(r, 5);
      expectOneLine(r, SRC, WHAT);
      // --timeout 2s, --low-level-retries 2: a few timeouts, not minutes.
      expect(r.ms).toBeLessThan(15_000);
    });
  });

  it('copy of one object into a local directory (GET never answered): exit 5, no file', async () => {
    await withFake({ misbehave: 'neverAnswer', ops: ['GetObject'] }, async (fake) => {
      const dir = path.join(base, 'never-copy');
      const r = await nclone(['copy', remote(fake, 'src/a.txt'), dir]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${SRC}/a.txt`], WHAT);
      expect(filesUnder(dir)).toEqual([]);
    });
  });

  it('upload (PUT never answered): exit 5, one line naming the destination', async () => {
    await withFake({ misbehave: 'neverAnswer', ops: ['PutObject'] }, async (fake) => {
      const file = path.join(base, 'small.txt');
      nfs.writeFileSync(file, 'small\n');
      const r = await nclone(['copy', file, remote(fake, 'dst')]);
      expectCleanFailure(r, 5);
      expectErrorLines(r, [`${DST}/small.txt`], WHAT);
      expect(fake.buckets.get('dst')!.size).toBe(0);
    });
  });

  it('sync from it into a local directory: deletes nothing', async () => {
    await withFake({ misbehave: 'neverAnswer' }, async (fake) => {
      const { dir, before } = localDst('never-sync');
      const r = await nclone(['sync', remote(fake, 'src'), dir]);
      expectCleanFailure(r, 5);
      expect(problemLines(r.stderr).length, r.stderr).toBe(1);
      expect(problemLines(r.stderr)[0]).toContain(SRC);
      expect(problemLines(r.stderr)[0]).toMatch(WHAT);
      expect(filesUnder(dir)).toEqual(before);
    });
  });
});
