/**
 * The conformance suite against the sftp backend on the test OpenSSH server, plus what
 * only an SFTP remote has: uploads under a temporary name, whole-second times set with
 * SETSTAT, hashes by the server's md5sum/sha1sum, real directories, rename, symlinks,
 * logins and host keys, and connections that break and come back. The server's directory
 * is on this machine, so the tests look at the disk directly to see what really happened.
 */
import { execFileSync, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor, FsError } from '../../src/fs/errors.js';
import type { Fs } from '../../src/fs/types.js';
import { configureLog } from '../../src/lib/log.js';
import { obscure } from '../../src/lib/obscure.js';
import { sftpFs, sftpScratch, sftpServer } from '../helpers/sftp.js';
import { runConformance } from './suite.js';
import { T1, T2, T3, expectFsError, failingStream, hashOf, listNames, pattern, putBytes, readAll, readObject, srcInfo, streamOf } from './helpers.js';

runConformance('sftp', {
  async makeFs() {
    const dir = sftpScratch('conformance');
    const root = path.join(dir, 'outer', 'root');
    await fsp.mkdir(root, { recursive: true });
    const { fs } = await sftpFs(root);
    return { fs, cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
  },
  // SFTP v3 carries times as unsigned 32-bit seconds.
  quirks: { modTimeRange: [0n, (2n ** 32n - 1n) * 1_000_000_000n] },
});

describe('sftp backend specifics', () => {
  let dir = '';
  let fs: Fs;
  beforeEach(async () => {
    dir = sftpScratch('specifics');
    fs = (await sftpFs(dir)).fs;
  });
  afterEach(async () => {
    await fs.close?.();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  /** Everything on disk below dir (hidden temporary files included). */
  const onDisk = async (sub = ''): Promise<string[]> => (await fsp.readdir(path.join(dir, sub), { recursive: true })).map(String).sort();

  describe('uploads go to a temporary name, renamed into place', () => {
    it('shows neither the real name nor a listed temporary file while an upload is under way', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* slow() {
        yield Buffer.from('first half ');
        await gate;
        yield Buffer.from('second half');
      }
      const put = fs.put(Readable.from(slow()), srcInfo('up/file.txt', 22, T1));
      let during: string[] = [];
      for (let i = 0; i < 100 && during.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        during = await onDisk('up').catch(() => []);
      }
      expect(during).toHaveLength(1);
      expect(during[0]).toMatch(/^\.nclone-[0-9a-f]{16}\.partial$/);
      expect(await listNames(fs, 'up')).toEqual({ files: [], dirs: [] });
      await expectFsError(fs.newObject(`up/${during[0]}`), 'objectNotFound');
      release();
      await put;
      expect(await onDisk('up')).toEqual(['file.txt']);
      expect(await fsp.readFile(path.join(dir, 'up', 'file.txt'), 'utf8')).toBe('first half second half');
    });

    it('an upload failing midway over an existing file keeps it and leaves no temporary file', async () => {
      const o = await putBytes(fs, 'keep/name.bin', 'precious', T1);
      await expect(o.update(failingStream(pattern(100 * 1024)), srcInfo('keep/name.bin', 200 * 1024, T2))).rejects.toThrow(/injected read failure/);
      expect(await onDisk('keep')).toEqual(['name.bin']);
      expect(await fsp.readFile(path.join(dir, 'keep', 'name.bin'), 'utf8')).toBe('precious');
    });

    it('an interrupted upload (AbortSignal) leaves nothing on disk', async () => {
      const ac = new AbortController();
      let sent = 0;
      const endless = new Readable({
        read() {
          sent += 32 * 1024;
          if (sent === 8 * 32 * 1024) setImmediate(() => ac.abort(new Error('stopped by the test')));
          setTimeout(() => this.push(Buffer.alloc(32 * 1024, 1)), 1);
        },
      });
      await expect(fs.put(endless, srcInfo('aborted/big', 64 << 20), { signal: ac.signal })).rejects.toThrow(/stopped by the test/);
      expect(await onDisk('aborted')).toEqual([]);
    });

    it('refuses names of its own temporary files', async () => {
      await expectFsError(putBytes(fs, '.nclone-0123456789abcdef.partial', 'x'), 'invalidName');
      expect(await onDisk()).toEqual([]);
    });

    it('writes large files whole with many writes in flight, and reads them back in ranges', async () => {
      const data = pattern(3 * 1024 * 1024 + 17, 4);
      const o = await fs.put(streamOf(data, 100_000), srcInfo('big.bin', data.length, T1));
      expect((await fsp.readFile(path.join(dir, 'big.bin'))).equals(data)).toBe(true);
      expect((await readAll(await o.open({ start: 1_000_000, end: 2_500_000 }))).equals(data.subarray(1_000_000, 2_500_001))).toBe(true);
      expect(await o.hash('md5')).toBe(hashOf('md5', data));
    });
  });

  it('sets times with SETSTAT in whole seconds, as the disk then shows and the listing reads back', async () => {
    expect(fs.precision).toBe(1_000_000_000n);
    const o = await putBytes(fs, 'times/file', 'x', T1);
    const onDiskSeconds = async () => (await fsp.stat(path.join(dir, 'times', 'file'), { bigint: true })).mtimeNs;
    expect(await onDiskSeconds()).toBe((T1 / 1_000_000_000n) * 1_000_000_000n);
    expect(await o.modTime()).toBe((T1 / 1_000_000_000n) * 1_000_000_000n);
    await o.setModTime(T3);
    expect(await onDiskSeconds()).toBe((T3 / 1_000_000_000n) * 1_000_000_000n);
    const listed = (await fs.list('times'))[0]!;
    expect(listed.kind === 'object' && (await listed.modTime())).toBe((T3 / 1_000_000_000n) * 1_000_000_000n);
  });

  it('stores a time SFTP cannot carry (before 1970) as the nearest it can, saying so; setModTime refuses it', async () => {
    const logged: string[] = [];
    configureLog({ sink: (line) => void logged.push(line) });
    let o;
    try {
      o = await putBytes(fs, 'old', 'x', -1_000_000_123_456_789n);
    } finally {
      configureLog({ sink: undefined });
    }
    expect(logged.join('')).toMatch(/old: modification time 1969-12-20T10:13:19.000Z is outside what SFTP can store \(1970 to 2106\): stored as 1970-01-01T00:00:00.000Z/);
    expect((await fsp.stat(path.join(dir, 'old'))).mtimeMs).toBe(0);
    expect(await o.modTime()).toBe(0n);
    await o.setModTime(T2);
    await expectFsError(o.setModTime(-86_400_000_000_001n), 'notSupported');
    expect(await (await fs.newObject('old')).modTime()).toBe((T2 / 1_000_000_000n) * 1_000_000_000n);
    const far = await putBytes(fs, 'far', 'y', 4_102_444_800_123_456_789n);
    expect(await far.modTime()).toBe(4_102_444_800_000_000_000n);
    expect((await fsp.stat(path.join(dir, 'far'), { bigint: true })).mtimeNs).toBe(4_102_444_800_000_000_000n);
  });

  it('hashes with the server\'s md5sum and sha1sum, names with shell syntax included, and never runs them', async () => {
    expect([...fs.hashes].sort()).toEqual(['md5', 'sha1']);
    const names = ["it's $(touch PWNED1)", '`touch PWNED2`', '-n; touch PWNED3', 'a\nb & touch PWNED4 | cat', '"; touch PWNED5; "', '$HOME *'];
    for (const name of names) {
      await putBytes(fs, `h/${name}`, `data of ${name}`);
      // A fresh object knows no hash from the upload: this one comes from the server.
      const o = await fs.newObject(`h/${name}`);
      expect(await o.hash('md5'), name).toBe(hashOf('md5', `data of ${name}`));
      expect(await o.hash('sha1'), name).toBe(hashOf('sha1', `data of ${name}`));
    }
    const home = process.env.HOME ?? '/root';
    for (const p of [dir, path.join(dir, 'h'), home]) expect((await fsp.readdir(p)).filter((n) => n.startsWith('PWNED')), p).toEqual([]);
  });

  it('offers no hashes with disable_hashcheck', async () => {
    const plain = (await sftpFs(dir, { ...baseOptions(), disable_hashcheck: 'true' })).fs;
    try {
      expect(plain.hashes.size).toBe(0);
      await putBytes(plain, 'nohash', 'x');
      expect(await (await plain.newObject('nohash')).hash('md5')).toBe('');
    } finally {
      await plain.close?.();
    }
  });

  it('makes and removes real directories, empty ones included', async () => {
    await fs.mkdir('a/b/c');
    expect((await fsp.stat(path.join(dir, 'a', 'b', 'c'))).isDirectory()).toBe(true);
    expect(await listNames(fs, 'a/b')).toEqual({ files: [], dirs: ['a/b/c'] });
    await expectFsError(fs.rmdir('a/b'), 'dirNotEmpty');
    await fs.rmdir('a/b/c');
    expect(await onDisk('a')).toEqual(['b']);
    await putBytes(fs, 'file', 'f');
    await expectFsError(fs.mkdir('file/sub'), 'isFile');
    await expectFsError(fs.rmdir('file'), 'isFile', 'dirNotFound');
  });

  it('moves by renaming on the server (the same inode), over an existing object too', async () => {
    const src = await putBytes(fs, 'm/src', 'moved', T2);
    await putBytes(fs, 'n/dst', 'old');
    const ino = (await fsp.stat(path.join(dir, 'm', 'src'))).ino;
    const moved = await fs.move!(src, 'n/dst');
    expect(moved.remote).toBe('n/dst');
    expect((await fsp.stat(path.join(dir, 'n', 'dst'))).ino).toBe(ino);
    expect(await onDisk('m')).toEqual([]);
    expect((await readObject(fs, 'n/dst')).toString()).toBe('moved');
  });

  it('purges a tree, removing symlinks inside it without following them', async () => {
    const outside = sftpScratch('outside');
    await fsp.writeFile(path.join(outside, 'victim'), 'v');
    await putBytes(fs, 'p/q/file', 'x');
    await fsp.symlink(outside, path.join(dir, 'p', 'q', 'link'));
    await fs.purge!('p');
    expect(await onDisk()).toEqual([]);
    expect(await fsp.readFile(path.join(outside, 'victim'), 'utf8')).toBe('v');
    await fsp.rm(outside, { recursive: true });
  });

  describe('symlinks', () => {
    beforeEach(async () => {
      await fsp.writeFile(path.join(dir, 'target.txt'), 'the target content');
      await fsp.mkdir(path.join(dir, 'realdir'));
      await fsp.writeFile(path.join(dir, 'realdir', 'inner'), 'inside');
      await fsp.symlink('target.txt', path.join(dir, 'link.txt'));
      await fsp.symlink('realdir', path.join(dir, 'linkdir'));
      await fsp.symlink('nowhere', path.join(dir, 'dangling'));
    });

    it('follows them by default, as rclone does (a dangling one is left out)', async () => {
      expect(await listNames(fs, '')).toEqual({ files: ['link.txt', 'target.txt'], dirs: ['linkdir', 'realdir'] });
      expect((await readObject(fs, 'link.txt')).toString()).toBe('the target content');
      expect((await fs.newObject('link.txt')).size).toBe(18);
      expect((await readObject(fs, 'linkdir/inner')).toString()).toBe('inside');
    });

    it('skips them with skip_links', async () => {
      const skip = (await sftpFs(dir, { ...baseOptions(), skip_links: 'true' })).fs;
      try {
        expect(await listNames(skip, '')).toEqual({ files: ['target.txt'], dirs: ['realdir'] });
        await expectFsError(skip.newObject('link.txt'), 'objectNotFound');
      } finally {
        await skip.close?.();
      }
    });
  });

  describe('errors', () => {
    it('maps a missing object and directory to objectNotFound and dirNotFound', async () => {
      await expectFsError(fs.newObject('no/such'), 'objectNotFound');
      await expectFsError(fs.list('no/such'), 'dirNotFound');
      await expectFsError(fs.rmdir('no-such'), 'dirNotFound');
      await expectFsError(fs.purge!('no-such'), 'dirNotFound');
    });

    it('maps a refusal by the server to a permission error that is not retried', async () => {
      const o = await putBytes(fs, 'locked/file', 'x');
      const target = path.join(dir, 'locked', 'file');
      // Root ignores file modes, not the immutable attribute; anyone else is stopped by the mode.
      const asRoot = process.getuid?.() === 0;
      if (asRoot) execFileSync('chattr', ['+i', target]);
      else await fsp.chmod(path.join(dir, 'locked'), 0o555);
      try {
        const err = await expectFsError(o.remove(), 'permission');
        expect(err.retry).toBe('noRetry');
        expect(err.message).toMatch(/permission denied/);
        expect(err.message).not.toMatch(/\n/);
        expect(await fsp.readFile(target, 'utf8')).toBe('x');
      } finally {
        if (asRoot) execFileSync('chattr', ['-i', target]);
        else await fsp.chmod(path.join(dir, 'locked'), 0o755);
      }
    });

    it('refuses names that would leave the root, and touches nothing outside it', async () => {
      const before = await fsp.readdir(path.dirname(dir));
      for (const name of ['..', '../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/', 'nul\u0000name', 'n'.repeat(256), 'lone\ud800']) {
        const err = await expectFsError(putBytes(fs, name, 'x'), 'invalidName');
        expect(err.message).toContain("can't be stored as a file name on the SFTP server");
        await expectFsError(fs.mkdir(name), 'invalidName');
        await expectFsError(fs.newObject(name), 'invalidName');
      }
      expect(await fsp.readdir(path.dirname(dir))).toEqual(before);
      expect(await onDisk()).toEqual([]);
    });
  });

  describe('connections', () => {
    it('reopens a dropped connection and retries the request', async () => {
      await putBytes(fs, 'r/file', 'still here');
      const before = sessions();
      expect(before.length).toBeGreaterThan(0);
      // Every session process of this server is killed: the pooled connections all break,
      // first under a request sent at once (it fails and is retried on a fresh connection)...
      const logged: string[] = [];
      configureLog({ level: 'DEBUG', sink: (line) => void logged.push(line) });
      try {
        for (const pid of before) process.kill(pid, 'SIGKILL');
        expect((await readObject(fs, 'r/file')).toString()).toBe('still here');
      } finally {
        configureLog({ level: 'NOTICE', sink: undefined });
      }
      expect(logged.join('')).toMatch(/low level retry 1\/\d+ in \d+ ms: connection lost/);
      const second = sessions();
      expect(second.some((p) => !before.includes(p))).toBe(true);
      // ...then while idle (the pool notices the loss and connects again).
      for (const pid of second) process.kill(pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      expect(await listNames(fs, 'r')).toEqual({ files: ['r/file'], dirs: [] });
      expect(await (await fs.newObject('r/file')).hash('md5')).toBe(hashOf('md5', 'still here'));
    });

    it('closes idle connections after idle_timeout, and all of them on close', async () => {
      const quick = (await sftpFs(dir, { ...baseOptions(), idle_timeout: '200ms' })).fs;
      await putBytes(quick, 'i', 'x');
      expect(quick.pool.size).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 600));
      expect(quick.pool.size).toBe(0);
      await putBytes(quick, 'j', 'y');
      await quick.close!();
      expect(quick.pool.size).toBe(0);
    });
  });

  it('roots the Fs at the parent when given a file, naming the file', async () => {
    await putBytes(fs, 'single.txt', 'one');
    const res = await sftpFs(path.join(dir, 'single.txt'));
    try {
      expect(res.file).toBe('single.txt');
      expect(res.fs.root).toBe(dir);
    } finally {
      await res.fs.close();
    }
  });
});

describe('sftp logins and host keys', () => {
  let scratch = '';
  beforeEach(() => {
    scratch = sftpScratch('login');
  });
  afterEach(async () => {
    await fsp.rm(scratch, { recursive: true, force: true });
  });

  /** newFs's outcome: the Fs (closed again) or the error, and how long it took. */
  async function attempt(values: Record<string, string>): Promise<{ err?: FsError; ms: number }> {
    const t0 = Date.now();
    try {
      const { fs } = await sftpFs(scratch, values);
      await fs.list('');
      await fs.close();
      return { ms: Date.now() - t0 };
    } catch (err) {
      expect(err).toBeInstanceOf(FsError);
      return { err: err as FsError, ms: Date.now() - t0 };
    }
  }

  /** A refusal: a config error (exit 1, as rclone's failed NewFs), one line, quick, naming no secret. */
  function expectRefused(r: { err?: FsError; ms: number }, message: RegExp): void {
    expect(r.err, 'refused').toBeDefined();
    expect(r.err!.kind).toBe('config');
    expect(exitCodeFor(r.err)).toBe(1);
    expect(r.err!.message).toMatch(message);
    expect(r.err!.message).not.toMatch(/\n/);
    expect(r.ms).toBeLessThan(10_000);
  }

  it('logs in with the key, and with the encrypted key and its obscured key_file_pass', async () => {
    expect((await attempt(baseOptions())).err).toBeUndefined();
    const s = sftpServer();
    expect((await attempt({ ...baseOptions(), key_file: s.encryptedKeyFile, key_file_pass: obscure(s.keyPassphrase) })).err).toBeUndefined();
  });

  it('refuses an encrypted key without its passphrase or with a wrong one, before connecting', async () => {
    const s = sftpServer();
    expectRefused(await attempt({ ...baseOptions(), key_file: s.encryptedKeyFile }), /key_file .* is encrypted: set key_file_pass/);
    const wrong = await attempt({ ...baseOptions(), key_file: s.encryptedKeyFile, key_file_pass: obscure('not the passphrase') });
    expectRefused(wrong, /key_file_pass does not decrypt it/);
    expect(wrong.err!.message).not.toContain('not the passphrase');
    expectRefused(await attempt({ ...baseOptions(), key_file: s.encryptedKeyFile, key_file_pass: 'plain text!' }), /key_file_pass: the value is not obscured/);
  });

  it('refuses a key the server does not know', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(scratch, 'stranger')]);
    expectRefused(await attempt({ ...baseOptions(), key_file: path.join(scratch, 'stranger') }), /login as ".*" refused/);
  });

  it('refuses a wrong password', async () => {
    const r = await attempt({ ...baseOptions(), key_file: '', pass: obscure('wrong password') });
    expectRefused(r, /login as ".*" refused: the server accepted none of the password credentials/);
    expect(r.err!.message).not.toContain('wrong password');
  });

  it('says so at once when nothing listens on the port', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    expectRefused(await attempt({ ...baseOptions(), port: String(port) }), new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
  });

  it('logs in through a running ssh-agent', async () => {
    const sock = path.join(await fsp.mkdtemp(path.join(tmpdir(), 'nclone-agent-')), 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      for (let i = 0; i < 100 && !(await fsp.stat(sock).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 20));
      execFileSync('ssh-add', ['-q', sftpServer().keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      process.env.SSH_AUTH_SOCK = sock;
      expect((await attempt({ ...baseOptions(), key_file: '', key_use_agent: 'true' })).err).toBeUndefined();
      // With neither key nor password the agent is asked too, as rclone does.
      expect((await attempt({ ...baseOptions(), key_file: '' })).err).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      agent.kill();
      await fsp.rm(path.dirname(sock), { recursive: true, force: true });
    }
  });

  it('checks the host key against known_hosts_file when set: known, unknown and changed', async () => {
    const s = sftpServer();
    expect((await attempt({ ...baseOptions(), known_hosts_file: s.knownHostsFile })).err).toBeUndefined();
    const empty = path.join(scratch, 'empty_known_hosts');
    await fsp.writeFile(empty, '# nothing known\n');
    const unknown = await attempt({ ...baseOptions(), known_hosts_file: empty });
    expectRefused(unknown, /is not a known host in/);
    expect(unknown.err!.message).toContain(empty);
    expect(unknown.err!.message).toContain(s.hostKeyFingerprint);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(scratch, 'other_host')]);
    const other = (await fsp.readFile(path.join(scratch, 'other_host.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
    const changed = path.join(scratch, 'changed_known_hosts');
    await fsp.writeFile(changed, `[127.0.0.1]:${s.port} ${other}\n`);
    const mismatch = await attempt({ ...baseOptions(), known_hosts_file: changed });
    expectRefused(mismatch, /does not match/);
    expect(mismatch.err!.message).toContain(changed);
    expect(mismatch.err!.message).toContain(s.hostKeyFingerprint);
  });
});

function baseOptions(): Record<string, string> {
  const s = sftpServer();
  return { host: s.host, port: String(s.port), user: s.user, key_file: s.keyFile };
}

/** The session processes of the test sshd (its children). */
function sessions(): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(sftpServer().pid)], { encoding: 'utf8' }).trim();
  } catch {
    // pgrep exits 1 when there is none
  }
  return out === '' ? [] : out.split('\n').map(Number);
}

