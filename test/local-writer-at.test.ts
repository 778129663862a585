/**
 * The local backend's writer at offsets (Fs.openWriterAt): pieces written out of order by
 * several "streams" make one file that appears under its name, with its mtime, only on
 * commit; a gap, a wrong MD5 or an abort leave nothing behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { newFs } from '../backends/local/fs.js';
import { localBackend } from '../backends/local/index.js';
import { ConfigMap } from '../src/fs/configmap.js';
import type { Fs, SrcInfo } from '../src/fs/types.js';

const MTIME = 1_600_000_123_456_789_123n;

describe('local openWriterAt', () => {
  let dir: string;
  let fs: Fs;
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const md5 = createHash('md5').update(data).digest('hex');
  const src = (hashes?: SrcInfo['hashes']): SrcInfo => ({ remote: 'sub/file.bin', size: data.length, modTime: MTIME, hashes });

  beforeEach(async () => {
    dir = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-writer-at-'));
    fs = (await newFs('local', dir, new ConfigMap(localBackend.options, []))).fs;
  });
  afterEach(() => nfs.rmSync(dir, { recursive: true, force: true }));

  const listing = () => (nfs.readdirSync(dir, { recursive: true }) as string[]).sort();

  it('pieces in any order and at once make the exact file, named only on commit, MD5 checked', async () => {
    const w = await fs.openWriterAt!(src({ md5 }));
    const piece = 256 * 1024;
    const offsets: number[] = [];
    for (let o = 0; o < data.length; o += piece) offsets.push(o);
    // Four "streams", each in order over its quarter, all at once; the last quarter first.
    const quarters = [0, 1, 2, 3].map((q) => offsets.filter((_, i) => Math.floor((i * 4) / offsets.length) === q));
    await quarters[3]!.reduce((p, o) => p.then(() => w.writeAt(data.subarray(o, o + piece), o)), Promise.resolve());
    expect(listing().filter((n) => !n.includes('.partial'))).toEqual(['sub']);
    await Promise.all(quarters.slice(0, 3).map((q) => q.reduce((p, o) => p.then(() => w.writeAt(data.subarray(o, o + piece), o)), Promise.resolve())));
    const obj = await w.commit();
    expect(listing()).toEqual(['sub', 'sub/file.bin']);
    expect(nfs.readFileSync(path.join(dir, 'sub/file.bin')).equals(data)).toBe(true);
    expect(nfs.statSync(path.join(dir, 'sub/file.bin'), { bigint: true }).mtimeNs).toBe((MTIME / 1000n) * 1000n);
    expect(await obj.hash('md5')).toBe(md5);
  });

  it('a gap, or a wrong MD5, fails the commit and removes the temporary file', async () => {
    const gap = await fs.openWriterAt!(src());
    await gap.writeAt(data.subarray(0, 1000), 0);
    await gap.writeAt(data.subarray(2000), 2000);
    await expect(gap.commit()).rejects.toThrow(/corrupted on transfer: expected \d+ bytes, got \d+/);
    expect(listing()).toEqual(['sub']);

    const bad = await fs.openWriterAt!(src({ md5: '0'.repeat(32) }));
    await bad.writeAt(data.subarray(1_000_000), 1_000_000);
    await bad.writeAt(data.subarray(0, 1_000_000), 0);
    await expect(bad.commit()).rejects.toThrow(/md5 hashes differ/);
    expect(listing()).toEqual(['sub']);
  });

  it('abort removes what was written; a write past the size is refused', async () => {
    const w = await fs.openWriterAt!(src());
    await expect(w.writeAt(Buffer.alloc(10), data.length - 5)).rejects.toThrow(/past the size/);
    await w.writeAt(data.subarray(0, 4096), 0);
    expect(listing().some((n) => n.endsWith('.partial'))).toBe(true);
    await w.abort();
    await w.abort();
    expect(listing()).toEqual(['sub']);
  });
});
