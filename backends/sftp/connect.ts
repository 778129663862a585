import * as net from 'node:net';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig, SFTPWrapper } from 'ssh2';
import { fsError, FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import type { SftpOptions } from './config.js';
import { ConnectionLost } from './errors.js';
import { login } from './auth.js';
import { hostKeyProblem } from './hostkeys.js';

export interface Connection {
  client: Client;
  sftp: SFTPWrapper;
  sock: net.Socket;
  /** Set once the connection is unusable (closed, broken). */
  dead: boolean;
  /** The server offers posix-rename@openssh.com (an atomic rename over an existing file). */
  posixRename: boolean;
  /** The server offers statvfs@openssh.com (file system sizes, for about). */
  statvfs: boolean;
  /** Requests waiting for an answer (ops.ts): failed all at once when the connection dies. */
  pending: Set<(err: Error) => void>;
  /** Why it died, for the requests that find it dead. */
  deathReason?: string;
}

const INSECURE_CIPHERS = ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'];
const INSECURE_KEX = ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1'];

function algorithms(opt: SftpOptions): ConnectConfig['algorithms'] {
  const a: NonNullable<ConnectConfig['algorithms']> = {};
  if (opt.useInsecureCipher) {
    a.cipher = { append: INSECURE_CIPHERS } as never;
    a.kex = { append: INSECURE_KEX } as never;
  }
  if (opt.ciphers.length > 0) a.cipher = opt.ciphers as never;
  if (opt.keyExchange.length > 0) a.kex = opt.keyExchange as never;
  if (opt.macs.length > 0) a.hmac = opt.macs as never;
  return a;
}

function tcpConnect(opt: SftpOptions, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: opt.host, port: opt.port });
    const timer = timeoutMs > 0 ? setTimeout(() => fail(Object.assign(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`), { code: 'ETIMEDOUT' })), timeoutMs) : undefined;
    timer?.unref();
    const onAbort = () => fail(signal!.reason instanceof Error ? signal!.reason : new Error('interrupted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.removeListener('error', fail);
    };
    function fail(err: Error) {
      done();
      sock.destroy();
      reject(err);
    }
    sock.once('error', fail);
    sock.once('connect', () => {
      done();
      resolve(sock);
    });
  });
}

/**
 * Opens one SSH connection with its SFTP session. Failures are one line naming host and
 * port: refused logins and refused host keys are config errors (never retried, exit 1 as
 * rclone's failed NewFs); a broken connection is ConnectionLost (retried).
 */
export async function connect(opt: SftpOptions, globals: BackendGlobals, signal?: AbortSignal): Promise<Connection> {
  const where = `${opt.host}:${opt.port}`;
  const auth = login(opt, globals);
  let sock: net.Socket;
  try {
    sock = await tcpConnect(opt, globals.conTimeoutMs, signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : ((err as Error).message ?? String(err));
    throw new ConnectionLost(`cannot connect to ${where}: ${why}`);
  }
  const client = new ssh2.Client();
  const conn: Connection = { client, sock, sftp: undefined as unknown as SFTPWrapper, dead: false, posixRename: false, statvfs: false, pending: new Set() };
  const kill = (why: string) => {
    if (!conn.dead) conn.deathReason = `${where}: ${why}`;
    conn.dead = true;
    const waiting = [...conn.pending];
    conn.pending.clear();
    for (const fail of waiting) fail(new ConnectionLost(conn.deathReason ?? why));
  };
  // For the connection's whole life: ssh2 may report more than one error (a timeout, then
  // the lost socket), and an error event nobody listens to would end the process.
  client.on('error', (err: Error) => kill(err.message));
  client.on('close', () => kill('the connection closed'));
  client.on('end', () => kill('the server ended the connection'));
  // Whether the server sent anything: a connection that ends before its first byte (a
  // server over its MaxStartups, restarting) is a failure to retry, not a setting to fix.
  let heard = false;
  sock.once('data', () => {
    heard = true;
  });
  // --timeout: a connection on which nothing arrives for that long (a hung handshake, no
  // answer to a request) is dropped; what was under way on it fails and is retried on a new one.
  if (globals.timeoutMs > 0) {
    sock.setTimeout(globals.timeoutMs, () => {
      const why = `no data from the server for ${Math.round(globals.timeoutMs / 1000)} s (--timeout)`;
      kill(why);
      sock.destroy(new Error(why));
    });
  }
  // While a person types a password (ask_password) the handshake waits for them: then only
  // --timeout bounds it, not --contimeout.
  const mayAsk = opt.askPassword && opt.pass === '' && globals.askPassword !== undefined;
  let hostKeyRefusal: string | undefined;
  const cfg: ConnectConfig = {
    sock,
    username: opt.user,
    authHandler: auth.handler,
    algorithms: algorithms(opt),
    readyTimeout: globals.conTimeoutMs > 0 && !mayAsk ? globals.conTimeoutMs : 2 ** 31 - 1,
    // Without known_hosts_file any host key is accepted, as rclone does (its docs say so):
    // the connection is then encrypted but the server not authenticated.
    hostVerifier: (key: Buffer) => {
      if (opt.knownHostsFile === '') return true;
      try {
        hostKeyRefusal = hostKeyProblem(opt.knownHostsFile, opt.host, opt.port, key);
      } catch (err) {
        hostKeyRefusal = (err as Error).message;
      }
      return hostKeyRefusal === undefined;
    },
  };
  await new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      client.end();
      sock.destroy();
      reject(signal!.reason instanceof Error ? signal!.reason : new Error('interrupted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      client.removeListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    const onError = (err: Error & { level?: string }) => {
      client.removeListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (hostKeyRefusal !== undefined) reject(fsError('config', `sftp ${where}: host key refused: ${hostKeyRefusal}`, { retry: 'fatal' }));
      else if (err.level === 'client-authentication') {
        reject(auth.problem ?? fsError('config', `sftp ${where}: login as "${opt.user}" refused: the server accepted none of the ${auth.offered} credentials given`, { retry: 'fatal' }));
      } else if (err.level === 'client-timeout') reject(new ConnectionLost(`${where}: the SSH handshake timed out`));
      else if (!heard) reject(new ConnectionLost(`${where}: the server closed the connection before saying anything (${err.message})`));
      else if (err.level === 'handshake' || err.level === 'protocol') reject(fsError('config', `sftp ${where}: SSH handshake failed: ${err.message}`, { retry: 'fatal' }));
      else reject(new ConnectionLost(`${where}: ${err.message}`));
    };
    client.on('error', onError);
    try {
      client.connect(cfg);
    } catch (err) {
      // ssh2 checks the algorithm lists before it sends anything.
      sock.destroy();
      reject(fsError('config', `sftp ${where}: ${(err as Error).message}`));
    }
  });
  startSubsystemAs(client, opt);
  try {
    conn.sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
      const env = Object.keys(opt.env).length > 0 ? { env: opt.env } : undefined;
      const cb = (err: Error | undefined, s: SFTPWrapper) => (err ? reject(err) : resolve(s));
      if (env) (client.sftp as unknown as (e: unknown, cb: (err: Error | undefined, s: SFTPWrapper) => void) => void).call(client, env, cb);
      else client.sftp(cb);
    });
  } catch (err) {
    client.end();
    sock.destroy();
    if (err instanceof FsError) throw err;
    const how = opt.serverCommand !== '' ? `server_command ${JSON.stringify(opt.serverCommand)}` : `the SFTP subsystem "${opt.subsystem}"`;
    // A refused subsystem or a command that is no SFTP server is a setting to fix, not a fault to retry.
    const msg = (err as Error).message;
    if (/Unable to start subsystem|Unable to exec/i.test(msg)) throw fsError('config', `sftp ${where}: cannot start ${how}: the server refused it`, { retry: 'fatal' });
    if (/exit code|signal|unexpected SFTP session termination|Packet length/i.test(msg)) {
      throw fsError('config', `sftp ${where}: cannot start ${how}: no SFTP server answered (${msg})`, { retry: 'fatal' });
    }
    throw new ConnectionLost(`${where}: cannot start ${how}: ${(err as Error).message}`);
  }
  conn.sftp.on('close', () => kill('the SFTP session closed'));
  const ext = (conn.sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
  conn.posixRename = ext['posix-rename@openssh.com'] !== undefined;
  conn.statvfs = ext['statvfs@openssh.com'] !== undefined;
  return conn;
}

/**
 * subsystem and server_command: ssh2 starts SFTP only as the subsystem named "sftp", with no
 * way to name another or to run a command instead. Its client asks for that subsystem once,
 * through its protocol object, right after the session channel opens; for this one call
 * the request is swapped for the configured subsystem, or for an exec of server_command
 * (the server answers both kinds of request alike). Checked against ssh2 1.17 (client.js,
 * sftp() → reqSubsystem) and by tests against OpenSSH with each option.
 */
function startSubsystemAs(client: Client, opt: SftpOptions): void {
  if (opt.serverCommand === '' && opt.subsystem === 'sftp') return;
  const proto = (client as unknown as { _protocol?: Record<string, unknown> })._protocol;
  const original = proto?.subsystem;
  if (!proto || typeof original !== 'function' || typeof proto.exec !== 'function') {
    throw fsError('config', 'sftp options subsystem / server_command: this version of the ssh2 library cannot start SFTP another way', { retry: 'fatal' });
  }
  proto.subsystem = function (this: unknown, channel: number, name: string, wantReply: boolean) {
    proto.subsystem = original;
    if (name !== 'sftp') return original.call(this, channel, name, wantReply);
    if (opt.serverCommand !== '') return (proto.exec as (c: number, cmd: string, w: boolean) => unknown).call(this, channel, opt.serverCommand, wantReply);
    return original.call(this, channel, opt.subsystem, wantReply);
  };
}

export function closeConnection(c: Connection): void {
  c.dead = true;
  try {
    c.client.end();
  } catch {
    // already closed
  }
  c.sock.destroy();
}
