import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inject } from 'vitest';
import { ConfigMap } from '../../src/fs/configmap.js';
import { DEFAULT_GLOBALS, type BackendGlobals } from '../../src/fs/globals.js';
import { obscure } from '../../src/lib/obscure.js';
import { sftpBackend } from '../../backends/sftp/index.js';
import { newFs, type SftpFs } from '../../backends/sftp/fs.js';
import { run } from './run.js';

/** The test sshd's address, user, keys and writable directory, as the global setup started it. */
export function sftpServer() {
  return inject('sftp');
}

/** Options for a remote on the test sshd with key auth; extra values override. */
export function sftpOptions(extra: Record<string, string> = {}): Record<string, string> {
  const s = sftpServer();
  return { host: s.host, port: String(s.port), user: s.user, key_file: s.keyFile, ...extra };
}

/** Options logging in with the passphrase-protected key (key_file_pass stored obscured, as rclone does). */
export function sftpEncryptedKeyOptions(extra: Record<string, string> = {}): Record<string, string> {
  const s = sftpServer();
  return sftpOptions({ key_file: s.encryptedKeyFile, key_file_pass: obscure(s.keyPassphrase), ...extra });
}

/** A fresh, empty directory on the server (an absolute path, also reachable on this machine). */
export function sftpScratch(prefix = 'test'): string {
  const dir = path.join(sftpServer().dir, `${prefix}-${randomBytes(5).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function sftpFs(root: string, values: Record<string, string> = sftpOptions(), globals: BackendGlobals = DEFAULT_GLOBALS): Promise<{ fs: SftpFs; file?: string }> {
  const res = await newFs('sftp', root, new ConfigMap(sftpBackend.options, [{ source: 'test', values }]), globals);
  return res as { fs: SftpFs; file?: string };
}

/** A connection string for the test sshd, for child processes: `:sftp,host=...,key_file=...:`. */
export function sftpConnectionString(extra: Record<string, string> = {}): string {
  return ':sftp,' + Object.entries(sftpOptions(extra)).map(([k, v]) => `${k}='${v.replace(/'/g, "''")}'`).join(',') + ':';
}

/** An rclone.conf / nclone.conf section for a remote on the test sshd. */
export function sftpConfigSection(name: string, extra: Record<string, string> = {}): string {
  return [`[${name}]`, 'type = sftp', ...Object.entries(sftpOptions(extra)).map(([k, v]) => `${k} = ${v}`), ''].join('\n');
}

/** A private home for CLI runs, and an environment without the caller's nclone, rclone or agent settings. */
export function cliHome(prefix: string): { home: string; env: NodeJS.ProcessEnv } {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), AWS_EC2_METADATA_DISABLED: 'true' };
  for (const k of Object.keys(env)) if (/^(NCLONE_|RCLONE_|SSH_AUTH_SOCK$)/.test(k)) delete env[k];
  return { home, env };
}

/** PIDs of the test sshd's processes serving the connection whose client end is localPort. */
export async function serverSide(localPort: number): Promise<number[]> {
  const r = await run('ss', ['-Htnp', 'state', 'established', `( dport = :${localPort} and sport = :${sftpServer().port} )`], process.env);
  return [...new Set([...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
}
