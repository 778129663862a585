/**
 * nclone md5sum, sha1sum, hashsum and checksum on local trees, through bin/nclone, side by
 * side with rclone 1.60: the lines (hex and --base64), odd names, filters, a file path,
 * standard input, --output-file, hash names, read errors, and checksum's reports and exit
 * codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as nfs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NCLONE, cleanEnv, run, type RunResult } from '../helpers/run.js';
import { fixtureTree, writeTree, type FileSpec } from '../s3/helpers-cli.js';
import { COMBINED, DST_FILES, SRC_FILES, lines, writeFiles } from './check-helpers.js';

/** Runs a program with `input` on its standard input (a pipe). */
function runWithInput(cmd: string, args: string[], env: NodeJS.ProcessEnv, input: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr, timedOut: false, signalled: false }));
    child.stdin.end(input);
  });
}

const hex = (type: 'md5' | 'sha1', data: Buffer | string) => createHash(type).update(data).digest('hex');

describe('nclone md5sum, sha1sum, hashsum and checksum on local disk', () => {
  let base: string;
  let tree: string;
  let files: FileSpec[];
  let env: NodeJS.ProcessEnv;
  const nclone = (...args: string[]) => run(NCLONE, args, env);
  const rclone = (...args: string[]) => run('rclone', ['--config', path.join(base, 'rclone.conf'), ...args], env);
  const code = (r: RunResult, c: number) => expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(c);
  const ok = (r: RunResult) => {
    code(r, 0);
    expect(r.stderr).toBe('');
  };

  beforeAll(async () => {
    if (!nfs.existsSync(new URL('../../dist/src/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npx tsc -p .` first');
    base = nfs.mkdtempSync(path.join(os.tmpdir(), 'nclone-hashsum-'));
    nfs.mkdirSync(path.join(base, 'home'));
    nfs.writeFileSync(path.join(base, 'rclone.conf'), '');
    env = cleanEnv(path.join(base, 'home'));
    tree = path.join(base, 'tree');
    files = fixtureTree();
    await writeTree(tree, files);
  });

  afterAll(() => {
    if (base) nfs.rmSync(base, { recursive: true, force: true });
  });

  it('md5sum and sha1sum print "hash  path" for every file, the lines rclone prints', async () => {
    for (const [cmd, type] of [['md5sum', 'md5'], ['sha1sum', 'sha1']] as const) {
      const [n, r] = await Promise.all([nclone(cmd, tree), rclone(cmd, tree)]);
      ok(n);
      code(r, 0);
      expect(lines(n.stdout)).toEqual(files.map((f) => `${hex(type, f.data)}  ${f.path}`).sort());
      expect(lines(n.stdout)).toEqual(lines(r.stdout));
    }
  });

  it('--base64 prints URL-safe base64 as rclone does, and --download gives the same lines', async () => {
    for (const cmd of ['md5sum', 'sha1sum']) {
      const [n, r, d] = await Promise.all([nclone(cmd, '--base64', tree), rclone(cmd, '--base64', tree), nclone(cmd, '--download', tree)]);
      ok(n);
      expect(lines(n.stdout)).toEqual(lines(r.stdout));
      expect(n.stdout).toMatch(/[-_]/);
      ok(d);
      expect(lines(d.stdout)).toEqual(lines((await nclone(cmd, tree)).stdout));
    }
  });

  it('lines come in listing order, filters apply, and a file path gives one line', async () => {
    const all = await nclone('md5sum', tree);
    ok(all);
    const names = all.stdout.trim().split('\n').map((l) => l.slice(34));
    expect(names.indexOf('top.txt')).toBeLessThan(names.indexOf('dir one/nested/deep.txt'));
    const notOdd = await nclone('md5sum', tree, '--exclude', 'odd/**');
    ok(notOdd);
    expect(lines(notOdd.stdout)).toEqual(files.filter((f) => !f.path.startsWith('odd/')).map((f) => `${hex('md5', f.data)}  ${f.path}`).sort());
    const one = await nclone('sha1sum', path.join(tree, 'top.txt'));
    ok(one);
    expect(one.stdout).toBe(`${hex('sha1', 'hello\n')}  top.txt\n`);
  });

  it('hashsum names the hash as rclone takes it, and lists the supported hashes with none', async () => {
    const list = await nclone('hashsum');
    ok(list);
    expect(list.stdout).toBe('Supported hashes are:\n  * md5\n  * sha1\n');
    const top = path.join(tree, 'top.txt');
    for (const name of ['md5', 'MD5', 'Md5']) expect((await nclone('hashsum', name, top)).stdout).toBe(`${hex('md5', 'hello\n')}  top.txt\n`);
    for (const name of ['sha1', 'SHA1', 'SHA-1']) expect((await nclone('hashsum', name, top)).stdout).toBe(`${hex('sha1', 'hello\n')}  top.txt\n`);
  });

  it('an unknown hash name, or one nclone does not compute, is one line and exit 1', async () => {
    const unknown = await nclone('hashsum', 'foo', tree);
    code(unknown, 1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe('nclone: unknown hash type "foo": use one of md5, sha1 (nclone hashsum lists them)\n');
    const sha256 = await nclone('hashsum', 'sha256', tree);
    code(sha256, 1);
    expect(sha256.stderr).toBe('nclone: hash type "sha256" is not supported by nclone: use one of md5, sha1\n');
  });

  it('hashes standard input with no path or with -, as rclone does', async () => {
    const input = 'data from a pipe\n';
    const want = `${hex('md5', input)}  -\n`;
    for (const args of [['md5sum'], ['md5sum', '-'], ['hashsum', 'md5']]) {
      const n = await runWithInput(NCLONE, args, env, input);
      ok(n);
      expect(n.stdout).toBe(want);
    }
    const r = await runWithInput('rclone', ['--config', path.join(base, 'rclone.conf'), 'sha1sum', '--base64'], env, input);
    const n = await runWithInput(NCLONE, ['sha1sum', '--base64'], env, input);
    ok(n);
    expect(n.stdout).toBe(r.stdout);
    // With stdin not a pipe (here /dev/null), "-" is a path, as in rclone.
    const dash = await nclone('md5sum', '-');
    code(dash, 3);
  });

  it('--output-file writes the lines to a file, nothing to stdout; a file it cannot create is exit 1', async () => {
    const out = path.join(base, 'sums.sha1');
    const n = await nclone('sha1sum', tree, '--output-file', out);
    ok(n);
    expect(n.stdout).toBe('');
    expect(lines(nfs.readFileSync(out, 'utf8'))).toEqual(lines((await nclone('sha1sum', tree)).stdout));
    const bad = await nclone('md5sum', tree, '--output-file', path.join(base, 'missing', 'x.md5'));
    code(bad, 1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(nfs.existsSync(path.join(base, 'missing'))).toBe(false);
  });

  it('a file that cannot be read gets no line: an error, and the exit code of the error', async () => {
    const dir = path.join(base, 'unreadable');
    writeFiles(dir, { 'ok.txt': 'fine\n' });
    nfs.symlinkSync('/proc/self/mem', path.join(dir, 'mem.bin'));
    for (const extra of [[], ['--download']]) {
      const r = await nclone('md5sum', '-L', dir, ...extra);
      code(r, 2);
      expect(r.stdout).toBe(`${hex('md5', 'fine\n')}  ok.txt\n`);
      expect(r.stderr).toMatch(/ERROR : mem\.bin: .*EIO/);
    }
  });

  describe('checksum', () => {
    let src: string;
    let dst: string;
    let sums: string;

    beforeAll(async () => {
      src = path.join(base, 'csrc');
      dst = path.join(base, 'cdst');
      writeFiles(src, SRC_FILES);
      writeFiles(dst, DST_FILES);
      sums = path.join(base, 'src.md5');
      ok(await nclone('md5sum', src, '--output-file', sums));
    });

    it('checks a tree against a sum file: each outcome, exit 1, the report rclone gives', async () => {
      const [n, r] = await Promise.all([nclone('checksum', 'md5', sums, dst, '--combined', '-'), rclone('checksum', 'md5', sums, dst, '--combined', '-')]);
      code(n, 1);
      code(r, 1);
      expect(lines(n.stdout)).toEqual(COMBINED);
      expect(lines(n.stdout)).toEqual(lines(r.stdout));
      expect(n.stderr).toContain('ERROR : only-dst.txt: sum not found');
      expect(n.stderr).toContain('ERROR : size.txt: files differ');
      expect(n.stderr).toContain(`ERROR : only-src.txt: file not in ${dst}`);
      expect(n.stderr).toContain('NOTICE: 1 hashes missing');
      expect(n.stderr).toContain(`NOTICE: ${dst}: 1 files missing`);
      expect(n.stderr).toMatch(/nclone: 4 differences found\n$/);
    });

    it('exits 0 on the tree the sums were taken of, with upper-case hashes and --download too', async () => {
      const upper = path.join(base, 'upper.md5');
      nfs.writeFileSync(upper, nfs.readFileSync(sums, 'utf8').replace(/^[0-9a-f]+/gm, (h) => h.toUpperCase()));
      for (const extra of [[], ['--download']]) {
        const r = await nclone('checksum', 'MD5', upper, src, '--match', '-', ...extra);
        code(r, 0);
        expect(lines(r.stdout)).toEqual(Object.keys(SRC_FILES).sort());
        expect(r.stderr).toContain('5 matching files');
      }
    });

    it('report files, --one-way, and filters on the lines with no file', async () => {
      const differ = path.join(base, 'differ.txt');
      const r = await nclone('checksum', 'md5', sums, dst, '--one-way', '--differ', differ, '--missing-on-dst', '-', '--exclude', 'size.txt');
      code(r, 1);
      expect(r.stdout).toBe('only-src.txt\n');
      expect(nfs.readFileSync(differ, 'utf8')).toBe('content.txt\n');
      expect(r.stderr).not.toContain('only-dst.txt');
    });

    it('skips lines that are not sum lines with a notice, and md5sum -C checks as checksum does', async () => {
      const messy = path.join(base, 'messy.md5');
      nfs.writeFileSync(messy, nfs.readFileSync(sums, 'utf8') + 'not a sum line\n');
      const r = await nclone('md5sum', '-C', messy, src);
      code(r, 0);
      expect(lines(r.stdout)).toEqual(Object.keys(SRC_FILES).map((f) => `= ${f}`).sort());
      expect(r.stderr).toContain('NOTICE: messy.md5: improperly formatted checksum line 6');
    });

    it('a sum file kept in the tree it lists: written without a line of its own, then checked without it', async () => {
      const dir = path.join(base, 'sums-inside');
      writeFiles(dir, SRC_FILES);
      const inside = path.join(dir, 'MD5SUMS');
      const n = await nclone('md5sum', dir, '--output-file', inside);
      code(n, 0);
      expect(n.stderr).toContain('NOTICE: MD5SUMS: left out: it is the --output-file of this run');
      expect(lines(nfs.readFileSync(inside, 'utf8'))).toEqual(lines((await nclone('md5sum', dir, '--exclude', 'MD5SUMS')).stdout));
      const report = ['--combined', path.join(dir, 'report.txt')];
      for (const args of [['checksum', 'md5', inside, dir, ...report], ['md5sum', '-C', inside, dir], ['check', '-C', 'md5', inside, dir, ...report]]) {
        const r = await nclone(...args);
        code(r, 0);
        expect(r.stderr).toContain('NOTICE: MD5SUMS: left out: it is the sum file of this run');
        expect(r.stderr).toContain('5 matching files');
        nfs.rmSync(path.join(dir, 'report.txt'), { force: true });
      }
    });

    it('a report file that is the sum file is refused before the sum file is emptied', async () => {
      const copy = path.join(base, 'copy.md5');
      nfs.copyFileSync(sums, copy);
      const r = await nclone('checksum', 'md5', copy, src, '--match', path.join(base, 'm.txt'), '--combined', copy);
      code(r, 1);
      expect(r.stderr).toBe(`nclone: --combined ${copy} is the sum file: it would be emptied before it is read; write the report to another file\n`);
      expect(nfs.readFileSync(copy, 'utf8')).toBe(nfs.readFileSync(sums, 'utf8'));
      expect(nfs.existsSync(path.join(base, 'm.txt'))).toBe(false);
    });

    it('a missing sum file exits 4, a bad hash name 1', async () => {
      const missing = await nclone('checksum', 'md5', path.join(base, 'nope.md5'), dst);
      code(missing, 4);
      expect(missing.stderr.trim().split('\n')).toHaveLength(1);
      const bad = await nclone('checksum', 'crc', sums, dst);
      code(bad, 1);
      expect(bad.stderr).toBe('nclone: unknown hash type "crc": use one of md5, sha1 (nclone hashsum lists them)\n');
    });
  });
});
