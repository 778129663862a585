/**
 * Multi-stream downloads (--multi-thread-streams, --multi-thread-cutoff): a file at least
 * the cutoff is fetched with ranged GETs written at their offsets into one temporary file,
 * which takes its real name (with the source's mtime) only once its size and MD5 check out.
 * The fault proxy counts the GETs and their ranges, and breaks or corrupts one of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { THREAD_HASH_MIN } from '../../backends/local/hash-thread.js';
import { startFaultProxy, type Fault, type FaultProxy, type ProxiedRequest } from '../servers/fault-proxy.js';
import { s3Server } from '../helpers/s3.js';
import { BIG_SIZE, NCLONE_MULTIPART, bigFile, makeBase, makeCli, removeBuckets, touch, uniqueBucket, type Cli } from './helpers-cli.js';
import { runNclone, via } from './helpers-faults.js';

const BIG = 'big.bin';
/** Over THREAD_HASH_MIN: hashed on a thread of its own while its ranges are written. */
const LARGE = 'large.bin';
const STREAMS = ['--multi-thread-cutoff', '1Mi', '--multi-thread-streams', '4'];

/** Every entry under root (temporary files included), relative, sorted. */
function everything(root: string): string[] {
  if (!nfs.existsSync(root)) return [];
  return (nfs.readdirSync(root, { recursive: true }) as string[]).sort();
}

describe('multi-stream downloads', () => {
  const bucket = uniqueBucket('nclone-streams');
  let base: string;
  let cli: Cli;
  let proxy: FaultProxy;
  let big: ReturnType<typeof bigFile>;
  /** What to do to a GET of the big object, by its Range header ('' for none) and attempt. */
  let rule: (range: string, attempt: number) => Fault | undefined = () => undefined;
  let largeRule: (range: string) => Fault | undefined = () => undefined;
  const large = randomBytes(THREAD_HASH_MIN + 4 * 1024 * 1024 + 3);
  const gets: string[] = [];

  beforeAll(async () => {
    base = makeBase('streams');
    cli = makeCli(base, false);
    big = bigFile(BIG, 11);
    const src = path.join(base, 'up');
    nfs.mkdirSync(src);
    nfs.writeFileSync(path.join(src, BIG), big.data);
    await touch(path.join(src, BIG), { sec: big.sec, ns: big.ns });
    nfs.writeFileSync(path.join(src, LARGE), large);
    const up = await cli.nclone('copy', src, `rgw:${bucket}`, ...NCLONE_MULTIPART);
    expect(up.code, up.stderr).toBe(0);
    proxy = await startFaultProxy(s3Server().endpoint, (req: ProxiedRequest) => {
      if (req.method === 'GET' && req.path === `/${bucket}/${LARGE}`) return largeRule(String(req.headers.range ?? ''));
      if (req.method !== 'GET' || req.path !== `/${bucket}/${BIG}`) return undefined;
      const range = String(req.headers.range ?? '');
      gets.push(range);
      return rule(range, gets.filter((r) => r === range).length);
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await removeBuckets([bucket]);
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  const download = (dst: string, ...flags: string[]) => runNclone(['copy', `rgw:${bucket}/${BIG}`, dst, '--low-level-retries', '2', '--retries', '1', ...flags], via(cli.env, proxy.endpoint), 60_000);

  it('above the cutoff: ranged GETs that cover the object once, the exact bytes and mtime, nothing else left', async () => {
    gets.length = 0;
    rule = () => undefined;
    const dst = path.join(base, 'dst-streams');
    const r = await download(dst, ...STREAMS, '-vv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('downloading with 4 streams');
    expect(everything(dst)).toEqual([BIG]);
    expect(nfs.readFileSync(path.join(dst, BIG)).equals(big.data)).toBe(true);
    // The local disk keeps microseconds.
    const st = nfs.statSync(path.join(dst, BIG), { bigint: true });
    expect(st.mtimeNs).toBe(BigInt(big.sec) * 1_000_000_000n + (BigInt(big.ns) / 1000n) * 1000n);
    expect(gets).toHaveLength(4);
    const ranges = gets.map((g) => /^bytes=(\d+)-(\d+)$/.exec(g)!.slice(1).map(Number) as [number, number]).sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [s, e] of ranges) {
      expect(s).toBe(next);
      next = e + 1;
    }
    expect(next).toBe(BIG_SIZE);
  });

  it('below the cutoff (and with one stream): a single GET without a range', async () => {
    for (const flags of [['--multi-thread-cutoff', `${BIG_SIZE + 1}B`], ['--multi-thread-cutoff', '1Mi', '--multi-thread-streams', '1'], []]) {
      gets.length = 0;
      rule = () => undefined;
      const dst = path.join(base, `dst-single-${flags.length}`);
      const r = await download(dst, ...flags);
      expect(r.code, r.stderr).toBe(0);
      expect(gets).toEqual(['']);
      expect(nfs.readFileSync(path.join(dst, BIG)).equals(big.data)).toBe(true);
    }
  });

  it('a stream that breaks off mid-way: the temporary file is removed and the retry writes the exact bytes', async () => {
    gets.length = 0;
    let second = '';
    rule = (range, attempt) => {
      if (range === '' || range.startsWith('bytes=0-')) return undefined;
      second ||= range;
      return range === second && attempt === 1 ? { reset: 'duringResponseBody', afterBytes: 100_000 } : undefined;
    };
    const dst = path.join(base, 'dst-reset');
    const r = await download(dst, ...STREAMS);
    expect(r.code, r.stderr).toBe(0);
    expect(gets.length).toBeGreaterThan(4);
    expect(everything(dst)).toEqual([BIG]);
    expect(nfs.readFileSync(path.join(dst, BIG)).equals(big.data)).toBe(true);
  });

  it('a range that always arrives corrupted: the MD5 check fails the file, and no file or temporary file is left', async () => {
    gets.length = 0;
    rule = (range) => (range.startsWith('bytes=0-') ? undefined : { corrupt: 10 });
    const dst = path.join(base, 'dst-corrupt');
    nfs.mkdirSync(dst);
    const r = await download(dst, ...STREAMS);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/big\.bin: corrupted on transfer: md5 hashes differ/);
    expect(everything(dst)).toEqual([]);
  });

  it('a large object, hashed on a thread while its ranges are written: the exact bytes; a corrupted range still fails the MD5 check and leaves nothing', async () => {
    const get = (dst: string) => runNclone(['copy', `rgw:${bucket}/${LARGE}`, dst, '--low-level-retries', '2', '--retries', '1', ...STREAMS], via(cli.env, proxy.endpoint), 120_000);
    largeRule = () => undefined;
    const dst = path.join(base, 'dst-large');
    const r = await get(dst);
    expect(r.code, r.stderr).toBe(0);
    expect(everything(dst)).toEqual([LARGE]);
    expect(nfs.readFileSync(path.join(dst, LARGE)).equals(large)).toBe(true);

    largeRule = (range) => (range.startsWith('bytes=0-') ? undefined : { corrupt: 10 });
    const bad = path.join(base, 'dst-large-corrupt');
    nfs.mkdirSync(bad);
    const r2 = await get(bad);
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).toMatch(/large\.bin: corrupted on transfer: md5 hashes differ/);
    expect(everything(bad)).toEqual([]);
  }, 180_000);
});
