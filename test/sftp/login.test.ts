/**
 * Logging in and starting SFTP on the test run's OpenSSH sshd, each way rclone offers:
 * a password (stored obscured, or asked on a real terminal with ask_password), the agent's
 * copy of key_file (key_use_agent, against a real ssh-agent started here), another
 * subsystem name and server_command; plus --timeout on a server that stops answering,
 * `about` (statvfs), names that are not UTF-8 and cleanup's --max-age.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GLOBALS } from '../../src/fs/globals.js';
import { obscure } from '../../src/lib/obscure.js';
import { NCLONE, run } from '../helpers/run.js';
import { sftpFs, sftpOptions, sftpScratch, sftpServer, cliHome, serverSide } from '../helpers/sftp.js';
import { NCLONE_BIN, terminalEnv } from '../pty/wizard.js';
import { TmuxProgram } from '../pty/tmux.js';

let home: string;
let env: NodeJS.ProcessEnv;
const nclone = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(NCLONE, args, { ...env, ...extra }, { timeoutMs: 60_000 });

/** `:sftp,...:` for the test server with these options (and no key unless given). */
function remote(opts: Record<string, string>): string {
  const s = sftpServer();
  const all = { host: s.host, port: String(s.port), user: s.user, ...opts };
  return ':sftp,' + Object.entries(all).map(([k, v]) => `${k}='${v.replace(/'/g, "''")}'`).join(',') + ':';
}

/** exit code 1 and one line matching message, without a stack. */
function expectOneLine(r: { code: number | null; stderr: string }, message: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

beforeAll(() => {
  ({ home, env } = cliHome('nclone-sftp-login-'));
});

afterAll(() => {
  nfs.rmSync(home, { recursive: true, force: true });
});

describe('a password', () => {
  it('the test server has one (the suite runs as root: see test/servers/sshd.sh)', () => {
    expect(sftpServer().password).not.toBe('');
  });

  it('logs in with pass stored obscured, and rclone 1.60 reads the same config section', async () => {
    const dir = sftpScratch('pass');
    nfs.writeFileSync(path.join(dir, 'a.txt'), 'hello\n');
    const s = sftpServer();
    const conf = path.join(home, 'pass.conf');
    nfs.writeFileSync(conf, `[pw]\ntype = sftp\nhost = ${s.host}\nport = ${s.port}\nuser = ${s.user}\npass = ${obscure(s.password)}\n`);
    const r = await nclone(['--config', conf, 'lsf', `pw:${dir}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('a.txt\n');
    const rc = await run('rclone', ['--config', conf, 'lsf', `pw:${dir}`], env, { timeoutMs: 60_000 });
    expect(rc.code, rc.stderr).toBe(0);
    expect(rc.stdout).toBe('a.txt\n');
  });

  it('ask_password with no terminal: one line naming what to do, at once', async () => {
    const started = Date.now();
    const r = await nclone(['lsf', remote({ ask_password: 'true' }) + sftpServer().dir]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expectOneLine(r, /the server wants a password and ask_password has no terminal to ask on: store it in pass/);
  });

  describe('ask_password on a terminal', () => {
    let term: TmuxProgram;
    afterAll(async () => {
      await term?.stop();
    });

    it('asks once, without echo, and logs in with the answer', async () => {
      const dir = sftpScratch('ask');
      nfs.writeFileSync(path.join(dir, 'one.txt'), '1');
      nfs.writeFileSync(path.join(dir, 'two.txt'), '2');
      const s = sftpServer();
      term = new TmuxProgram(terminalEnv(home));
      // Two files copied with --checkers 4 open several connections: the password is asked once.
      const out = path.join(home, 'asked-out');
      await term.start(['node', NCLONE_BIN, 'copy', '--transfers', '4', remote({ ask_password: 'true' }) + dir, out], home);
      await term.answer(`Password for ${s.user}@${s.host}:`, s.password);
      expect(await term.exitCode()).toBe(0);
      const screen = await term.screen();
      expect(screen).not.toContain(s.password);
      expect(screen.match(/Password for/g)).toHaveLength(1);
      expect(nfs.readdirSync(out).sort()).toEqual(['one.txt', 'two.txt']);
    });

    it('a wrong answer is refused like a wrong stored password', async () => {
      await term?.stop();
      term = new TmuxProgram(terminalEnv(home));
      await term.start(['node', NCLONE_BIN, 'lsf', remote({ ask_password: 'true' }) + sftpServer().dir], home);
      await term.answer('Password for', 'certainly not it');
      expect(await term.exitCode()).toBe(1);
      expect(await term.screen()).toMatch(/login as "[^"]+" refused: the server accepted none of the asked password credentials/);
    });

    it('is not asked when a key logs in', async () => {
      const r = await nclone(['lsf', remote({ ask_password: 'true', key_file: sftpServer().keyFile }) + sftpServer().dir]);
      expect(r.code, r.stderr).toBe(0);
    });
  });
});

describe('key_use_agent with key_file: only that key, from a real ssh-agent', () => {
  let agent: ChildProcess;
  let socket: string;

  beforeAll(async () => {
    socket = path.join(home, 'agent.sock');
    // -D: in the foreground, so it is our child and ends by its PID.
    agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !nfs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
    const added = await run('ssh-add', [sftpServer().keyFile], { ...env, SSH_AUTH_SOCK: socket });
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(() => {
    agent?.kill();
  });

  it('logs in with the agent key whose .pub lies beside key_file', async () => {
    const r = await nclone(['lsf', remote({ key_use_agent: 'true', key_file: sftpServer().keyFile }) + sftpServer().dir], { SSH_AUTH_SOCK: socket });
    expect(r.code, r.stderr).toBe(0);
  });

  it('key_file may be the public key itself (as OpenSSH\'s IdentityFile)', async () => {
    const pub = path.join(home, 'only.pub');
    nfs.copyFileSync(`${sftpServer().keyFile}.pub`, pub);
    const r = await nclone(['lsf', remote({ key_use_agent: 'true', key_file: pub }) + sftpServer().dir], { SSH_AUTH_SOCK: socket });
    expect(r.code, r.stderr).toBe(0);
  });

  it('another key_file is refused though the agent holds a key the server takes', async () => {
    const r = await nclone(['lsf', remote({ key_use_agent: 'true', key_file: sftpServer().encryptedKeyFile }) + sftpServer().dir], { SSH_AUTH_SOCK: socket });
    expectOneLine(r, /the key of key_file .*client_encrypted is not in the ssh-agent/);
  });

  it('without key_file every agent key is offered', async () => {
    const r = await nclone(['lsf', remote({}) + sftpServer().dir], { SSH_AUTH_SOCK: socket });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('subsystem and server_command', () => {
  it('another subsystem name the server serves SFTP under', async () => {
    const dir = sftpScratch('subsys');
    nfs.writeFileSync(path.join(dir, 'x'), 'x');
    const l = await nclone(['lsf', remote({ key_file: sftpServer().keyFile, subsystem: 'nclone-sftp' }) + dir]);
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout).toBe('x\n');
  });

  it('a subsystem the server does not have: one line', async () => {
    expectOneLine(await nclone(['lsf', remote({ key_file: sftpServer().keyFile, subsystem: 'no-such' }) + sftpServer().dir]), /cannot start the SFTP subsystem "no-such": the server refused it/);
  });

  it('server_command runs the SFTP server as a command; files go both ways through it', async () => {
    const dir = sftpScratch('servercmd');
    const src = path.join(home, 'cmd-src');
    nfs.mkdirSync(src, { recursive: true });
    nfs.writeFileSync(path.join(src, 'f.bin'), Buffer.alloc(300_000, 9));
    const rem = remote({ key_file: sftpServer().keyFile, server_command: '/usr/lib/openssh/sftp-server' }) + dir;
    expect((await nclone(['copy', src, rem])).code).toBe(0);
    expect(nfs.readFileSync(path.join(dir, 'f.bin')).equals(nfs.readFileSync(path.join(src, 'f.bin')))).toBe(true);
    const back = path.join(home, 'cmd-back');
    expect((await nclone(['copy', rem, back])).code).toBe(0);
    expect(nfs.readFileSync(path.join(back, 'f.bin')).equals(nfs.readFileSync(path.join(src, 'f.bin')))).toBe(true);
  });

  it('a server_command that is no SFTP server: one line', async () => {
    for (const cmd of ['/bin/true', 'echo hello']) {
      expectOneLine(await nclone(['lsf', remote({ key_file: sftpServer().keyFile, server_command: cmd }) + sftpServer().dir]), /cannot start server_command .*: no SFTP server answered/);
    }
  });
});

describe('a server that stops answering', () => {

  it('--timeout drops the silent connection and the request is retried on a new one', async () => {
    const { fs } = await sftpFs(sftpServer().dir, sftpOptions(), { ...DEFAULT_GLOBALS, timeoutMs: 1500 });
    const stopped: number[] = [];
    try {
      await fs.list('');
      const p = await fs.pool.acquire();
      const port = p.conn.sock.localPort!;
      fs.pool.release(p);
      const pids = await serverSide(port);
      expect(pids.length).toBeGreaterThan(0);
      // Only this connection's own processes, children of the sshd this run started.
      for (const pid of pids) {
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      }
      const started = Date.now();
      const entries = await fs.list('');
      const took = Date.now() - started;
      expect(Array.isArray(entries)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(15_000);
      expect(p.conn.dead).toBe(true);
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT');
      await fs.close();
    }
  });
});

describe('about, odd names, cleanup', () => {
  it('about gives the sizes of the server\'s file system (statvfs)', async () => {
    const dir = sftpServer().dir;
    const r = await nclone(['about', '--json', remote({ key_file: sftpServer().keyFile }) + dir]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { total: number; used: number; free: number };
    const st = nfs.statfsSync(dir);
    expect(got.total).toBe(st.blocks * st.bsize);
    // Free space moves while other tests write: within 1 GiB of the local view.
    expect(Math.abs(got.free - st.bavail * st.bsize)).toBeLessThan(2 ** 30);
    expect(got.used).toBeGreaterThan(0);
  });

  it('a name that is not UTF-8 is an error (exit 6) and skipped; a real U+FFFD name is listed', async () => {
    const dir = sftpScratch('utf8');
    nfs.writeFileSync(path.join(dir, 'ok.txt'), 'ok');
    nfs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/bad`), Buffer.from([0xff, 0xfe])]), 'bad');
    nfs.writeFileSync(path.join(dir, 'odd\uFFFD.txt'), 'odd');
    const r = await nclone(['lsf', remote({ key_file: sftpServer().keyFile }) + dir]);
    expect(r.code, r.stderr).toBe(6);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['odd\uFFFD.txt', 'ok.txt']);
    expect(r.stderr).toMatch(/bad\uFFFD\uFFFD: the name is not valid UTF-8/);
    // A sync from there copies the rest and deletes nothing on the far side.
    const dst = path.join(home, 'utf8-dst');
    nfs.mkdirSync(dst);
    nfs.writeFileSync(path.join(dst, 'keep-me'), 'x');
    const s = await nclone(['sync', remote({ key_file: sftpServer().keyFile }) + dir, dst]);
    expect(s.code).toBe(6);
    expect(nfs.readdirSync(dst).sort()).toEqual(['keep-me', 'odd\uFFFD.txt', 'ok.txt']);
  });
});
