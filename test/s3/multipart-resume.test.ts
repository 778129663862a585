/**
 * Interrupted multipart uploads resume (issue 9): bin/nclone against the test RGW through the
 * fault proxy, which records every request, so the tests count the UploadPart requests each
 * run really sent. A run is killed with SIGKILL (nothing of nclone runs) or interrupted with
 * SIGINT once the upload's journal shows some parts done; the rerun of the same command must
 * send only the missing parts, and the object must be byte-identical to the source, checked
 * by reading it straight from the RGW. Also: a source changed between the runs starts over,
 * a part answered 500 is sent again by the pacer, `nclone cleanup` removes old and foreign
 * unfinished uploads (and nothing with --dry-run), and at the backend level a source whose
 * bytes changed in a part already uploaded is detected while reading.
 * NCLONE_CACHE_DIR points into each test's temporary directory: ~/.cache is never touched.
 */
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { NCLONE, run, type RunResult } from '../helpers/run.js';
import { s3Server, s3Fs, rgwOptions } from '../helpers/s3.js';
import { startFaultProxy, s3ErrorXml, type FaultProxy, type ProxiedRequest, type Fault } from '../servers/fault-proxy.js';
import { dropBucket, observer } from './helpers-backend.js';
import { makeBase, makeCli, removeBases, touch, uniqueBucket, type Cli } from './helpers-cli.js';
import { T1 } from '../conformance/helpers.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const bucket = uniqueBucket('resume');
const MULTIPART = ['--s3-chunk-size', '5M', '--s3-upload-cutoff', '5M'];
/** The mtime every source file gets (and gets back after a change). */
const MTIME = { sec: 1_650_000_000, ns: 123456789 };

let proxy: FaultProxy;
/** The fault to apply to a request, set by each test (none by default). */
let rule: ((req: ProxiedRequest) => Fault | undefined) | undefined;

beforeAll(async () => {
  proxy = await startFaultProxy(s3Server().endpoint, (req) => rule?.(req));
  const { fs } = await s3Fs('');
  await fs.mkdir(bucket);
  await fs.close();
});

afterAll(async () => {
  await proxy?.close();
  await dropBucket(bucket);
  removeBases();
});

const isUploadPart = (r: ProxiedRequest) => r.method === 'PUT' && r.query.has('partNumber') && r.query.has('uploadId');

/** UploadPart requests recorded by the proxy from index `from` on, for one key. */
function uploadParts(from: number, key: string): ProxiedRequest[] {
  return proxy.requests.slice(from).filter((r) => isUploadPart(r) && decodeURIComponent(r.path).endsWith(`/${bucket}/${key}`));
}

interface Setup {
  cli: Cli;
  src: string;
  cache: string;
  journals: string;
}

/** A private directory with the CLI set up to reach the RGW through the proxy, and its own cache dir. */
function setup(label: string): Setup {
  const base = makeBase(label);
  const cli = makeCli(base, false);
  const cache = path.join(base, 'cache');
  cli.env.NCLONE_CONFIG_RGW_ENDPOINT = proxy.endpoint;
  cli.env.NCLONE_CACHE_DIR = cache;
  const src = path.join(base, 'src');
  nfs.mkdirSync(src);
  return { cli, src, cache, journals: path.join(cache, 'uploads') };
}

/** Writes `size` bytes of xorshift output (deterministic for a seed) and returns their MD5. */
async function writeFile(p: string, size: number, seed: number): Promise<string> {
  const md5 = createHash('md5');
  const fd = nfs.openSync(p, 'w');
  let x = seed >>> 0 || 1;
  const chunk = Buffer.alloc(4 * MiB);
  for (let done = 0; done < size; done += chunk.length) {
    for (let i = 0; i < chunk.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk.writeUInt32LE(x >>> 0, i);
    }
    const piece = chunk.subarray(0, Math.min(chunk.length, size - done));
    nfs.writeSync(fd, piece);
    md5.update(piece);
  }
  nfs.closeSync(fd);
  await touch(p, MTIME);
  return md5.digest('hex');
}

function md5File(p: string): string {
  return createHash('md5').update(nfs.readFileSync(p)).digest('hex');
}

/** The MD5 of the object as the RGW serves it, read directly (not through nclone or the proxy). */
async function serverMd5(key: string): Promise<string> {
  const res = await observer().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const md5 = createHash('md5');
  for await (const chunk of res.Body as Readable) md5.update(chunk as Buffer);
  return md5.digest('hex');
}

async function pending(): Promise<{ Key: string; UploadId: string }[]> {
  const res = await observer().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (res.Uploads ?? []).map((u) => ({ Key: u.Key!, UploadId: u.UploadId! }));
}

async function serverParts(key: string, uploadId: string): Promise<number[]> {
  const res = await observer().send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
  return (res.Parts ?? []).map((p) => p.PartNumber!).sort((a, b) => a - b);
}

/**
 * The parts of an upload once the server's list stops changing: a part whose body had fully
 * reached the proxy when the client was killed may still be completing on the RGW.
 */
async function settledParts(key: string, uploadId: string): Promise<number[]> {
  let last = await serverParts(key, uploadId);
  for (;;) {
    await new Promise((r) => setTimeout(r, 750));
    const now = await serverParts(key, uploadId);
    if (now.join() === last.join()) return now;
    last = now;
  }
}

/** Parts recorded in the journals (lines after each head). */
function journaledParts(dir: string): number {
  if (!nfs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of nfs.readdirSync(dir)) if (f.endsWith('.journal')) n += nfs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.startsWith('{"n":')).length;
  return n;
}

function journalFiles(dir: string): string[] {
  return nfs.existsSync(dir) ? nfs.readdirSync(dir).filter((f) => f.endsWith('.journal')) : [];
}

/**
 * Runs nclone and sends `signal` to it (by its PID) once the journals record at least
 * `parts` parts. Fails the test if the run ends first or takes longer than the timeout.
 */
function runUntilParts(s: Setup, args: string[], parts: number, signal: NodeJS.Signals, timeoutMs = 120_000): Promise<RunResult> {
  return run(NCLONE, args, s.cli.env, { timeoutMs, signalWhen: { ready: () => journaledParts(s.journals) >= parts, signal, everyMs: 20 } });
}

function expectExit(r: RunResult, code: number): void {
  expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(code);
}

describe('a killed multipart upload resumes', () => {
  it('200 MiB killed with SIGKILL: the rerun sends only the missing parts, the object is byte-identical, nothing is left', async () => {
    const s = setup('kill9');
    const size = 200 * MiB;
    const total = size / PART;
    const sum = await writeFile(path.join(s.src, 'big.bin'), size, 9);
    const args = ['copy', s.src, `rgw:${bucket}/kill9`, ...MULTIPART, '--bwlimit', '40M', '-v'];

    const first = await runUntilParts(s, args, 8, 'SIGKILL');
    expect(first.signalled, `the run ended before 8 parts were journaled:\n${first.stderr}`).toBe(true);
    expect(first.signal).toBe('SIGKILL');
    const left = await pending();
    expect(left.map((u) => u.Key)).toEqual(['kill9/big.bin']);
    const before = await settledParts('kill9/big.bin', left[0]!.UploadId);
    expect(before.length).toBeGreaterThanOrEqual(8);
    expect(before.length).toBeLessThan(total);
    expect(journalFiles(s.journals)).toHaveLength(1);

    const mark = proxy.requests.length;
    const second = await run(NCLONE, args, s.cli.env, { timeoutMs: 180_000 });
    expectExit(second, 0);
    expect(second.stderr).toContain(`resuming upload of big.bin: ${before.length} of ${total} parts already uploaded`);
    const sent = uploadParts(mark, 'kill9/big.bin').map((r) => Number(r.query.get('partNumber')));
    // Only the missing parts, each once: together with run 1's they are every part.
    expect(sent.length + before.length).toBe(total);
    expect([...sent, ...before].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await serverMd5('kill9/big.bin')).toBe(sum);
    expect(await pending()).toEqual([]);
    expect(journalFiles(s.journals)).toEqual([]);
  }, 300_000);

  it('a source changed between the runs (same size and mtime, other bytes in part 2) is detected: the upload starts over and the result is right', async () => {
    const s = setup('changed');
    const size = 60 * MiB;
    const total = size / PART;
    const file = path.join(s.src, 'changing.bin');
    await writeFile(file, size, 21);
    const args = ['copy', s.src, `rgw:${bucket}/changed`, ...MULTIPART, '--bwlimit', '20M', '-v'];
    const first = await runUntilParts(s, args, 3, 'SIGKILL');
    expect(first.signalled, first.stderr).toBe(true);
    const old = await pending();
    expect(old).toHaveLength(1);

    // Other bytes in part 2, size and mtime as they were.
    const fd = nfs.openSync(file, 'r+');
    nfs.writeSync(fd, Buffer.from('changed behind the upload'), 0, 25, PART + 1234);
    nfs.closeSync(fd);
    await touch(file, MTIME);
    const sum = md5File(file);

    const mark = proxy.requests.length;
    const second = await run(NCLONE, args, s.cli.env, { timeoutMs: 120_000 });
    expectExit(second, 0);
    expect(second.stderr).toMatch(/changed since its interrupted upload began: starting over/);
    expect(second.stderr).not.toContain('resuming upload');
    expect(uploadParts(mark, 'changed/changing.bin')).toHaveLength(total);
    expect(await serverMd5('changed/changing.bin')).toBe(sum);
    expect(await pending()).toEqual([]);
    expect(journalFiles(s.journals)).toEqual([]);
  }, 240_000);

  it('SIGINT keeps the upload and its journal (NOTICE), and the rerun resumes it', async () => {
    const s = setup('sigint');
    const size = 40 * MiB;
    const total = size / PART;
    const sum = await writeFile(path.join(s.src, 'int.bin'), size, 33);
    const args = ['copy', s.src, `rgw:${bucket}/sigint`, ...MULTIPART, '--bwlimit', '10M'];
    const first = await runUntilParts(s, args, 2, 'SIGINT');
    expect(first.signalled, first.stderr).toBe(true);
    expect(first.code, first.stderr).not.toBe(0);
    expect(first.stderr).toMatch(/NOTICE *: int\.bin: interrupted: kept the unfinished upload/);
    const left = await pending();
    expect(left.map((u) => u.Key)).toEqual(['sigint/int.bin']);
    expect(journalFiles(s.journals)).toHaveLength(1);
    const before = await settledParts('sigint/int.bin', left[0]!.UploadId);
    expect(before.length).toBeGreaterThanOrEqual(2);

    const mark = proxy.requests.length;
    const second = await run(NCLONE, [...args, '-v'], s.cli.env, { timeoutMs: 120_000 });
    expectExit(second, 0);
    expect(second.stderr).toContain(`resuming upload of int.bin: ${before.length} of ${total} parts already uploaded`);
    expect(uploadParts(mark, 'sigint/int.bin').length).toBe(total - before.length);
    expect(await serverMd5('sigint/int.bin')).toBe(sum);
    expect(await pending()).toEqual([]);
    expect(journalFiles(s.journals)).toEqual([]);
  }, 240_000);
});

describe('faults on parts', () => {
  it('a part answered 500 is sent again by the pacer and the upload completes', async () => {
    const s = setup('part500');
    const size = 12 * MiB;
    const sum = await writeFile(path.join(s.src, 'f.bin'), size, 5);
    let injected = 0;
    rule = (req) => {
      if (injected === 0 && isUploadPart(req) && req.query.get('partNumber') === '2') {
        injected++;
        return { respond: { status: 500, headers: { 'content-type': 'application/xml' }, body: s3ErrorXml('InternalError', 'We encountered an internal error. Please try again.') } };
      }
      return undefined;
    };
    try {
      const mark = proxy.requests.length;
      const r = await run(NCLONE, ['copy', s.src, `rgw:${bucket}/p500`, ...MULTIPART], s.cli.env, { timeoutMs: 60_000 });
      expectExit(r, 0);
      expect(injected).toBe(1);
      const parts = uploadParts(mark, 'p500/f.bin').map((q) => Number(q.query.get('partNumber')));
      expect(parts.sort()).toEqual([1, 2, 2, 3]);
      // Each part carried its Content-MD5 for the server to check.
      expect(proxy.requests.slice(mark).filter(isUploadPart).every((q) => typeof q.headers['content-md5'] === 'string')).toBe(true);
      expect(await serverMd5('p500/f.bin')).toBe(sum);
      expect(await pending()).toEqual([]);
    } finally {
      rule = undefined;
    }
  }, 120_000);

  it('a Complete whose answer is lost is sent again; the server no longer knows the upload, and the object itself shows it was completed: no second upload', async () => {
    const s = setup('lostcomplete');
    const size = 12 * MiB;
    const sum = await writeFile(path.join(s.src, 'f.bin'), size, 7);
    let injected = 0;
    const isComplete = (req: ProxiedRequest) => req.method === 'POST' && req.query.has('uploadId') && req.path.endsWith('/lost/f.bin');
    // The first Complete reaches the RGW and its answer is lost; the second is answered as
    // AWS answers once it has finished with an upload (the RGW itself answers 200 again).
    rule = (req) => {
      if (!isComplete(req) || injected >= 2) return undefined;
      injected++;
      return injected === 1 ? { reset: 'beforeResponse' } : { status: 404, code: 'NoSuchUpload', message: 'The specified upload does not exist.' };
    };
    try {
      const mark = proxy.requests.length;
      const r = await run(NCLONE, ['copy', s.src, `rgw:${bucket}/lost`, ...MULTIPART, '--retries', '1'], s.cli.env, { timeoutMs: 60_000 });
      expectExit(r, 0);
      expect(injected).toBe(2);
      const seen = proxy.requests.slice(mark);
      // One upload (three parts), completed twice as far as the client knows: never started again.
      expect(seen.filter((q) => q.method === 'POST' && q.query.has('uploads')).length).toBe(1);
      expect(uploadParts(mark, 'lost/f.bin').length).toBe(3);
      expect(seen.filter(isComplete).length).toBe(2);
      expect(await serverMd5('lost/f.bin')).toBe(sum);
      expect(await pending()).toEqual([]);
    } finally {
      rule = undefined;
    }
  }, 120_000);
});

describe('nclone cleanup', () => {
  it('keeps young uploads by default, aborts nothing with --dry-run, and aborts an old journaled and a foreign upload with a small --max-age', async () => {
    const s = setup('cleanup');
    await writeFile(path.join(s.src, 'kept.bin'), 20 * MiB, 77);
    const first = await runUntilParts(s, ['copy', s.src, `rgw:${bucket}/clean`, ...MULTIPART, '--bwlimit', '10M'], 1, 'SIGINT');
    expect(first.signalled, first.stderr).toBe(true);
    const foreign = await observer().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'clean/foreign.bin' }));
    await observer().send(new UploadPartCommand({ Bucket: bucket, Key: 'clean/foreign.bin', UploadId: foreign.UploadId, PartNumber: 1, Body: Buffer.alloc(1000, 1) }));
    const keys = async () => (await pending()).map((u) => u.Key).filter((k) => k.startsWith('clean/')).sort();
    expect(await keys()).toEqual(['clean/foreign.bin', 'clean/kept.bin']);
    expect(journalFiles(s.journals)).toHaveLength(1);

    // rclone's default: only uploads older than 24h.
    const young = await s.cli.nclone('cleanup', `rgw:${bucket}/clean`, '-v');
    expectExit(young, 0);
    expect(await keys()).toEqual(['clean/foreign.bin', 'clean/kept.bin']);
    expect(young.stderr).toMatch(/clean\/kept\.bin: Kept an interrupted upload/);

    await new Promise((r) => setTimeout(r, 1500));
    const dry = await s.cli.nclone('cleanup', '--dry-run', '--max-age', '1s', `rgw:${bucket}/clean`);
    expectExit(dry, 0);
    expect(dry.stderr).toMatch(/clean\/foreign\.bin: Skipped aborting the unfinished upload .*--dry-run/);
    expect(dry.stderr).toMatch(/clean\/kept\.bin: Skipped aborting the unfinished upload .*--dry-run/);
    expect(await keys()).toEqual(['clean/foreign.bin', 'clean/kept.bin']);
    expect(journalFiles(s.journals)).toHaveLength(1);

    const real = await s.cli.nclone('cleanup', '--max-age', '1s', `rgw:${bucket}/clean`, '-v');
    expectExit(real, 0);
    expect(real.stderr).toMatch(/clean\/foreign\.bin: Aborted an unfinished multipart upload/);
    expect(real.stderr).toMatch(/clean\/kept\.bin: Aborted an unfinished multipart upload/);
    expect(await keys()).toEqual([]);
    expect(journalFiles(s.journals)).toEqual([]);
  }, 120_000);

  it('aborts a young journaled upload whose source file is gone, and needs a bucket', async () => {
    const s = setup('cleanup-gone');
    const file = path.join(s.src, 'gone.bin');
    await writeFile(file, 20 * MiB, 78);
    const first = await runUntilParts(s, ['copy', s.src, `rgw:${bucket}/gone`, ...MULTIPART, '--bwlimit', '10M'], 1, 'SIGKILL');
    expect(first.signalled, first.stderr).toBe(true);
    expect((await pending()).filter((u) => u.Key === 'gone/gone.bin')).toHaveLength(1);
    nfs.rmSync(file);
    const r = await s.cli.nclone('cleanup', `rgw:${bucket}/gone`, '-v');
    expectExit(r, 0);
    expect(r.stderr).toMatch(/gone\/gone\.bin: Aborted an unfinished multipart upload: its source .*gone\.bin is gone/);
    expect((await pending()).filter((u) => u.Key.startsWith('gone/'))).toEqual([]);
    expect(journalFiles(s.journals)).toEqual([]);

    const noBucket = await s.cli.nclone('cleanup', 'rgw:');
    expectExit(noBucket, 1);
    expect(noBucket.stderr).toMatch(/cleanup needs a bucket/);
  }, 120_000);
});

describe('resume at the backend level', () => {
  /** A stream of the buffer in 1 MiB pieces, slowed down so an interrupt lands mid-upload. */
  function slow(data: Buffer, onPiece?: (sent: number) => void): Readable {
    let sent = 0;
    return new Readable({
      read() {
        setTimeout(() => {
          if (sent >= data.length) return void this.push(null);
          const piece = data.subarray(sent, sent + MiB);
          sent += piece.length;
          this.push(piece);
          onPiece?.(sent);
        }, 5);
      },
    });
  }

  it('an interrupt keeps a journaled upload; a part of the source that changed is found while reading: the upload is aborted and the next try starts over', async () => {
    const cache = nfs.mkdtempSync(path.join(makeBase('backend-resume'), 'cache-'));
    const saved = process.env.NCLONE_CACHE_DIR;
    process.env.NCLONE_CACHE_DIR = cache;
    try {
      const { fs } = await s3Fs(bucket, rgwOptions({ upload_cutoff: '5Mi', chunk_size: '5Mi', upload_concurrency: '1' }));
      const data = Buffer.alloc(16 * MiB);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      // No hash: the change can only be seen in the bytes.
      const info = { remote: 'be/file.bin', size: data.length, modTime: T1, origin: '/nowhere/file.bin' };
      const ac = new AbortController();
      await expect(fs.put(slow(data, (sent) => sent >= 12 * MiB && ac.abort()), info, { signal: ac.signal })).rejects.toThrow(/interrupted/);
      const kept = await pending();
      expect(kept.map((u) => u.Key)).toEqual(['be/file.bin']);
      expect((await serverParts('be/file.bin', kept[0]!.UploadId)).length).toBeGreaterThanOrEqual(1);

      const changed = Buffer.from(data);
      changed[2 * MiB] = changed[2 * MiB]! ^ 0xff; // part 1
      await expect(fs.put(slow(changed), info)).rejects.toThrow(/source changed since its interrupted upload began \(part 1 differs\)/);
      expect(await pending()).toEqual([]);
      expect(journalFiles(path.join(cache, 'uploads'))).toEqual([]);

      const obj = await fs.put(slow(changed), info);
      expect(obj.size).toBe(changed.length);
      expect(await serverMd5('be/file.bin')).toBe(createHash('md5').update(changed).digest('hex'));
      expect(await pending()).toEqual([]);
      await fs.close();
    } finally {
      if (saved === undefined) delete process.env.NCLONE_CACHE_DIR;
      else process.env.NCLONE_CACHE_DIR = saved;
    }
  }, 120_000);

  it('a stream of unknown size: one PUT when it fits in a part, parts otherwise; empty works too', async () => {
    const { fs } = await s3Fs(bucket, rgwOptions({ upload_cutoff: '5Mi', chunk_size: '5Mi' }));
    for (const [name, size, etag] of [
      ['small', 3 * MiB, /^"[0-9a-f]{32}"$/],
      ['empty', 0, /^"d41d8cd98f00b204e9800998ecf8427e"$/],
      ['big', 11 * MiB, /^"[0-9a-f]{32}-3"$/],
    ] as const) {
      const data = Buffer.alloc(size, name.length);
      const obj = await fs.putStream(slow(data), { remote: `stream/${name}`, size: -1, modTime: T1 });
      expect(obj.size).toBe(size);
      const head = await observer().send(new HeadObjectCommand({ Bucket: bucket, Key: `stream/${name}` }));
      expect(head.ETag).toMatch(etag);
      expect(await serverMd5(`stream/${name}`)).toBe(createHash('md5').update(data).digest('hex'));
    }
    expect(await pending()).toEqual([]);
    await fs.close();
  }, 60_000);
});
