import * as net from 'node:net';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, Client, ConnectConfig, SFTPWrapper } from 'ssh2';
import { fsError, FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import type { SftpOptions } from './config.js';
import { ConnectionLost } from './errors.js';
import { hostKeyProblem } from './hostkeys.js';

export interface Connection {
  client: Client;
  sftp: SFTPWrapper;
  sock: net.Socket;
  /** Set once the connection is unusable (closed, broken). */
  dead: boolean;
  /** The server offers posix-rename@openssh.com (an atomic rename over an existing file). */
  posixRename: boolean;
}

const INSECURE_CIPHERS = ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'];
const INSECURE_KEX = ['diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1'];

/** The ways to log in, in rclone's order: the agent, the key, the password. */
function authMethods(opt: SftpOptions): AnyAuthMethod[] {
  const username = opt.user;
  const methods: AnyAuthMethod[] = [];
  const agent = process.env.SSH_AUTH_SOCK;
  const wantAgent = opt.useAgent || (opt.key === '' && opt.pass === '');
  if (wantAgent) {
    if (!agent) throw fsError('config', 'sftp: ssh-agent requested but SSH_AUTH_SOCK is not set: set key_file, key_pem or pass, or start an ssh-agent');
    methods.push({ type: 'agent', username, agent });
  }
  // key_use_agent with key_file means "the agent's copy of that key": the private file itself is not read.
  if (opt.key !== '' && !(opt.useAgent && opt.keyFile !== '' && !opt.keyFromPem)) {
    const parsed = ssh2.utils.parseKey(opt.key, opt.keyPass || undefined);
    if (parsed instanceof Error) {
      const where = opt.keyFile !== '' ? `key_file ${opt.keyFile}` : 'key_pem';
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const why = encrypted ? (opt.keyPass === '' ? 'the key is encrypted: set key_file_pass' : 'key_file_pass does not decrypt it') : `not a private key nclone can read (${parsed.message})`;
      throw fsError('config', `sftp option ${where}: ${why}`);
    }
    methods.push({ type: 'publickey', username, key: Array.isArray(parsed) ? parsed[0]! : parsed });
  }
  if (opt.pass !== '') methods.push({ type: 'password', username, password: opt.pass });
  return methods;
}

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
  const authHandler = authMethods(opt);
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
  let hostKeyRefusal: string | undefined;
  const cfg: ConnectConfig = {
    sock,
    username: opt.user,
    authHandler,
    algorithms: algorithms(opt),
    readyTimeout: globals.conTimeoutMs > 0 ? globals.conTimeoutMs : 2 ** 31 - 1,
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
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    client.once('error', (err: Error & { level?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (hostKeyRefusal !== undefined) reject(fsError('config', `sftp ${where}: host key refused: ${hostKeyRefusal}`, { retry: 'fatal' }));
      else if (err.level === 'client-authentication') {
        reject(fsError('config', `sftp ${where}: login as "${opt.user}" refused: the server accepted none of the ${authHandler.map((m) => m.type).join(', ')} credentials given`, { retry: 'fatal' }));
      } else if (err.level === 'client-timeout') reject(new ConnectionLost(`${where}: the SSH handshake timed out`));
      else if (err.level === 'handshake' || err.level === 'protocol') reject(fsError('config', `sftp ${where}: SSH handshake failed: ${err.message}`, { retry: 'fatal' }));
      else reject(new ConnectionLost(`${where}: ${err.message}`));
    });
    try {
      client.connect(cfg);
    } catch (err) {
      // ssh2 checks the algorithm lists before it sends anything.
      sock.destroy();
      reject(fsError('config', `sftp ${where}: ${(err as Error).message}`));
    }
  });
  const conn: Connection = { client, sock, sftp: undefined as unknown as SFTPWrapper, dead: false, posixRename: false };
  const kill = () => {
    conn.dead = true;
  };
  client.on('error', kill);
  client.on('close', kill);
  client.on('end', kill);
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
    throw new ConnectionLost(`${where}: cannot start the SFTP subsystem: ${(err as Error).message}`);
  }
  conn.sftp.on('close', kill);
  const ext = (conn.sftp as unknown as { _extensions?: Record<string, string> })._extensions ?? {};
  conn.posixRename = ext['posix-rename@openssh.com'] !== undefined;
  return conn;
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
