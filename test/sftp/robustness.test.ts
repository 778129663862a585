/**
 * The sftp backend when things go wrong: a connection that dies under requests (on the
 * real sshd, its session process killed), a server that closes or says nothing before its
 * banner (plain TCP listeners), a server without POSIX rename (the fallback, on the real
 * sshd with the extension ignored), and listings with missing attributes or a reply cut
 * short, which only a fake server can send (test/servers/fake-sftp.ts).
 */
import * as nfs from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GLOBALS } from '../../src/fs/globals.js';
import { obscure } from '../../src/lib/obscure.js';
import * as op from '../../backends/sftp/ops.js';
import { NCLONE, run } from '../helpers/run.js';
import { sftpFs, sftpOptions, sftpScratch, sftpServer, cliHome, serverSide } from '../helpers/sftp.js';
import { startFakeSftp, type FakeMode, type FakeSftp } from '../servers/fake-sftp.js';
import { Readable } from 'node:stream';

let home: string;
let env: NodeJS.ProcessEnv;
const nclone = (args: string[]) => run(NCLONE, args, env, { timeoutMs: 60_000 });

beforeAll(() => {
  ({ home, env } = cliHome('nclone-sftp-robust-'));
});

afterAll(() => {
  nfs.rmSync(home, { recursive: true, force: true });
});


describe('a connection that dies', () => {
  it('fails the requests waiting on it and any sent later, at once; the next request gets a new connection', async () => {
    const dir = sftpScratch('dies');
    nfs.writeFileSync(path.join(dir, 'a'), 'a');
    const { fs } = await sftpFs(dir, sftpOptions(), { ...DEFAULT_GLOBALS, parallel: 0 });
    try {
      const p = await fs.pool.acquire();
      const c = p.conn;
      const pids = await serverSide(c.sock.localPort!);
      expect(pids.length).toBeGreaterThan(0);
      // Stopped first, so the request below is surely waiting when the connection goes.
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      const waiting = op.stat(c, path.join(dir, 'a'));
      const settled = waiting.then(
        () => 'answered',
        (err: Error) => err.name,
      );
      c.sock.destroy();
      for (const pid of pids) process.kill(pid, 'SIGCONT');
      expect(await settled).toBe('ConnectionLost');
      await expect(op.stat(c, path.join(dir, 'a'))).rejects.toThrow(/connection lost/);
      fs.pool.release(p);
      expect((await fs.list('')).map((e) => e.remote)).toEqual(['a']);
    } finally {
      await fs.close();
    }
  });

  it('an upload whose connection is killed midway is sent again on a new one; no temporary file stays', async () => {
    const dir = sftpScratch('upload-killed');
    const src = path.join(home, 'killed-src');
    nfs.mkdirSync(src, { recursive: true });
    const data = Buffer.alloc(8 * 1024 * 1024, 5);
    nfs.writeFileSync(path.join(src, 'big.bin'), data);
    const s = sftpServer();
    const remote = `:sftp,host=${s.host},port=${s.port},user=${s.user},key_file='${s.keyFile}':${dir}`;
    let killed = false;
    const r = await run(NCLONE, ['copy', '--bwlimit', '2M', '--transfers', '1', '--checkers', '1', src, remote], env, {
      timeoutMs: 60_000,
      signalWhen: {
        everyMs: 100,
        ready: () => {
          if (killed || !nfs.readdirSync(dir).some((n) => n.endsWith('.partial'))) return false;
          killed = true;
          // The sessions of this nclone: every sshd child holding a connection from it.
          void run('ss', ['-Htnp', 'state', 'established', `( sport = :${s.port} )`], env).then((out) => {
            for (const m of out.stdout.matchAll(/pid=(\d+)/g)) {
              const pid = Number(m[1]);
              if (pid !== s.pid) {
                try {
                  process.kill(pid, 'SIGKILL');
                } catch {
                  // gone already
                }
              }
            }
          });
          return false;
        },
        signal: 'SIGKILL',
      },
    });
    expect(killed).toBe(true);
    expect(r.code, r.stderr).toBe(0);
    expect(nfs.readFileSync(path.join(dir, 'big.bin')).equals(data)).toBe(true);
    expect(nfs.readdirSync(dir)).toEqual(['big.bin']);
  });
});

describe('servers that fail before the SSH banner', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let behaviour: 'close' | 'silent' = 'close';
  beforeAll(async () => {
    server = createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
      if (behaviour === 'close') sock.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('a server that closes at once: one line, exit 1, said as a connection failure', async () => {
    behaviour = 'close';
    const r = await nclone(['lsf', `:sftp,host=127.0.0.1,port=${port},user=x,pass=${'x'.repeat(0)}:`, '--sftp-key-file', sftpServer().keyFile]);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/closed the connection before saying anything|connection lost/);
    expect(lines[0]).not.toMatch(/handshake failed/);
  });

  it('a server that says nothing: one line after --contimeout, and no crash when the socket then goes', async () => {
    behaviour = 'silent';
    const started = Date.now();
    const r = await nclone(['lsf', '--contimeout', '1s', `:sftp,host=127.0.0.1,port=${port},user=x:`, '--sftp-key-file', sftpServer().keyFile]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/SSH handshake timed out/);
  });
});

describe('a server without POSIX rename', () => {
  it('replaces an existing file through a name aside, leaving nothing behind; a directory in the way is refused intact', async () => {
    const dir = sftpScratch('norename');
    nfs.writeFileSync(path.join(dir, 'f.txt'), 'old');
    nfs.mkdirSync(path.join(dir, 'd'));
    nfs.writeFileSync(path.join(dir, 'd', 'keep'), 'k');
    // One connection, told the server lacks posix-rename@openssh.com.
    const { fs } = await sftpFs(dir, sftpOptions(), { ...DEFAULT_GLOBALS, parallel: 0 });
    try {
      const p = await fs.pool.acquire();
      p.conn.posixRename = false;
      fs.pool.release(p);
      const src = (remote: string, text: string) => ({ remote, size: text.length, modTime: 1_600_000_000_000_000_000n });
      await fs.put(Readable.from([Buffer.from('new')]), src('f.txt', 'new'));
      expect(nfs.readFileSync(path.join(dir, 'f.txt'), 'utf8')).toBe('new');
      await expect(fs.put(Readable.from([Buffer.from('x')]), src('d', 'x'))).rejects.toThrow(/is a directory/);
      expect(nfs.readdirSync(path.join(dir, 'd'))).toEqual(['keep']);
      expect(nfs.readdirSync(dir).sort()).toEqual(['d', 'f.txt']);
      const again = await fs.pool.acquire();
      expect(again.conn).toBe(p.conn);
      fs.pool.release(again);
    } finally {
      await fs.close();
    }
  });
});

describe('malformed answers (a fake server: OpenSSH never sends these)', () => {
  const fakes: FakeSftp[] = [];
  afterAll(async () => {
    for (const f of fakes) await f.close();
  });
  const remoteOf = async (mode: FakeMode) => {
    const f = await startFakeSftp(mode);
    fakes.push(f);
    return `:sftp,host=127.0.0.1,port=${f.port},user=x,pass=${'unused'}:/d`;
  };

  it('a file listed without its size is an error and skipped: a sync neither empties nor deletes the local copy', async () => {
    const remote = (await remoteOf('nosize')).replace(/pass=unused/, `key_file='${sftpServer().keyFile}'`);
    const dst = path.join(home, 'nosize');
    nfs.mkdirSync(dst, { recursive: true });
    nfs.writeFileSync(path.join(dst, 'a.txt'), 'precious');
    const r = await nclone(['sync', remote, dst]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/a\.txt: the server sent no usable size: skipped/);
    expect(nfs.readFileSync(path.join(dst, 'a.txt'), 'utf8')).toBe('precious');
  });

  it('a file listed without its time is an error for that file only', async () => {
    const remote = (await remoteOf('nomtime')).replace(/pass=unused/, `key_file='${sftpServer().keyFile}'`);
    const r = await nclone(['lsf', remote]);
    expect(r.stderr).toMatch(/a\.txt: the server sent no usable modification time: skipped/);
    expect(r.stdout).toBe('b.txt\n');
    expect(r.code).not.toBe(0);
  });

  it('files listed without type bits are regular files (as rclone takes them)', async () => {
    const remote = (await remoteOf('nomode')).replace(/pass=unused/, `key_file='${sftpServer().keyFile}'`);
    const r = await nclone(['lsf', remote]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('a.txt\nb.txt\n');
  });

  it('a listing reply cut short: an error line and a non-zero exit within seconds, no hang', async () => {
    const remote = (await remoteOf('malformed')).replace(/pass=unused/, `key_file='${sftpServer().keyFile}'`);
    const started = Date.now();
    const r = await nclone(['lsf', '--low-level-retries', '2', remote]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(13);
    expect(r.stderr).toMatch(/connection lost|malformed|Packet|list/i);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('secrets in error lines', () => {
  it('a connection string quoted by an error shows its password redacted', async () => {
    const dir = sftpScratch('secret');
    nfs.writeFileSync(path.join(dir, 'afile'), 'x');
    const s = sftpServer();
    const secret = obscure('a secret password');
    const r = await nclone(['mkdir', `:sftp,host=${s.host},port=${s.port},user=${s.user},key_file='${s.keyFile}',pass='${secret}':${dir}/afile`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/a file is in the way/);
    expect(r.stderr).toMatch(/pass=\*\*\* REDACTED \*\*\*/);
    expect(r.stderr).not.toContain(secret);
  });
});

describe('a Windows server (shell_type cmd)', () => {
  it('refuses names with a backslash, which it may take for a separator', async () => {
    const dir = sftpScratch('windows');
    const { fs } = await sftpFs(dir, sftpOptions({ shell_type: 'cmd' }));
    try {
      await expect(fs.put(Readable.from([Buffer.from('x')]), { remote: '..\\escape', size: 1, modTime: 0n })).rejects.toThrow(/can't be written to a Windows server/);
      expect(nfs.readdirSync(dir)).toEqual([]);
      expect(nfs.existsSync(path.join(path.dirname(dir), '..\\escape'))).toBe(false);
    } finally {
      await fs.close();
    }
  });
});
