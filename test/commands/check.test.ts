/**
 * nclone check between two local trees, through bin/nclone: each kind of difference,
 * each report flag, --one-way, --size-only, --download, filters, a read error, and the
 * exit codes; the combined report compared with rclone 1.60's on the same trees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NCLONE, cleanEnv, run, type RunResult } from '../helpers/run.js';
import { COMBINED, DST_FILES, SRC_FILES, lines, logLines, writeFiles } from './check-helpers.js';

describe('nclone check, local to local', () => {
  let base: string;
  let src: string;
  let dst: string;
  let env: NodeJS.ProcessEnv;
  const nclone = (...args: string[]) => run(NCLONE, args, env);
  const rclone = (...args: string[]) => run('rclone', ['--config', path.join(base, 'rclone.conf'), ...args], env);
  const code = (r: RunResult, c: number) => expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(c);

  beforeAll(() => {
    if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
    base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-check-'));
    nfs.mkdirSync(path.join(base, 'home'));
    nfs.writeFileSync(path.join(base, 'rclone.conf'), '');
    env = cleanEnv(path.join(base, 'home'));
    src = path.join(base, 'src');
    dst = path.join(base, 'dst');
    writeFiles(src, SRC_FILES);
    writeFiles(dst, DST_FILES);
  });

  afterAll(() => {
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('reports each kind of difference, exits 1, and logs the summary as rclone does', async () => {
    const r = await nclone('check', src, dst, '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(COMBINED);
    const log = logLines(r.stderr);
    expect(log).toContain(`ERROR : only-src.txt: file not in ${dst}`);
    expect(log).toContain(`ERROR : only-dst.txt: file not in ${src}`);
    expect(log).toContain('ERROR : size.txt: sizes differ');
    expect(log).toContain('ERROR : content.txt: md5 differ');
    expect(log.slice(-6)).toEqual([
      `NOTICE: ${dst}: 1 files missing`,
      `NOTICE: ${src}: 1 files missing`,
      `NOTICE: ${dst}: 4 differences found`,
      `NOTICE: ${dst}: 4 errors while checking`,
      `NOTICE: ${dst}: 2 matching files`,
      'nclone: 4 differences found',
    ]);
  });

  it('gives the combined report and exit code rclone 1.60 gives on the same trees', async () => {
    const [n, r] = await Promise.all([nclone('check', src, dst, '--combined', '-'), rclone('check', src, dst, '--combined', '-')]);
    code(r, 1);
    code(n, 1);
    expect(lines(n.stdout)).toEqual(lines(r.stdout));
  });

  it('writes each outcome to its own report file, created before the check', async () => {
    const f = (n: string) => path.join(base, `report-${n}.txt`);
    nfs.writeFileSync(f('match'), 'stale line from an earlier run\n');
    const r = await nclone('check', src, dst, '--differ', f('differ'), '--missing-on-src', f('src'), '--missing-on-dst', f('dst'), '--match', f('match'), '--error', f('error'), '--combined', f('combined'));
    code(r, 1);
    expect(r.stdout).toBe('');
    expect(lines(nfs.readFileSync(f('differ'), 'utf8'))).toEqual(['content.txt', 'size.txt']);
    expect(nfs.readFileSync(f('src'), 'utf8')).toBe('only-dst.txt\n');
    expect(nfs.readFileSync(f('dst'), 'utf8')).toBe('only-src.txt\n');
    expect(lines(nfs.readFileSync(f('match'), 'utf8'))).toEqual(['same.txt', 'sub dir/same #2.txt']);
    expect(nfs.readFileSync(f('error'), 'utf8')).toBe('');
    expect(lines(nfs.readFileSync(f('combined'), 'utf8'))).toEqual(COMBINED);
  });

  it('two report flags naming the same file both write to it', async () => {
    const both = path.join(base, 'both.txt');
    const r = await nclone('check', src, dst, '--differ', both, '--match', both);
    code(r, 1);
    expect(lines(nfs.readFileSync(both, 'utf8'))).toEqual(['content.txt', 'same.txt', 'size.txt', 'sub dir/same #2.txt']);
  });

  it('--one-way does not look for files only in the destination', async () => {
    const r = await nclone('check', src, dst, '--one-way', '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(COMBINED.filter((l) => !l.startsWith('-')));
    expect(r.stderr).toContain('3 differences found');
    expect(r.stderr).not.toContain('only-dst.txt');
  });

  it('--size-only takes files of the same size as matching', async () => {
    const r = await nclone('check', src, dst, '--size-only', '--differ', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(['size.txt']);
    expect(r.stderr).toContain('3 matching files');
  });

  it('--download compares the bytes: the same outcomes, content differences found by reading', async () => {
    const r = await nclone('check', src, dst, '--download', '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(COMBINED);
    expect(logLines(r.stderr)).toContain('ERROR : content.txt: contents differ');
    expect(r.stderr).not.toContain('md5');
  });

  it('exits 0 with "0 differences found" when the trees are the same, also with --checkers 1', async () => {
    for (const extra of [[], ['--checkers', '1']]) {
      const r = await nclone('check', path.join(src, 'sub dir'), path.join(dst, 'sub dir'), '--match', '-', ...extra);
      code(r, 0);
      expect(r.stdout).toBe('same #2.txt\n');
      expect(logLines(r.stderr)).toEqual([`NOTICE: ${path.join(dst, 'sub dir')}: 0 differences found`, `NOTICE: ${path.join(dst, 'sub dir')}: 1 matching files`]);
    }
  });

  it('filters apply to both sides', async () => {
    const r = await nclone('check', src, dst, '--exclude', 'only-*', '--exclude', 'size.txt', '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(['* content.txt', '= same.txt', '= sub dir/same #2.txt']);
    expect(r.stderr).toContain('1 differences found');
  });

  it('a source file is checked against the same name in the destination directory', async () => {
    const r = await nclone('check', path.join(src, 'size.txt'), dst, '--combined', '-');
    code(r, 1);
    expect(r.stdout).toBe('* size.txt\n');
    const ok = await nclone('check', path.join(src, 'same.txt'), dst, '--combined', '-');
    code(ok, 0);
    expect(ok.stdout).toBe('= same.txt\n');
    const missing = await nclone('check', path.join(src, 'only-src.txt'), dst, '--combined', '-');
    code(missing, 1);
    expect(missing.stdout).toBe('+ only-src.txt\n');
  });

  it('a file that cannot be read is reported with ! and ends the run with its own code, not 1', async () => {
    const root = path.join(base, 'unreadable');
    writeFiles(path.join(root, 'a'), { 'ok.txt': 'fine\n' });
    writeFiles(path.join(root, 'b'), { 'ok.txt': 'fine\n', 'mem.bin': '' });
    // /proc/self/mem lists as an empty file and fails every read from offset 0 (EIO), also for root.
    nfs.symlinkSync('/proc/self/mem', path.join(root, 'a', 'mem.bin'));
    for (const extra of [[], ['--download']]) {
      const errFile = path.join(root, 'errors.txt');
      const r = await nclone('check', '-L', path.join(root, 'a'), path.join(root, 'b'), '--combined', '-', '--error', errFile, ...extra);
      code(r, 2);
      expect(lines(r.stdout)).toEqual(['! mem.bin', '= ok.txt']);
      expect(nfs.readFileSync(errFile, 'utf8')).toBe('mem.bin\n');
      expect(r.stderr).toMatch(/ERROR : mem\.bin: .*(i\/o error|EIO)/i);
      expect(r.stderr).toContain('1 errors while checking');
      expect(r.stderr).toContain('1 matching files');
    }
  });

  it('refuses a destination that is a file, and a report file it cannot create, before checking anything', async () => {
    const f = await nclone('check', src, path.join(dst, 'same.txt'));
    code(f, 1);
    expect(f.stderr.trim().split('\n')).toHaveLength(1);
    expect(f.stderr).toMatch(/^nclone: destination .* is a file/);
    const report = path.join(base, 'report-ok.txt');
    const bad = await nclone('check', src, dst, '--match', report, '--differ', path.join(base, 'no such dir', 'x.txt'));
    code(bad, 1);
    expect(bad.stderr).toBe(`nclone: can't open --differ file ${path.join(base, 'no such dir', 'x.txt')}: directory ${path.join(base, 'no such dir')} does not exist\n`);
    expect(nfs.existsSync(report)).toBe(false);
  });

  it('leaves out the report files a checked local tree holds: they are being written, not data', async () => {
    const root = path.join(base, 'reports-inside');
    writeFiles(path.join(root, 'a'), { 'x.txt': 'x\n', 'sub/y.txt': 'y\n' });
    writeFiles(path.join(root, 'b'), { 'x.txt': 'x\n', 'sub/y.txt': 'y\n' });
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    // In the source only; in both trees (the same directory checked against itself).
    const r = await nclone('check', a, b, '--combined', path.join(a, 'report.txt'));
    code(r, 0);
    expect(lines(nfs.readFileSync(path.join(a, 'report.txt'), 'utf8'))).toEqual(['= sub/y.txt', '= x.txt']);
    expect(logLines(r.stderr)).toContain('NOTICE: report.txt: left out: it is the --combined report of this run');
    const self = await nclone('check', a, a, '--combined', path.join(a, 'sub', 'c.txt'), '--match', path.join(a, 'm.txt'));
    code(self, 0);
    expect(lines(nfs.readFileSync(path.join(a, 'sub', 'c.txt'), 'utf8'))).toEqual(['= report.txt', '= sub/y.txt', '= x.txt']);
    // A report in one tree where the other has a file of that name: that file is unpaired.
    for (const f of ['report.txt', 'm.txt', 'sub/c.txt']) nfs.rmSync(path.join(a, f));
    writeFiles(b, { 'sub/match.txt': 'data of the same name\n' });
    const one = await nclone('check', a, b, '--match', path.join(a, 'sub', 'match.txt'), '--combined', '-');
    code(one, 1);
    expect(lines(one.stdout)).toEqual(['- sub/match.txt', '= sub/y.txt', '= x.txt']);
  });

  it('a report file can be a pipe (/dev/stdout | ...), as with rclone', async () => {
    const r = await run('bash', ['-c', 'set -o pipefail; "$@" --combined /dev/stdout | cat', 'sh', NCLONE, 'check', path.join(src, 'sub dir'), path.join(dst, 'sub dir')], env);
    code(r, 0);
    expect(r.stdout).toBe('= same #2.txt\n');
  });

  it('a missing source directory exits 3', async () => {
    const r = await nclone('check', path.join(base, 'nothing here'), dst);
    code(r, 3);
    expect(r.stderr).toMatch(/directory not found\n$/);
  });

  it('-C md5 checks the destination against a sum file given as the source', async () => {
    const sums = path.join(base, 'src.md5');
    const md5 = await nclone('md5sum', src, '--output-file', sums);
    code(md5, 0);
    const r = await nclone('check', '-C', 'MD5', sums, dst, '--combined', '-');
    code(r, 1);
    expect(lines(r.stdout)).toEqual(COMBINED);
    expect(r.stderr).toContain('1 hashes missing');
  });
});
