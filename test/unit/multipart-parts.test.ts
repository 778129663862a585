/**
 * The checks nclone's multipart uploader makes before CompleteMultipartUpload (parts.ts), and
 * the upload journal's file format (journal.ts): what must stop a wrong object from being
 * completed, and what a rerun reads back after a kill.
 */
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsError } from '../../src/fs/errors.js';
import { checkParts, etagMd5, type SentPart } from '../../backends/s3/parts.js';
import { appendPart, cacheDir, createJournal, journalDir, listJournals, readJournal, removeStaleTemps, sourceExists, type JournalHead } from '../../backends/s3/journal.js';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

function part(n: number, data: string, etag = `"${md5(data)}"`): SentPart {
  return { PartNumber: n, ETag: etag, size: data.length, md5: md5(data) };
}

const three = () => [part(1, 'aaaa'), part(2, 'bbbb'), part(3, 'cc')];

function failure(fn: () => unknown): FsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FsError);
    return err as FsError;
  }
  throw new Error('expected the check to fail');
}

describe('checkParts', () => {
  it('passes complete parts and returns them in part-number order', () => {
    const [a, b, c] = three();
    expect(checkParts('f', [c!, a!, b!], { bytes: 10, count: 3, etagIsMd5: true })).toEqual([
      { PartNumber: 1, ETag: a!.ETag },
      { PartNumber: 2, ETag: b!.ETag },
      { PartNumber: 3, ETag: c!.ETag },
    ]);
  });

  it('refuses a missing part', () => {
    const [a, , c] = three();
    const err = failure(() => checkParts('dir/f', [a!, c!], { bytes: 6, count: 3, etagIsMd5: true }));
    expect(err.message).toBe('dir/f: multipart upload not completed: part 2 of 3 is missing');
    expect(err.retry).toBe('retryable');
  });

  it('refuses a missing last part (the count comes from the size, not from what was sent)', () => {
    const [a, b] = three();
    expect(failure(() => checkParts('f', [a!, b!], { bytes: 8, count: 3, etagIsMd5: true })).message).toMatch(/part 3 of 3 is missing/);
  });

  it('refuses a part sent twice', () => {
    const [a, b, c] = three();
    expect(failure(() => checkParts('f', [a!, b!, b!, c!], { bytes: 14, count: 3, etagIsMd5: true })).message).toMatch(/part 2 was sent more than once/);
  });

  it('refuses a byte total that is not the size', () => {
    expect(failure(() => checkParts('f', three(), { bytes: 11, count: 3, etagIsMd5: true })).message).toMatch(/the parts hold 10 bytes, not 11/);
  });

  it('refuses a part number outside 1..count', () => {
    const [a, b, c] = three();
    expect(failure(() => checkParts('f', [a!, b!, c!, part(4, 'x')], { bytes: 11, count: 3, etagIsMd5: true })).message).toMatch(/part number 4 is outside 1\.\.3/);
    expect(failure(() => checkParts('f', [part(0, 'x'), a!], { bytes: 5, count: 1, etagIsMd5: true })).message).toMatch(/part number 0/);
  });

  it('refuses a part without an ETag', () => {
    const [a, b, c] = three();
    expect(failure(() => checkParts('f', [a!, { ...b!, ETag: '' }, c!], { bytes: 10, count: 3, etagIsMd5: true })).message).toMatch(/no ETag for part 2/);
  });

  it('refuses a plain-MD5 ETag that is not the MD5 of the bytes sent, unless ETags are not MD5s (SSE-KMS)', () => {
    const [a, b, c] = three();
    const wrong = { ...b!, ETag: `"${md5('something else')}"` };
    expect(failure(() => checkParts('f', [a!, wrong, c!], { bytes: 10, count: 3, etagIsMd5: true })).message).toMatch(/part 2: the server's ETag .* is not the MD5/);
    expect(checkParts('f', [a!, wrong, c!], { bytes: 10, count: 3, etagIsMd5: false })).toHaveLength(3);
    // An ETag that is no MD5 at all (some servers) is only required to be there.
    expect(checkParts('f', [a!, { ...b!, ETag: '"opaque-etag"' }, c!], { bytes: 10, count: 3, etagIsMd5: true })).toHaveLength(3);
  });

  it('etagMd5 reads plain MD5 ETags only', () => {
    expect(etagMd5('"0123456789ABCDEF0123456789abcdef"')).toBe('0123456789abcdef0123456789abcdef');
    expect(etagMd5('0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef0123456789abcdef');
    expect(etagMd5('"0123456789abcdef0123456789abcdef-3"')).toBeUndefined();
    expect(etagMd5(undefined)).toBeUndefined();
  });
});

describe('upload journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) nfs.rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-journal-'));
    dirs.push(d);
    return d;
  };
  const head = (over: Partial<JournalHead> = {}): JournalHead => ({
    v: 1,
    remote: 'rgw',
    endpoint: 'http://127.0.0.1:1',
    bucket: 'b',
    key: 'dir/big.iso',
    uploadId: 'up-1',
    origin: '/home/me/big.iso',
    size: 12,
    modTime: '1700000000123456789',
    partSize: 5,
    meta: 'm',
    created: 1,
    ...over,
  });

  it('removes the half-written heads a killed run left (*.tmp) once old, and nothing else', () => {
    const d = tmp();
    const j = createJournal(head(), d);
    nfs.writeFileSync(path.join(d, 'x.journal.1234.tmp'), '{"v":1');
    nfs.writeFileSync(path.join(d, 'fresh.journal.5678.tmp'), '{"v":1');
    const old = (Date.now() - 2 * 3_600_000) / 1000;
    nfs.utimesSync(path.join(d, 'x.journal.1234.tmp'), old, old);
    nfs.utimesSync(j.file, old, old);
    removeStaleTemps(3_600_000, d);
    expect(nfs.readdirSync(d).sort()).toEqual([path.basename(j.file), 'fresh.journal.5678.tmp'].sort());
  });

  it('lives in NCLONE_CACHE_DIR, else XDG_CACHE_HOME/nclone, else ~/.cache/nclone', () => {
    expect(cacheDir({ NCLONE_CACHE_DIR: '/x/c', XDG_CACHE_HOME: '/y' })).toBe('/x/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/nclone');
    expect(cacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache', 'nclone'));
    expect(cacheDir({})).toBe(path.join(os.homedir(), '.cache', 'nclone'));
    expect(journalDir({ NCLONE_CACHE_DIR: '/x/c' })).toBe('/x/c/uploads');
  });

  it('is written 0600 in a 0700 directory, read back with its parts, and a torn last line is ignored', () => {
    const dir = path.join(tmp(), 'uploads');
    const j = createJournal(head(), dir);
    appendPart(j, { n: 1, etag: '"e1"', md5: 'm1', size: 5 });
    appendPart(j, { n: 2, etag: '"e2"', md5: 'm2', size: 5 });
    nfs.appendFileSync(j.file, '{"n":3,"etag":"e3","md5"'); // killed during the write
    expect(nfs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(nfs.statSync(j.file).mode & 0o777).toBe(0o600);
    const back = readJournal(head(), dir)!;
    expect(back.head).toEqual(head());
    expect([...back.parts.keys()]).toEqual([1, 2]);
    expect(back.parts.get(2)).toEqual({ n: 2, etag: '"e2"', md5: 'm2', size: 5 });
    expect(nfs.readdirSync(dir)).toEqual([path.basename(j.file)]); // no temporary file left
    expect(listJournals(dir).map((x) => x.head.uploadId)).toEqual(['up-1']);
  });

  it('one journal per destination: another key has its own, a new upload replaces the old journal', () => {
    const dir = tmp();
    createJournal(head(), dir);
    createJournal(head({ key: 'other', uploadId: 'up-2' }), dir);
    createJournal(head({ uploadId: 'up-3' }), dir);
    expect(readJournal(head(), dir)!.head.uploadId).toBe('up-3');
    expect(readJournal(head({ key: 'other' }), dir)!.head.uploadId).toBe('up-2');
    expect(readJournal(head({ remote: 'elsewhere' }), dir)).toBeUndefined();
    expect(listJournals(dir)).toHaveLength(2);
  });

  it('sourceExists: a missing local path is gone, other origins can not be told', () => {
    const d = tmp();
    nfs.writeFileSync(path.join(d, 'f'), 'x');
    expect(sourceExists(path.join(d, 'f'))).toBe(true);
    expect(sourceExists(path.join(d, 'missing'))).toBe(false);
    expect(sourceExists('s3:bucket/key')).toBe(true);
  });
});
