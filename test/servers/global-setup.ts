/**
 * Starts one throwaway Ceph RADOS Gateway and one OpenSSH sshd on 127.0.0.1 for the whole
 * test run and stops them at the end, also when tests fail. Tests read their addresses
 * with inject('s3') and inject('sftp').
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./ceph-rgw.sh', import.meta.url));
const sshdScript = fileURLToPath(new URL('./sshd.sh', import.meta.url));

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The cluster's directory, for `ceph-rgw.sh admin DIR ...`. */
  dir: string;
}

/** The test sshd (test/servers/sshd.sh): key-only logins for the user running the tests. */
export interface SftpServer {
  host: string;
  port: number;
  user: string;
  /** An unencrypted ed25519 private key the server accepts. */
  keyFile: string;
  /** A PEM (ecdsa) private key the server accepts, encrypted with keyPassphrase. */
  encryptedKeyFile: string;
  keyPassphrase: string;
  /** user's password on this server only ('' when the tests do not run as root: see sshd.sh). */
  password: string;
  /** The server's host key, as OpenSSH prints it (SHA256:...). */
  hostKeyFingerprint: string;
  /** A known_hosts file holding the server's host key. */
  knownHostsFile: string;
  /** An absolute directory on the server that tests may write in (it is on this machine). */
  dir: string;
  /** The listening sshd, whose children are the sessions (a test may kill one to drop a connection). */
  pid: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3Server;
    sftp: SftpServer;
  }
}

/** Starts the sshd (about a second); its log in the error says where it failed. */
async function startSshd(dir: string): Promise<SftpServer> {
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [sshdScript, 'start', dir], { timeout: 30_000 }));
  } catch (err) {
    throw new Error(`could not start the test sshd: ${(err as { stderr?: string }).stderr || err}`);
  }
  const v = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const server: SftpServer = {
    host: v.SFTP_HOST!,
    port: Number(v.SFTP_PORT),
    user: v.SFTP_USER!,
    keyFile: v.SFTP_KEY_FILE!,
    encryptedKeyFile: v.SFTP_ENCRYPTED_KEY_FILE!,
    keyPassphrase: v.SFTP_KEY_PASSPHRASE!,
    password: v.SFTP_PASSWORD ?? '',
    hostKeyFingerprint: v.SFTP_HOST_KEY_FINGERPRINT!,
    knownHostsFile: v.SFTP_KNOWN_HOSTS_FILE!,
    dir: v.SFTP_DATA_DIR!,
    pid: Number(v.SFTP_PID),
  };
  if (server.host !== '127.0.0.1' || !(server.port > 0)) throw new Error(`the test sshd must listen on 127.0.0.1, got ${server.host}:${server.port}`);
  return server;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK's notice about its future Node requirement is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const parent = mkdtempSync(path.join(os.tmpdir(), 'nclone-rgw-'));
  // In-process tests keep upload journals and the S3 metadata cache here, never in ~/.cache.
  process.env.NCLONE_CACHE_DIR ??= path.join(parent, 'cache');
  const dir = path.join(parent, 'cluster');
  const sshdDir = path.join(parent, 'sshd');
  const stop = async () => {
    await Promise.all([run('bash', [script, 'stop', dir]).catch(() => undefined), run('bash', [sshdScript, 'stop', sshdDir]).catch(() => undefined)]);
    rmSync(parent, { recursive: true, force: true });
  };
  // Both at once: the sshd is ready long before the RGW.
  const sshd = startSshd(sshdDir);
  sshd.catch(() => undefined);
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, 'start', dir], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    await sshd.catch(() => undefined);
    await stop();
    throw new Error(`could not start the Ceph RGW test server: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  let sftp: SftpServer;
  try {
    sftp = await sshd;
  } catch (err) {
    await stop();
    throw err;
  }
  const vars = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const server: S3Server = {
    endpoint: vars.S3_ENDPOINT!,
    accessKeyId: vars.S3_ACCESS_KEY_ID!,
    secretAccessKey: vars.S3_SECRET_ACCESS_KEY!,
    region: vars.S3_REGION ?? 'us-east-1',
    dir,
  };
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(server.endpoint)) {
    await stop();
    throw new Error(`the test server must listen on 127.0.0.1, got ${server.endpoint}`);
  }
  project.provide('s3', server);
  project.provide('sftp', sftp);
  // If the run dies before teardown, still stop the daemons this run started.
  const onExit = () => {
    for (const [s, d] of [
      [script, dir],
      [sshdScript, sshdDir],
    ]) {
      try {
        execFileSync('bash', [s!, 'stop', d!], { stdio: 'ignore' });
      } catch {
        // already stopped
      }
    }
  };
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    await stop();
  };
}
