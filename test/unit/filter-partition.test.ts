/**
 * --hash-filter K/N and --exclude-if-present at the filter level. The partition formula is
 * rclone's (MD5 of the NFC, lower-cased path; first 8 bytes little-endian; modulo N), so the
 * expected partitions of a few names are computed here by Python's hashlib, a separate
 * implementation, rather than by the code under test.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Filter, hashPartition, parseHashFilter } from '../../src/filter/filter.js';
import type { Entry } from '../../src/fs/types.js';

const names = Array.from({ length: 3000 }, (_, i) => `dir${i % 17}/sub ${i % 5}/file-${i}.dat`);

describe('--hash-filter', () => {
  it('parses K/N as rclone does: K modulo N, @ for a random K, N from 1', () => {
    expect(parseHashFilter('1/3')).toEqual({ k: 1n, n: 3n });
    expect(parseHashFilter('3/3')).toEqual({ k: 0n, n: 3n });
    expect(parseHashFilter('7/1')).toEqual({ k: 0n, n: 1n });
    for (let i = 0; i < 20; i++) {
      const { k, n } = parseHashFilter('@/4');
      expect(n).toBe(4n);
      expect(k >= 0n && k < 4n).toBe(true);
    }
    for (const bad of ['3', '1/0', 'a/3', '1/x', '/3', '1/', '-1/3', '1/-3']) expect(() => parseHashFilter(bad), bad).toThrow(/invalid --hash-filter/);
  });

  it('puts every file in exactly one of the N partitions, in shares near 1/N', async () => {
    for (const n of [1, 2, 3, 7]) {
      const filters = await Promise.all(Array.from({ length: n }, (_, k) => Filter.create({ hashFilter: `${k}/${n}` })));
      const counts = new Array<number>(n).fill(0);
      for (const name of names) {
        const takers = filters.flatMap((f, k) => (f.includeObject(name, 1) && f.includeRemote(name) ? [k] : []));
        expect(takers, name).toHaveLength(1);
        counts[takers[0]!]!++;
      }
      for (const c of counts) expect(c).toBeGreaterThan((names.length / n) * 0.85);
    }
  });

  it('keeps names that differ only in case or Unicode normalisation together', () => {
    expect(hashPartition('Photos/IMG_001.JPG', 16n)).toBe(hashPartition('photos/img_001.jpg', 16n));
    expect(hashPartition('caf\u00e9/r\u00e9sum\u00e9.txt', 16n)).toBe(hashPartition('cafe\u0301/re\u0301sume\u0301.txt', 16n));
  });

  it("matches rclone's formula, computed independently", () => {
    const sample = ['a.txt', 'dir one/nested/deep.txt', 'ünïcödé/日本語 ファイル.txt', 'UPPER/Case.TXT', ''];
    const py = `import hashlib, json, sys, unicodedata
for name in json.load(sys.stdin):
    d = hashlib.md5(unicodedata.normalize('NFC', name).lower().encode('utf-8')).digest()
    print(int.from_bytes(d[:8], 'little') % 1000003)`;
    const expected = execFileSync('python3', ['-c', py], { input: JSON.stringify(sample), encoding: 'utf8' }).trim().split('\n').map(BigInt);
    expect(sample.map((s) => hashPartition(s, 1000003n))).toEqual(expected);
  });

  it('leaves directories alone (they are walked in every partition)', async () => {
    const f = await Filter.create({ hashFilter: '0/5' });
    for (const d of ['dir0', 'dir1/sub 2', 'x']) expect(f.includeDirectory(d)).toBe(true);
  });
});

describe('--exclude-if-present', () => {
  const obj = (remote: string) => ({ kind: 'object', remote }) as unknown as Entry;
  const dir = (remote: string) => ({ kind: 'dir', remote, items: -1 }) as Entry;

  it('excludes a listing holding a file of that name, not one holding a directory of that name', async () => {
    const f = await Filter.create({ excludeIfPresent: ['.nobackup', 'CACHEDIR.TAG'] });
    expect(f.active).toBe(true);
    expect(f.excludesListing([obj('a/x.txt'), obj('a/.nobackup')])).toBe(true);
    expect(f.excludesListing([obj('CACHEDIR.TAG')])).toBe(true);
    expect(f.excludesListing([obj('a/x.txt'), dir('a/.nobackup')])).toBe(false);
    expect(f.excludesListing([obj('a/x.nobackup'), obj('a/.nobackupx')])).toBe(false);
    expect((await Filter.create({})).excludesListing([obj('.nobackup')])).toBe(false);
  });

  it('refuses a path in place of a file name', async () => {
    await expect(Filter.create({ excludeIfPresent: ['a/.nobackup'] })).rejects.toThrow(/give a file name/);
  });
});
