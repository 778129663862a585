import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { inject } from 'vitest';
import { ConfigMap } from '../../src/fs/configmap.js';
import { DEFAULT_GLOBALS, type BackendGlobals } from '../../src/fs/globals.js';
import { obscure } from '../../src/lib/obscure.js';
import { sftpBackend } from '../../backends/sftp/index.js';
import { newFs, type SftpFs } from '../../backends/sftp/fs.js';

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
