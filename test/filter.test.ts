import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsError } from '../src/fs/errors.js';
import { Filter, type FilterOptions } from '../src/filter/filter.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);
const NS = 1_000_000n; // ns per ms
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (msAgo: number): bigint => BigInt(NOW - msAgo) * NS;

const make = (opts: FilterOptions) => Filter.create(opts, NOW);

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'nclone-filter-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
let fileCounter = 0;
async function tmpFile(content: string): Promise<string> {
  const p = join(tmp, `list-${++fileCounter}.txt`);
  await writeFile(p, content);
  return p;
}

async function usageError(opts: FilterOptions): Promise<FsError> {
  const err = await make(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FsError);
  expect((err as FsError).kind).toBe('usage');
  expect((err as FsError).message).not.toContain('\n');
  return err as FsError;
}

/**
 * Pattern examples, mostly from rclone's filtering docs. Each pattern is used
 * as a single --exclude, so "matches" means "is excluded".
 */
const PATTERNS: { pattern: string; matches: string[]; misses: string[] }[] = [
  { pattern: '*.jpg', matches: ['file.jpg', 'dir/file.jpg', 'a/b/c/.jpg'], misses: ['file.png', 'dir/file.png', 'file.jpg.png', 'file.JPG'] },
  { pattern: 'file.jpg', matches: ['file.jpg', 'directory/file.jpg'], misses: ['afile.jpg', 'directory/afile.jpg', 'file.jpgx'] },
  { pattern: '/file.jpg', matches: ['file.jpg'], misses: ['afile.jpg', 'directory/file.jpg'] },
  { pattern: '/*.jpg', matches: ['file.jpg', 'file2.jpg'], misses: ['file.png', 'dir/file.jpg'] },
  { pattern: 'b/c.txt', matches: ['b/c.txt', 'a/b/c.txt'], misses: ['ab/c.txt', 'b/c.txtx', 'c.txt'] },
  { pattern: '*.{jpg,png}', matches: ['file.jpg', 'dir/file.png'], misses: ['file.gif', 'dir/file.gif', 'file.jp'] },
  { pattern: '{A,B}/**', matches: ['A/x', 'B/y/z', 'q/A/x'], misses: ['C/x', 'A', 'AB/x'] },
  { pattern: 'a{b,c{d,e}}f', matches: ['abf', 'acdf', 'acef'], misses: ['acf', 'af'] },
  { pattern: 'dir/**', matches: ['dir/anyfile', 'subdir/dir/subsubdir/anyfile'], misses: ['file.png', 'subdir/file.png', 'dir'] },
  { pattern: '/a/*', matches: ['a/x', 'a/.hidden'], misses: ['a/x/y', 'b/a/x', 'a'] },
  { pattern: '/a/**', matches: ['a/x', 'a/x/y/z'], misses: ['a', 'b/a/x'] },
  { pattern: '/a/**/b', matches: ['a/x/b', 'a/x/y/b'], misses: ['a/b', 'a/x/c'] },
  { pattern: '/a**z', matches: ['az', 'abz', 'a/x/z', 'ab/cz'], misses: ['za', 'b/az'] },
  { pattern: '**.bak', matches: ['x.bak', 'a/b/x.bak'], misses: ['x.bakx'] },
  { pattern: '*.t?t', matches: ['file.txt', 'dir/file.tzt'], misses: ['file.qxt', 'dir/file.png', 'file.tt'] },
  { pattern: '/?', matches: ['a'], misses: ['ab', 'a/b'] },
  { pattern: '*.[a-z]', matches: ['file.a', 'dir/file.b'], misses: ['file.0', 'dir/file.1', 'file.A'] },
  { pattern: 'file[!0-9]', matches: ['fileX'], misses: ['file1', 'file'] },
  { pattern: '??[^[:punct:]]*', matches: ['abc', 'abcdef', '..a'], misses: ['ab.c', 'ab'] },
  { pattern: '*.\\?\\?\\?', matches: ['file.???', 'dir/file.???'], misses: ['file.abc', 'dir/file.def'] },
  { pattern: '*.\\d\\d\\d', matches: ['file.012', 'dir/file.345'], misses: ['file.abc', 'dir/file.def'] },
  { pattern: '*\\[{JP,KR,HK}\\]*', matches: ['film [JP].mkv', 'x/[HK]'], misses: ['film [US].mkv', 'film JP.mkv'] },
  { pattern: '\\*.txt', matches: ['*.txt'], misses: ['a.txt'] },
  { pattern: 'a\\\\b', matches: ['a\\b'], misses: ['ab', 'a/b'] },
  { pattern: 'x+(y|z)', matches: ['x+(y|z)'], misses: ['xy', 'xz'] },
  { pattern: '#notes', matches: ['#notes'], misses: ['notes'] },
  { pattern: '!important', matches: ['!important'], misses: ['other'] },
  { pattern: 'potato,sausage', matches: ['potato,sausage'], misses: ['potato', 'sausage'] },
  { pattern: 'potato', matches: ['potato', 'dir/potato'], misses: ['POTATO', 'apotato'] },
  { pattern: '*', matches: ['x', '.hidden', 'a/b/c'], misses: [] },
  { pattern: '/a[/]b', matches: ['a/b'], misses: ['ab', 'a_b', 'x/a/b'] },
  { pattern: 'ünï*', matches: ['ünïcode', 'd/ünï'], misses: ['unicode'] },
];

describe('pattern syntax', () => {
  for (const { pattern, matches, misses } of PATTERNS) {
    it(`${pattern}`, async () => {
      const f = await make({ exclude: [pattern] });
      for (const path of matches) expect(f.includeRemote(path), `${pattern} should match ${path}`).toBe(false);
      for (const path of misses) expect(f.includeRemote(path), `${pattern} should not match ${path}`).toBe(true);
    });
  }

  it('is case sensitive unless ignoreCase is set', async () => {
    const strict = await make({ exclude: ['potato', '*.jpg'] });
    expect(strict.includeRemote('POTATO')).toBe(true);
    expect(strict.includeRemote('a.JPG')).toBe(true);
    const loose = await make({ exclude: ['potato', '*.jpg'], ignoreCase: true });
    expect(loose.includeRemote('POTATO')).toBe(false);
    expect(loose.includeRemote('a.JPG')).toBe(false);
    expect(loose.includeRemote('a.png')).toBe(true);
    const dirs = await make({ exclude: ['Dir/'], ignoreCase: true });
    expect(dirs.includeDirectory('dir')).toBe(false);
  });
});

describe('rule order', () => {
  it('includes everything when no rule matches', async () => {
    const f = await make({ exclude: ['*.bak'] });
    expect(f.includeRemote('notes.txt')).toBe(true);
    expect(f.includeRemote('notes.bak')).toBe(false);
  });

  it('first matching rule wins', async () => {
    const f = await make({ filter: ['- secret*.jpg', '+ *.jpg', '+ *.png', '+ file2.avi', '- *'] });
    expect(f.includeRemote('file1.jpg')).toBe(true);
    expect(f.includeRemote('file3.png')).toBe(true);
    expect(f.includeRemote('file2.avi')).toBe(true);
    expect(f.includeRemote('secret17.jpg')).toBe(false);
    expect(f.includeRemote('file.txt')).toBe(false);
    const reversed = await make({ filter: ['+ *.jpg', '- secret*.jpg'] });
    expect(reversed.includeRemote('secret17.jpg')).toBe(true);
  });

  it('--include implies a final "- **"', async () => {
    const f = await make({ include: ['*.{png,jpg}'] });
    expect(f.includeRemote('a.png')).toBe(true);
    expect(f.includeRemote('d/a.jpg')).toBe(true);
    expect(f.includeRemote('a.gif')).toBe(false);
  });

  it('--filter "+ ..." does not imply an exclude', async () => {
    const f = await make({ filter: ['+ *.jpg'] });
    expect(f.includeRemote('a.jpg')).toBe(true);
    expect(f.includeRemote('a.txt')).toBe(true);
  });

  it('adds includes before excludes before filters, whatever the flag order', async () => {
    // --include rules come first, so the exclude cannot remove secret.jpg
    const f = await make({ exclude: ['secret*'], include: ['*.jpg'] });
    expect(f.includeRemote('secret.jpg')).toBe(true);
    expect(f.includeRemote('secret.txt')).toBe(false);
    expect(f.includeRemote('a.txt')).toBe(false);
    // --exclude comes before --filter
    const g = await make({ filter: ['+ keep.bak'], exclude: ['*.bak'] });
    expect(g.includeRemote('keep.bak')).toBe(false);
  });

  it('"!" clears the rules so far', async () => {
    const f = await make({ filter: ['+ *.jpg', '+ *.gif', '!', '+ 42.doc', '- *'] });
    expect(f.includeRemote('42.doc')).toBe(true);
    expect(f.includeRemote('a.jpg')).toBe(false);
    expect(f.includeRemote('b.gif')).toBe(false);
  });

  it('"!" clears --include and --exclude rules too, but the implied exclude is added after it', async () => {
    const f = await make({ exclude: ['*.txt'], filter: ['!'] });
    expect(f.includeRemote('a.txt')).toBe(true);
    expect(f.active).toBe(false);
    const g = await make({ include: ['*.jpg'], filter: ['!'] });
    expect(g.includeRemote('a.jpg')).toBe(false);
  });
});

describe('directory rules', () => {
  it('an exclude ending in / removes the directory and everything under it', async () => {
    const f = await make({ exclude: ['tmp/'] });
    expect(f.includeDirectory('tmp')).toBe(false);
    expect(f.includeDirectory('a/tmp')).toBe(false);
    expect(f.includeDirectory('tmp2')).toBe(true);
    expect(f.includeDirectory('a')).toBe(true);
    expect(f.includeRemote('tmp/x')).toBe(false);
    expect(f.includeRemote('a/tmp/x/y')).toBe(false);
    expect(f.includeRemote('tmp')).toBe(true); // a file called tmp
  });

  it('an anchored ** exclude prunes the directory', async () => {
    const f = await make({ exclude: ['/excl/**'] });
    expect(f.includeDirectory('excl')).toBe(false);
    expect(f.includeDirectory('excl/sub')).toBe(false);
    expect(f.includeDirectory('incl')).toBe(true);
    expect(f.includeDirectory('incl/excl')).toBe(true);
  });

  it('a file exclude does not prune directories, except "*"', async () => {
    const f = await make({ exclude: ['*.jpg', 'dir'] });
    expect(f.includeDirectory('dir')).toBe(true);
    expect(f.includeDirectory('x.jpg')).toBe(true);
    const g = await make({ exclude: ['*'] });
    expect(g.includeDirectory('any')).toBe(false);
    expect(g.includeDirectory('')).toBe(true); // the root is always listed
  });

  it('an include only walks the directories that lead to it', async () => {
    const f = await make({ include: ['/photos/*.jpg'] });
    expect(f.includeDirectory('')).toBe(true);
    expect(f.includeDirectory('photos')).toBe(true);
    expect(f.includeDirectory('other')).toBe(false);
    expect(f.includeDirectory('photos/sub')).toBe(false);
    expect(f.includeRemote('photos/a.jpg')).toBe(true);
    expect(f.includeRemote('photos/sub/a.jpg')).toBe(false);
    expect(f.includeRemote('a.jpg')).toBe(false);
    expect(f.includeRemote('photos/a.png')).toBe(false);
  });

  it('an include of a deeper anchored path allows each parent', async () => {
    const f = await make({ include: ['/a/b/*.jpg'] });
    expect(f.includeDirectory('a')).toBe(true);
    expect(f.includeDirectory('a/b')).toBe(true);
    expect(f.includeDirectory('a/c')).toBe(false);
    expect(f.includeDirectory('a/b/c')).toBe(false);
    expect(f.includeDirectory('b')).toBe(false);
  });

  it('an unanchored include with a directory part allows that directory at any depth (as rclone does)', async () => {
    const f = await make({ include: ['a/b/*.jpg'] });
    expect(f.includeDirectory('a')).toBe(true);
    expect(f.includeDirectory('a/b')).toBe(true);
    expect(f.includeDirectory('x/a')).toBe(true);
    expect(f.includeDirectory('x/a/b')).toBe(true);
    // rclone's implied directory rules only allow directories named like the glob's parents
    expect(f.includeDirectory('x')).toBe(false);
    expect(f.includeDirectory('a/c')).toBe(false);
  });

  it('an include without a directory part allows every directory', async () => {
    const f = await make({ include: ['*.jpg'] });
    expect(f.includeDirectory('any')).toBe(true);
    expect(f.includeDirectory('any/deeper')).toBe(true);
  });

  it('an include with ** allows every directory below the fixed part', async () => {
    const f = await make({ include: ['/var/spool/**/ncw'] });
    expect(f.includeDirectory('var')).toBe(true);
    expect(f.includeDirectory('var/spool')).toBe(true);
    expect(f.includeDirectory('var/spool/x/y')).toBe(true);
    expect(f.includeDirectory('var/log')).toBe(false);
    expect(f.includeDirectory('usr')).toBe(false);
    expect(f.includeRemote('var/spool/x/ncw')).toBe(true);
    expect(f.includeRemote('var/spool/ncw')).toBe(false);
  });

  it('cannot prune with braces holding / or **, but can with {a,b}/**', async () => {
    const hard = await make({ include: ['{dir1/**,dir2/**}'] });
    expect(hard.includeDirectory('dir3')).toBe(true);
    expect(hard.includeRemote('dir3/x')).toBe(false);
    expect(hard.includeRemote('dir1/x')).toBe(true);
    const easy = await make({ include: ['{dir1,dir2}/**'] });
    expect(easy.includeDirectory('dir3')).toBe(false);
    expect(easy.includeDirectory('dir1')).toBe(true);
    expect(easy.includeDirectory('dir2/sub')).toBe(true);
    expect(easy.includeRemote('dir2/sub/x')).toBe(true);
  });

  it('a directory include matches no files by itself', async () => {
    const f = await make({ include: ['/directory/'] });
    expect(f.includeDirectory('directory')).toBe(true);
    expect(f.includeDirectory('other')).toBe(false);
    expect(f.includeRemote('directory/file')).toBe(false);
  });

  it('the --filter-from example from the docs', async () => {
    const f = await make({ filter: ['- /dir1/', '- /dir2/', '+ *.pdf', '- **'] });
    expect(f.includeDirectory('dir1')).toBe(false);
    expect(f.includeDirectory('dir2')).toBe(false);
    expect(f.includeDirectory('dir3')).toBe(true);
    expect(f.includeDirectory('a/dir1')).toBe(true);
    expect(f.includeRemote('a.pdf')).toBe(true);
    expect(f.includeRemote('dir3/b.pdf')).toBe(true);
    expect(f.includeRemote('dir1/c.pdf')).toBe(false);
    expect(f.includeRemote('a.txt')).toBe(false);
  });

  it('accepts directory names with surrounding slashes', async () => {
    const f = await make({ exclude: ['tmp/'] });
    expect(f.includeDirectory('/tmp/')).toBe(false);
  });
});

describe('rule files', () => {
  it('--filter-from skips comments and blank lines and keeps the order', async () => {
    const file = await tmpFile(
      [
        '# a sample filter rule file',
        '- secret*.jpg',
        '+ *.jpg',
        '',
        '   ',
        '; another comment',
        '+ *.png',
        '+ file2.avi',
        '- /dir/tmp/** # WARNING! This text will be treated as part of the path.',
        '- /dir/Trash/**',
        '+ /dir/**',
        '# exclude everything else',
        '- *',
      ].join('\n'),
    );
    const f = await make({ filterFrom: [file] });
    expect(f.includeRemote('file1.jpg')).toBe(true);
    expect(f.includeRemote('secret17.jpg')).toBe(false);
    expect(f.includeRemote('x/file3.png')).toBe(true);
    expect(f.includeRemote('file2.avi')).toBe(true);
    expect(f.includeRemote('dir/doc.txt')).toBe(true);
    expect(f.includeRemote('dir/Trash/doc.txt')).toBe(false);
    // the inline "comment" is part of the pattern, so dir/tmp is not excluded
    expect(f.includeRemote('dir/tmp/doc.txt')).toBe(true);
    expect(f.includeRemote('other.txt')).toBe(false);
    // "+ *.jpg" comes first and could match in any directory, so no directory is pruned
    expect(f.includeDirectory('dir/Trash')).toBe(true);
    const g = await make({ filterFrom: [await tmpFile('- /dir/Trash/**\n+ *.jpg\n')] });
    expect(g.includeDirectory('dir/Trash')).toBe(false);
    expect(g.includeDirectory('dir')).toBe(true);
  });

  it('"!" in a --filter-from file clears earlier rules', async () => {
    const file = await tmpFile('+ *.jpg\n+ *.gif\n!\n+ 42.doc\n- *\n');
    const f = await make({ filterFrom: [file] });
    expect(f.includeRemote('42.doc')).toBe(true);
    expect(f.includeRemote('a.jpg')).toBe(false);
  });

  it('--exclude-from and --include-from read one pattern per line, trimmed, CRLF tolerated', async () => {
    const ex = await tmpFile('# a sample exclude rule file\r\n*.bak\r\n  file2.jpg  \r\n');
    const f = await make({ excludeFrom: [ex] });
    expect(f.includeRemote('a.bak')).toBe(false);
    expect(f.includeRemote('d/file2.jpg')).toBe(false);
    expect(f.includeRemote('file1.jpg')).toBe(true);

    const inc = await tmpFile('# a sample include rule file\n*.jpg\nfile2.avi\n');
    const g = await make({ includeFrom: [inc] });
    expect(g.includeRemote('a.jpg')).toBe(true);
    expect(g.includeRemote('file2.avi')).toBe(true);
    expect(g.includeRemote('file3.avi')).toBe(false); // implied exclude
  });

  it('several -from files are read in order, after the matching plain flags', async () => {
    const a = await tmpFile('- a*\n');
    const b = await tmpFile('+ a1\n- b*\n');
    const f = await make({ filterFrom: [a, b], filter: ['+ a2'] });
    expect(f.includeRemote('a2')).toBe(true); // --filter before --filter-from
    expect(f.includeRemote('a1')).toBe(false); // first file before second
    expect(f.includeRemote('b1')).toBe(false);
    expect(f.includeRemote('c1')).toBe(true);
  });

  it('--include-from rules come before --exclude rules', async () => {
    const inc = await tmpFile('keep.log\n');
    const f = await make({ includeFrom: [inc], exclude: ['*.log'] });
    expect(f.includeRemote('keep.log')).toBe(true);
    expect(f.includeRemote('other.log')).toBe(false);
  });
});

describe('--files-from', () => {
  it('includes only the listed files and the directories leading to them', async () => {
    const list1 = await tmpFile('# comment\nfile1.jpg\n/subdir/file2.jpg\n; other comment\n\n  a/b/c/deep.txt  \n');
    const list2 = await tmpFile('file1.jpg\nz.txt\na/b/other.txt\n');
    const f = await make({ filesFrom: [list1, list2] });
    expect(f.active).toBe(true);
    expect(f.filesFrom()).toEqual(['a/b/c/deep.txt', 'a/b/other.txt', 'file1.jpg', 'subdir/file2.jpg', 'z.txt']);
    expect(f.includeRemote('file1.jpg')).toBe(true);
    expect(f.includeRemote('subdir/file2.jpg')).toBe(true);
    expect(f.includeRemote('a/b/c/deep.txt')).toBe(true);
    expect(f.includeRemote('file3.jpg')).toBe(false);
    expect(f.includeRemote('subdir/file1.jpg')).toBe(false);
    expect(f.includeObject('z.txt', 10)).toBe(true);
    expect(f.includeObject('y.txt', 10)).toBe(false);
    for (const dir of ['', 'subdir', 'a', 'a/b', 'a/b/c']) expect(f.includeDirectory(dir), dir).toBe(true);
    for (const dir of ['other', 'a/x', 'a/b/c/d', 'sub']) expect(f.includeDirectory(dir), dir).toBe(false);
  });

  it('other filters still apply to the listed files', async () => {
    const list = await tmpFile('a.jpg\nb.txt\nbig.txt\nd/c.txt\n');
    const f = await make({ filesFrom: [list], exclude: ['*.jpg', 'd/'], maxSize: 100 });
    expect(f.includeRemote('a.jpg')).toBe(false);
    expect(f.includeObject('b.txt', 50)).toBe(true);
    expect(f.includeObject('big.txt', 500)).toBe(false);
    expect(f.includeDirectory('d')).toBe(false);
  });

  it('an empty list includes nothing', async () => {
    const f = await make({ filesFrom: [await tmpFile('# nothing\n')] });
    expect(f.active).toBe(true);
    expect(f.filesFrom()).toEqual([]);
    expect(f.includeRemote('a')).toBe(false);
    expect(f.includeDirectory('a')).toBe(false);
  });

  it('is undefined without the flag', async () => {
    expect((await make({ include: ['*'] })).filesFrom()).toBeUndefined();
  });
});

describe('size and age limits', () => {
  it('--min-size and --max-size are inclusive bounds', async () => {
    const f = await make({ minSize: 100, maxSize: 1000 });
    expect(f.active).toBe(true);
    expect(f.usesModTime).toBe(false);
    expect(f.includeObject('a', 99)).toBe(false);
    expect(f.includeObject('a', 100)).toBe(true);
    expect(f.includeObject('a', 1000)).toBe(true);
    expect(f.includeObject('a', 1001)).toBe(false);
    expect(f.includeRemote('a')).toBe(true); // path rules only
  });

  it('combines size limits with path rules', async () => {
    const f = await make({ maxSize: 10, exclude: ['*.bak'] });
    expect(f.includeObject('a.txt', 5)).toBe(true);
    expect(f.includeObject('a.bak', 5)).toBe(false);
    expect(f.includeObject('a.txt', 50)).toBe(false);
  });

  it('-1 means off', async () => {
    const f = await make({ minSize: -1, maxSize: -1 });
    expect(f.active).toBe(false);
    expect(f.includeObject('a', 0)).toBe(true);
    expect(f.includeObject('a', 1e12)).toBe(true);
  });

  it('--max-age excludes files older than the cut-off', async () => {
    const f = await make({ maxAge: '2d' });
    expect(f.usesModTime).toBe(true);
    expect(f.includeObject('a', 1, at(1 * DAY))).toBe(true);
    expect(f.includeObject('a', 1, at(2 * DAY))).toBe(true); // exactly at the cut-off
    expect(f.includeObject('a', 1, at(3 * DAY))).toBe(false);
  });

  it('--min-age excludes files newer than the cut-off', async () => {
    const f = await make({ minAge: '1h' });
    expect(f.includeObject('a', 1, at(30 * 60_000))).toBe(false);
    expect(f.includeObject('a', 1, at(2 * HOUR))).toBe(true);
    expect(f.includeObject('a', 1, at(-HOUR))).toBe(false); // in the future
  });

  it('--min-age and --max-age together select a window', async () => {
    const f = await make({ minAge: '1d', maxAge: '1w' });
    expect(f.includeObject('a', 1, at(12 * HOUR))).toBe(false);
    expect(f.includeObject('a', 1, at(3 * DAY))).toBe(true);
    expect(f.includeObject('a', 1, at(8 * DAY))).toBe(false);
  });

  it('accepts absolute dates', async () => {
    const f = await make({ maxAge: '2024-06-01T00:00:00Z' });
    expect(f.includeObject('a', 1, BigInt(Date.UTC(2024, 5, 2)) * NS)).toBe(true);
    expect(f.includeObject('a', 1, BigInt(Date.UTC(2024, 4, 31)) * NS)).toBe(false);
  });

  it('compares nanoseconds exactly', async () => {
    const f = await make({ maxAge: '1s' });
    const cutoff = BigInt(NOW - 1000) * NS;
    expect(f.includeObject('a', 1, cutoff)).toBe(true);
    expect(f.includeObject('a', 1, cutoff - 1n)).toBe(false);
  });

  it('skips the age check when no modification time is given', async () => {
    const f = await make({ maxAge: '1d', exclude: ['*.bak'] });
    expect(f.includeObject('a.txt', 1)).toBe(true);
    expect(f.includeObject('a.bak', 1)).toBe(false);
  });

  it('"off" or an empty value leaves the age filter unset', async () => {
    const f = await make({ maxAge: 'off', minAge: '' });
    expect(f.active).toBe(false);
    expect(f.usesModTime).toBe(false);
  });
});

describe('inactive filters', () => {
  it('Filter.none includes everything', () => {
    expect(Filter.none.active).toBe(false);
    expect(Filter.none.usesModTime).toBe(false);
    expect(Filter.none.includeRemote('anything/at/all')).toBe(true);
    expect(Filter.none.includeObject('x', 1e15)).toBe(true);
    expect(Filter.none.includeDirectory('deep/dir')).toBe(true);
    expect(Filter.none.filesFrom()).toBeUndefined();
  });

  it('no options give an inactive filter', async () => {
    const f = await make({});
    expect(f.active).toBe(false);
    expect(f.usesModTime).toBe(false);
    expect(f.includeObject('x', 5, 0n)).toBe(true);
  });

  it('any rule makes the filter active', async () => {
    expect((await make({ exclude: ['x'] })).active).toBe(true);
    expect((await make({ filter: ['+ x'] })).active).toBe(true);
    expect((await make({ minAge: '1d' })).active).toBe(true);
  });
});

describe('bad input', () => {
  it('rejects a malformed --filter rule', async () => {
    const err = await usageError({ filter: ['x foo'] });
    expect(err.message).toContain('--filter "x foo"');
    expect(err.message).toMatch(/"\+ "|"- "/);
    await usageError({ filter: ['+foo'] });
    await usageError({ filter: ['# comment'] });
  });

  it('names the file and line of a malformed --filter-from rule', async () => {
    const file = await tmpFile('# ok\n+ *.jpg\n*.png\n');
    const err = await usageError({ filterFrom: [file] });
    expect(err.message).toContain(file);
    expect(err.message).toContain(`line 3 "*.png"`);
  });

  it('rejects unreadable -from files', async () => {
    const missing = join(tmp, 'does-not-exist.txt');
    for (const key of ['includeFrom', 'excludeFrom', 'filterFrom', 'filesFrom'] as const) {
      const err = await usageError({ [key]: [missing] });
      expect(err.message).toContain(missing);
      expect(err.message).toContain(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    }
  });

  it('does not read standard input for "-"', async () => {
    const err = await usageError({ filesFrom: ['-'] });
    expect(err.message).toMatch(/standard input/);
  });

  it.each([
    ['[abc', /\[/],
    ['ab]c', /\]/],
    ['ab{c', /\{/],
    ['ab}c', /\}/],
    ['***', /stars/],
    ['a{{.*}}', /regexp/],
    ['\\q', /escape/],
    ['abc\\', /\\/],
    ['[]', /empty/],
  ])('rejects the bad pattern %j', async (pattern, why) => {
    const err = await usageError({ include: [pattern] });
    expect(err.message).toContain(`--include ${JSON.stringify(pattern)}`);
    expect(err.message).toMatch(why);
    await usageError({ filter: [`- ${pattern}`] });
  });

  it('rejects bad ages', async () => {
    const err = await usageError({ maxAge: 'soon' });
    expect(err.message).toContain('--max-age');
    expect(err.message).toContain('soon');
    expect((await usageError({ minAge: '3x' })).message).toContain('--min-age');
  });

  it('rejects --min-age larger than --max-age', async () => {
    const err = await usageError({ minAge: '2w', maxAge: '1d' });
    expect(err.message).toContain('--min-age');
    expect(err.message).toContain('--max-age');
  });
});
