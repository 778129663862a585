/**
 * nclone against rclone (the Debian package, installed by test/setup.sh) on the same
 * 10,000-file tree: the same resulting files, sizes and mtimes; a second run that
 * transfers nothing; and identical lsl output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, statSync, readFileSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { NCLONE, cleanEnv, run } from './helpers/run.js';

const DIRS = 100;
const PER_DIR = 100;

let base: string;
let env: NodeJS.ProcessEnv;

interface FileInfo {
  size: number;
  mtimeUs: bigint;
  md5: string;
}

function snapshot(root: string): Map<string, FileInfo> {
  const out = new Map<string, FileInfo>();
  const walk = (rel: string) => {
    for (const d of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) walk(r);
      else {
        const p = path.join(root, r);
        const st = statSync(p, { bigint: true });
        out.set(r, { size: Number(st.size), mtimeUs: st.mtimeNs / 1000n, md5: createHash('md5').update(readFileSync(p)).digest('hex') });
      }
    }
  };
  walk('');
  return out;
}

beforeAll(async () => {
  base = mkdtempSync(path.join(os.tmpdir(), 'nclone-vs-rclone-'));
  writeFileSync(path.join(base, 'empty.conf'), '');
  env = cleanEnv(base, { TZ: 'UTC', RCLONE_CONFIG: path.join(base, 'empty.conf') });
  const touches: string[] = [];
  let n = 0;
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(base, 'src', `dir ${String(d).padStart(3, '0')}`, d % 7 === 1 ? 'nested' : '');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR; f++, n++) {
      const p = path.join(dir, `file-${f}${f % 10 === 0 ? ' ü #%+' : ''}.dat`);
      writeFileSync(p, `content ${n} `.repeat(n % 50));
      // Nanosecond times, as other programs leave them (Node's utimes keeps only µs).
      touches.push(`touch -m -d @${1_600_000_000 + n * 37}.${String((n * 7919) % 1_000_000_000).padStart(9, '0')} ${JSON.stringify(p)}`);
    }
  }
  writeFileSync(path.join(base, 'touch.sh'), touches.join('\n') + '\n');
  const r = await run('bash', [path.join(base, 'touch.sh')], env);
  if (r.code !== 0) throw new Error(`setting times failed: ${r.stderr}`);
}, 300_000);

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('nclone sync compared with rclone sync on 10,000 files', () => {
  it('starts from source files with nanosecond times', () => {
    const st = statSync(path.join(base, 'src', 'dir 002', 'file-1.dat'), { bigint: true });
    expect(st.mtimeNs % 1000n).not.toBe(0n);
  });

  it('first sync gives the same tree as rclone', async () => {
    const src = path.join(base, 'src');
    const r1 = await run('rclone', ['sync', src, path.join(base, 'rclone-dst')], env);
    expect(r1.stderr).toBe('');
    expect(r1.code).toBe(0);
    const r2 = await run(NCLONE, ['sync', src, path.join(base, 'nclone-dst')], env);
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
    const want = snapshot(path.join(base, 'rclone-dst'));
    const got = snapshot(path.join(base, 'nclone-dst'));
    expect(want.size).toBe(DIRS * PER_DIR);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, w] of want) {
      const g = got.get(name)!;
      expect({ name, ...g }).toEqual({ name, ...w });
    }
  });

  it('a second nclone sync transfers nothing (exit 9 with --error-on-no-transfer)', async () => {
    const r = await run(NCLONE, ['sync', path.join(base, 'src'), path.join(base, 'nclone-dst'), '--error-on-no-transfer', '-v'], env);
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/Checks:\s+10000 \/ 10000, 100%/);
    expect(r.stderr).not.toMatch(/Copied/);
  });

  it('rclone sees the tree nclone wrote as up to date', async () => {
    const r = await run('rclone', ['sync', path.join(base, 'src'), path.join(base, 'nclone-dst'), '--error-on-no-transfer'], env);
    expect(r.code).toBe(9);
  });

  it('a change, an addition and a deletion are synced like rclone does', async () => {
    const src = path.join(base, 'src');
    writeFileSync(path.join(src, 'dir 005', 'file-3.dat'), 'changed content');
    writeFileSync(path.join(src, 'dir 006', 'new file.dat'), 'new');
    rmSync(path.join(src, 'dir 009', 'file-4.dat'));
    writeFileSync(path.join(base, 'nclone-dst', 'extra.dat'), 'not in source');
    writeFileSync(path.join(base, 'rclone-dst', 'extra.dat'), 'not in source');
    expect((await run('rclone', ['sync', src, path.join(base, 'rclone-dst')], env)).code).toBe(0);
    const r = await run(NCLONE, ['sync', src, path.join(base, 'nclone-dst'), '-v'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Transferred:\s+2 \/ 2, 100%/);
    expect(r.stderr).toMatch(/Deleted:\s+2 \(files\)/);
    const want = snapshot(path.join(base, 'rclone-dst'));
    const got = snapshot(path.join(base, 'nclone-dst'));
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    expect(got.get('dir 005/file-3.dat')).toEqual(want.get('dir 005/file-3.dat'));
  });

  it('lsl prints the same lines as rclone lsl', async () => {
    const src = path.join(base, 'src', 'dir 014');
    const a = await run('rclone', ['lsl', src], env);
    const b = await run(NCLONE, ['lsl', src], env);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    const sort = (s: string) => s.trimEnd().split('\n').sort();
    expect(sort(b.stdout)).toEqual(sort(a.stdout));
    expect(b.stdout.split('\n').length).toBeGreaterThan(PER_DIR);
  });

  it('ls prints the same lines as rclone ls', async () => {
    const src = path.join(base, 'src');
    const a = await run('rclone', ['ls', src], env);
    const b = await run(NCLONE, ['ls', src], env);
    const sort = (s: string) => s.trimEnd().split('\n').sort();
    expect(sort(b.stdout)).toEqual(sort(a.stdout));
  });

  it('reads a config file written by rclone config create', async () => {
    const conf = path.join(base, 'rclone-written.conf');
    const made = await run('rclone', ['config', 'create', 'my disk', 'local', 'copy_links', 'true', '--config', conf], env);
    expect(made.code).toBe(0);
    expect(readFileSync(conf, 'utf8')).toContain('[my disk]');
    const r = await run(NCLONE, ['--config', conf, 'ls', `my disk:${path.join(base, 'src', 'dir 003')}`], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(PER_DIR);
  });
});
