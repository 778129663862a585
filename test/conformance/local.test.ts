/**
 * The conformance suite against the local backend, plus local-only behaviour the generic
 * suite cannot express: symlink handling, leftovers of failed writes on disk, exact
 * on-disk mtimes and unreadable directories.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMap } from '../../src/fs/configmap.js';
import type { Fs } from '../../src/fs/types.js';
import { localBackend } from '../../backends/local/index.js';
import { newFs } from '../../backends/local/fs.js';
import { runConformance, type ConformanceTarget } from './suite.js';
import { T1, T2, expectFsError, failingStream, listNames, pattern, putBytes, readAll, readObject, srcInfo, streamOf } from './helpers.js';

async function scratchDir(): Promise<string> {
  return fsp.mkdtemp(path.join(tmpdir(), 'nclone-conformance-'));
}

async function localFs(root: string, values: Record<string, string> = {}): Promise<Fs> {
  const layers = Object.keys(values).length > 0 ? [{ source: 'test', values }] : [];
  const res = await newFs('local', root, new ConfigMap(localBackend.options, layers));
  expect(res.file).toBeUndefined();
  return res.fs;
}

const localTarget = (values: Record<string, string>): ConformanceTarget => ({
  async makeFs() {
    // The root sits two levels down, with files beside it that hostile names must not reach.
    const dir = await scratchDir();
    const root = path.join(dir, 'outer', 'root');
    await fsp.mkdir(root, { recursive: true });
    await fsp.writeFile(path.join(dir, 'victim.txt'), 'victim');
    await fsp.writeFile(path.join(dir, 'outer', 'victim.txt'), 'victim');
    await fsp.writeFile(path.join(dir, 'outer', 'rootlike'), 'not the root');
    const fs = await localFs(root, values);
    return { fs, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
  },
  async outside(fs) {
    const top = path.dirname(path.dirname(fs.root));
    const lines: string[] = [];
    for (const rel of (await fsp.readdir(top, { recursive: true })).map(String).sort()) {
      const p = path.join(top, rel);
      if (p === fs.root || p.startsWith(fs.root + path.sep)) continue;
      const st = await fsp.lstat(p, { bigint: true });
      lines.push(`${JSON.stringify(rel)} ${st.mode} ${st.mtimeNs} ${st.isFile() ? await fsp.readFile(p, 'base64') : ''}`);
    }
    return lines.join('\n');
  },
});

runConformance('local', localTarget({}));
// With --links symlinks are files named "x.rclonelink": the same contract must hold.
runConformance('local --links', localTarget({ links: 'true' }));

describe('local backend specifics', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await scratchDir();
  });
  afterEach(async () => {
    await fsp.chmod(path.join(dir, 'locked'), 0o755).catch(() => undefined);
    await fsp.rm(dir, { recursive: true, force: true });
  });

  /** Everything on disk below dir, hidden temp files included. */
  const onDisk = async (sub = ''): Promise<string[]> => (await fsp.readdir(path.join(dir, sub), { recursive: true })).map(String).sort();

  it('roots an Fs at the parent when given a file, naming the file', async () => {
    await fsp.writeFile(path.join(dir, 'single.txt'), 'one');
    const res = await newFs('local', path.join(dir, 'single.txt'), new ConfigMap(localBackend.options, []));
    expect(res.file).toBe('single.txt');
    expect(res.fs.root).toBe(dir);
    expect((await readObject(res.fs, 'single.txt')).toString()).toBe('one');
  });

  it('stores mtimes on disk exactly, cut to the microsecond it claims as precision', async () => {
    const fs = await localFs(dir);
    expect(fs.precision).toBe(1000n);
    for (const t of [T1, T2, 1_000_000_000_000_000_999n, 4_102_444_800_999_999_999n]) {
      await putBytes(fs, 'exact', 'e', t);
      const st = await fsp.stat(path.join(dir, 'exact'), { bigint: true });
      expect(st.mtimeNs, `stored for ${t}`).toBe((t / 1000n) * 1000n);
    }
  });

  describe('symlinks', () => {
    beforeEach(async () => {
      await fsp.writeFile(path.join(dir, 'target.txt'), 'the target content');
      await fsp.mkdir(path.join(dir, 'realdir'));
      await fsp.writeFile(path.join(dir, 'realdir', 'inner'), 'inside');
      await fsp.symlink('target.txt', path.join(dir, 'link.txt'));
      await fsp.symlink('realdir', path.join(dir, 'linkdir'));
    });

    it('skips symlinks by default', async () => {
      const fs = await localFs(dir);
      expect(await listNames(fs, '')).toEqual({ files: ['target.txt'], dirs: ['realdir'] });
      await expectFsError(fs.newObject('link.txt'), 'objectNotFound');
      await expectFsError(fs.newObject('link.txt.rclonelink'), 'objectNotFound');
    });

    it('shows symlinks as name.rclonelink holding the target with links=true, and writes them back', async () => {
      const fs = await localFs(dir, { links: 'true' });
      expect(await listNames(fs, '')).toEqual({ files: ['link.txt.rclonelink', 'linkdir.rclonelink', 'target.txt'], dirs: ['realdir'] });
      const link = await fs.newObject('link.txt.rclonelink');
      expect(link.remote).toBe('link.txt.rclonelink');
      expect(link.size).toBe('target.txt'.length);
      expect((await readAll(await link.open())).toString()).toBe('target.txt');
      expect((await readAll(await link.open({ start: 7 }))).toString()).toBe('txt');

      await fs.put(streamOf('realdir/inner'), srcInfo('made.rclonelink', 13, T1));
      expect(await fsp.readlink(path.join(dir, 'made'))).toBe('realdir/inner');
      expect((await fsp.lstat(path.join(dir, 'made'))).isSymbolicLink()).toBe(true);
      await expect(fsp.lstat(path.join(dir, 'made.rclonelink'))).rejects.toThrow();
      expect((await fs.newObject('made.rclonelink')).size).toBe(13);
      expect((await onDisk()).filter((n) => n.includes('.partial'))).toEqual([]);
    });

    it('does not pass a regular file off as a link with links=true', async () => {
      const fs = await localFs(dir, { links: 'true' });
      await expectFsError(fs.newObject('target.txt.rclonelink'), 'objectNotFound');
    });

    it('follows symlinks with copy_links=true', async () => {
      const fs = await localFs(dir, { copy_links: 'true' });
      expect(await listNames(fs, '')).toEqual({ files: ['link.txt', 'target.txt'], dirs: ['linkdir', 'realdir'] });
      const o = await fs.newObject('link.txt');
      expect(o.size).toBe('the target content'.length);
      expect((await readAll(await o.open())).toString()).toBe('the target content');
      expect(await listNames(fs, 'linkdir')).toEqual({ files: ['linkdir/inner'], dirs: [] });
      expect((await readObject(fs, 'linkdir/inner')).toString()).toBe('inside');
    });
  });

  describe('failed writes leave nothing on disk', () => {
    it('a stream failing midway leaves neither the file nor a .partial temp file', async () => {
      const fs = await localFs(dir);
      await expect(fs.put(failingStream(pattern(64 * 1024)), srcInfo('sub/name.bin', 128 * 1024))).rejects.toThrow(/injected read failure/);
      expect(await onDisk('sub')).toEqual([]);
    });

    it('a stream failing midway over an existing file keeps it and leaves no temp file', async () => {
      const fs = await localFs(dir);
      const o = await putBytes(fs, 'sub/name.bin', 'precious', T1);
      await expect(o.update(failingStream(pattern(64 * 1024)), srcInfo('sub/name.bin', 128 * 1024, T2))).rejects.toThrow();
      expect(await onDisk('sub')).toEqual(['name.bin']);
      expect(await fsp.readFile(path.join(dir, 'sub', 'name.bin'), 'utf8')).toBe('precious');
    });

    it('a size mismatch leaves no temp file', async () => {
      const fs = await localFs(dir);
      await expect(fs.put(streamOf('12345'), srcInfo('sized', 6))).rejects.toThrow(/expected 6 bytes, got 5/);
      expect(await onDisk()).toEqual([]);
    });

    it('an aborted write (AbortSignal) leaves nothing behind', async () => {
      const fs = await localFs(dir);
      const ac = new AbortController();
      let sent = 0;
      const endless = new Readable({
        read() {
          sent += 1024;
          if (sent === 8 * 1024) setImmediate(() => ac.abort());
          setTimeout(() => this.push(Buffer.alloc(1024, 1)), 1);
        },
      });
      await expect(fs.put(endless, srcInfo('aborted', 1 << 20), { signal: ac.signal })).rejects.toThrow();
      expect(await onDisk()).toEqual([]);
    });
  });

  it('with --links, never writes through a symlink a source planted, and keeps link names inside the root', async () => {
    const root = path.join(dir, 'root');
    const outside = path.join(dir, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'authorized_keys'), 'mine');
    const fs = await localFs((await fsp.mkdir(root), root), { links: 'true' });
    // A link x -> outside is fine as data...
    await putBytes(fs, 'x.rclonelink', outside);
    expect(await fsp.readlink(path.join(root, 'x'))).toBe(outside);
    // ...but nothing may be written, made or moved through it.
    await expectFsError(putBytes(fs, 'x/authorized_keys', 'attacker'), 'invalidName');
    await expectFsError(putBytes(fs, 'x/new/file', 'attacker'), 'invalidName');
    await expectFsError(fs.mkdir('x/sub'), 'invalidName');
    await putBytes(fs, 'plain', 'p');
    await expectFsError(fs.move!(await fs.newObject('plain'), 'x/moved'), 'invalidName');
    expect(await fsp.readdir(outside)).toEqual(['authorized_keys']);
    expect(await fsp.readFile(path.join(outside, 'authorized_keys'), 'utf8')).toBe('mine');
    // Link names go through the same translation as file names.
    await expectFsError(putBytes(fs, '.rclonelink', 'x'), 'invalidName');
    await putBytes(fs, 'sub/...rclonelink', 'target');
    expect(await fsp.readlink(path.join(root, 'sub', '\uff0e\uff0e'))).toBe('target');
    expect((await listNames(fs, 'sub')).files).toEqual(['sub/...rclonelink']);
    expect(await fsp.readdir(dir)).toEqual(['outside', 'root']);
  });

  it('reports a name that is not UTF-8 as an error while listing, never silently leaves it out', async () => {
    const fs = await localFs(dir);
    const bad = Buffer.concat([Buffer.from(dir + '/bad'), Buffer.from([0xbf]), Buffer.from('name.txt')]);
    await fsp.writeFile(bad, 'x');
    await putBytes(fs, 'good.txt', 'g');
    const reported: string[] = [];
    const entries = await fs.list('', { report: (_subject, err) => void reported.push((err as Error).message) });
    expect(entries.map((e) => e.remote)).toEqual(['good.txt']);
    expect(reported).toEqual(['bad\\xbfname.txt: the name is not valid UTF-8: skipped; rename it (e.g. with convmv) to copy it']);
    // A valid name holding U+FFFD itself is an ordinary file.
    await fsp.rm(bad);
    await putBytes(fs, 'real\ufffd.txt', 'r');
    expect((await fs.list('', { report: () => expect.unreachable() })).map((e) => e.remote).sort()).toEqual(['good.txt', 'real\ufffd.txt']);
  });

  it('handles an unreadable subdirectory (permission error, or readable when running as root)', async () => {
    const fs = await localFs(dir);
    await putBytes(fs, 'locked/secret', 's');
    await putBytes(fs, 'open', 'o');
    await fsp.chmod(path.join(dir, 'locked'), 0o000);
    // chmod does not stop root (CAP_DAC_OVERRIDE), so find out what this process can do.
    const blocked = await fsp.readdir(path.join(dir, 'locked')).then(
      () => false,
      () => true,
    );
    // The directory itself is still listed from its (readable) parent either way.
    expect(await listNames(fs, '')).toEqual({ files: ['open'], dirs: ['locked'] });
    if (blocked) {
      await expectFsError(fs.list('locked'), 'permission');
      // Not "objectNotFound": the object may well exist, and a sync must not act as if it did not.
      await expectFsError(fs.newObject('locked/secret'), 'permission');
    } else {
      // Running as root: permissions are not enforced, so the contents are readable as usual.
      expect(process.getuid?.()).toBe(0);
      expect(await listNames(fs, 'locked')).toEqual({ files: ['locked/secret'], dirs: [] });
      expect((await readObject(fs, 'locked/secret')).toString()).toBe('s');
    }
  });
});
