/**
 * --hash-filter and --exclude-if-present through the CLI. docs/scale-out.md's tested
 * command line (four `copy --hash-filter K/4` runs side by side with xargs -P) is read
 * from the page and run against the test RGW: the bucket must end up holding the tree,
 * each file sent by exactly one run (the runs' --summary-json counts add up to the tree).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NCLONE, cleanEnv, run } from './helpers/run.js';
import { s3Server, uniqueBucket } from './helpers/s3.js';
import { makeBase, removeBases, removeBuckets } from './s3/helpers-cli.js';

const DOC = readFileSync(new URL('../docs/scale-out.md', import.meta.url), 'utf8');

let base: string;
const buckets: string[] = [];

beforeAll(() => {
  base = makeBase('scale-out');
  mkdirSync(path.join(base, 'bin'));
  symlinkSync(NCLONE, path.join(base, 'bin', 'nclone'));
});

afterAll(async () => {
  await removeBuckets(buckets);
  removeBases();
});

/** A tree of n small files in a few directories; contents name the file. */
function makeTree(root: string, n: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `d${i % 4}/sub ${i % 3}/file-${i}.txt`;
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), `file ${i}\n`);
    names.push(name);
  }
  return names.sort();
}

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

function rgwEnv(remote: string): NodeJS.ProcessEnv {
  const s = s3Server();
  const up = remote.toUpperCase();
  return cleanEnv(path.join(base, 'home'), {
    PATH: `${path.join(base, 'bin')}:${process.env.PATH}`,
    [`NCLONE_CONFIG_${up}_TYPE`]: 's3',
    [`NCLONE_CONFIG_${up}_PROVIDER`]: 'Ceph',
    [`NCLONE_CONFIG_${up}_ENDPOINT`]: s.endpoint,
    [`NCLONE_CONFIG_${up}_ACCESS_KEY_ID`]: s.accessKeyId,
    [`NCLONE_CONFIG_${up}_SECRET_ACCESS_KEY`]: s.secretAccessKey,
  });
}

describe('docs/scale-out.md: four runs share one copy', () => {
  it('the tested xargs line copies every file exactly once', async () => {
    const m = /<!-- tested by test\/scale-out\.test\.ts -->\n```sh\n([^\n]+)\n```/.exec(DOC);
    expect(m, 'docs/scale-out.md lost its tested command block').not.toBeNull();
    const src = path.join(base, 'share-src');
    const names = makeTree(src, 80);
    const bucket = uniqueBucket('nclone-share');
    buckets.push(bucket);
    const line = m![1]!.replaceAll('/srv/data', src).replaceAll('backup:bucket/', `backup:${bucket}/`).replaceAll('/tmp/share-', path.join(base, 'share-'));
    const r = await run('sh', ['-c', line], rgwEnv('backup'), { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);

    const summaries = [0, 1, 2, 3].map((k) => JSON.parse(readFileSync(path.join(base, `share-${k}.json`), 'utf8')) as { transfers: number; exitCode: number });
    for (const s of summaries) {
      expect(s.exitCode).toBe(0);
      expect(s.transfers).toBeGreaterThan(0);
    }
    expect(summaries.reduce((a, s) => a + s.transfers, 0)).toBe(names.length);

    const ls = await run(NCLONE, ['lsf', '-R', '--files-only', `backup:${bucket}/data`], rgwEnv('backup'), { timeoutMs: 60_000 });
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout.split('\n').filter(Boolean).sort()).toEqual(names);
  });
});

describe('--hash-filter with sync', () => {
  it('each run deletes only the extra files of its own partition; together they make the destination match', async () => {
    const src = path.join(base, 'sync-src');
    const dst = path.join(base, 'sync-dst');
    const names = makeTree(src, 30);
    const extras = makeTree(path.join(base, 'extras'), 30).map((n) => n.replace('file-', 'extra-'));
    for (const e of extras) {
      mkdirSync(path.dirname(path.join(dst, e)), { recursive: true });
      writeFileSync(path.join(dst, e), 'old\n');
    }
    const env = cleanEnv(path.join(base, 'home'));
    const first = await run(NCLONE, ['sync', '--hash-filter', '0/2', src, dst], env, { timeoutMs: 60_000 });
    expect(first.code, first.stderr).toBe(0);
    const afterFirst = filesUnder(dst);
    const extrasLeft = afterFirst.filter((f) => f.includes('extra-'));
    const copied = afterFirst.filter((f) => !f.includes('extra-'));
    // Some but not all of each kind: the other partition's files are left alone.
    expect(extrasLeft.length).toBeGreaterThan(0);
    expect(extrasLeft.length).toBeLessThan(extras.length);
    expect(copied.length).toBeGreaterThan(0);
    expect(copied.length).toBeLessThan(names.length);

    const second = await run(NCLONE, ['sync', '--hash-filter', '1/2', src, dst], env, { timeoutMs: 60_000 });
    expect(second.code, second.stderr).toBe(0);
    expect(filesUnder(dst)).toEqual(names);
  });

  it('a bad K/N is one line and exit code 1', async () => {
    const r = await run(NCLONE, ['ls', '--hash-filter', '3', base], cleanEnv(path.join(base, 'home')), { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^nclone: invalid --hash-filter "3": [^\n]+\n$/);
  });
});

describe('--exclude-if-present', () => {
  it('leaves out a source directory holding the marker, on upload to the RGW', async () => {
    const src = path.join(base, 'marker-src');
    makeTree(src, 12);
    writeFileSync(path.join(src, 'd1', '.nobackup'), '');
    const bucket = uniqueBucket('nclone-marker');
    buckets.push(bucket);
    const env = rgwEnv('rgw');
    const r = await run(NCLONE, ['copy', '--exclude-if-present', '.nobackup', src, `rgw:${bucket}`], env, { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const ls = await run(NCLONE, ['lsf', '-R', '--files-only', `rgw:${bucket}`], env, { timeoutMs: 60_000 });
    const listed = ls.stdout.split('\n').filter(Boolean).sort();
    expect(listed).toEqual(filesUnder(src).filter((f) => !f.startsWith('d1/')));
  });

  it('with sync, a destination directory holding the marker is not cleaned (its listing counts as empty), as rclone does', async () => {
    const trees: Record<string, Record<string, string>> = {};
    for (const tool of ['nclone', 'rclone']) {
      const src = path.join(base, `keep-${tool}`, 'src');
      const dst = path.join(base, `keep-${tool}`, 'dst');
      makeTree(src, 12);
      mkdirSync(path.join(dst, 'd2'), { recursive: true });
      writeFileSync(path.join(dst, 'd2', '.nobackup'), '');
      writeFileSync(path.join(dst, 'd2', 'only-here.txt'), 'mine\n');
      writeFileSync(path.join(dst, 'top-extra.txt'), 'extra\n');
      const args = ['sync', '--exclude-if-present', '.nobackup', src, dst];
      const r = tool === 'nclone' ? await run(NCLONE, args, cleanEnv(path.join(base, 'home')), { timeoutMs: 60_000 }) : await run('rclone', args, cleanEnv(path.join(base, 'home')), { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      trees[tool] = Object.fromEntries(filesUnder(dst).map((f) => [f, readFileSync(path.join(dst, f), 'utf8')]));
    }
    expect(trees.nclone!['d2/only-here.txt']).toBe('mine\n');
    expect(trees.nclone!['top-extra.txt']).toBeUndefined();
    expect(trees.nclone).toEqual(trees.rclone);
  });

  it('is the same on both tools for the source side (rclone 1.60 has the flag)', async () => {
    const src = path.join(base, 'marker-src');
    const out = execFileSync('rclone', ['lsf', '-R', '--files-only', '--exclude-if-present', '.nobackup', src], { encoding: 'utf8', env: cleanEnv(path.join(base, 'home')) });
    const ours = await run(NCLONE, ['lsf', '-R', '--files-only', '--exclude-if-present', '.nobackup', src], cleanEnv(path.join(base, 'home')), { timeoutMs: 30_000 });
    expect(ours.stdout.split('\n').filter(Boolean).sort()).toEqual(out.split('\n').filter(Boolean).sort());
  });
});
