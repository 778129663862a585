import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { fsError } from '../fs/errors.js';
import type { Env } from './config.js';
import { isEncrypted } from './encrypted.js';
import { ConfigDocument, ConfigSyntaxError } from './document.js';
import { processAlive } from '../lib/process.js';

/** Where the password of an encrypted config comes from. */
export interface PasswordSource {
  env: Env;
  /** --password-command: run by the shell; the first line it prints is the password. */
  passwordCommand?: string;
  /** Asks on the terminal when nothing else gives a password. */
  prompt?: (message: string) => Promise<string>;
}

/** A config as read: the document, and the password when the file is encrypted (so a save keeps it encrypted). */
export interface LoadedConfig {
  doc: ConfigDocument;
  password?: string;
}

/** NCLONE_CONFIG_PASS, else --password-command, else a prompt, else a clear error. */
export async function configPassword(src: PasswordSource, file: string): Promise<string> {
  if (src.env.NCLONE_CONFIG_PASS) return src.env.NCLONE_CONFIG_PASS;
  if (src.passwordCommand) {
    let out: string;
    try {
      // Loaded here only: node:child_process costs a few ms at every start otherwise.
      const { execFile } = await import('node:child_process');
      out = (await promisify(execFile)('/bin/sh', ['-c', src.passwordCommand])).stdout;
    } catch (err) {
      throw fsError('config', `--password-command failed: ${String((err as Error).message).split('\n')[0]}`);
    }
    const pass = out.split(/\r?\n/)[0] ?? '';
    if (pass === '') throw fsError('config', '--password-command printed no password');
    return pass;
  }
  if (src.prompt) return src.prompt(`Enter the configuration password for ${file}:`);
  throw fsError('config', `config file ${file} is encrypted: set NCLONE_CONFIG_PASS or use --password-command`);
}

/** Reads the config file; a missing file is an empty config, any other problem is a clear error. */
export async function loadConfig(file: string, passwords?: PasswordSource): Promise<LoadedConfig> {
  let text: string;
  try {
    text = (await fsp.readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { doc: ConfigDocument.empty() };
    throw fsError('config', `can't read config file ${file}: ${(err as Error).message}`);
  }
  let password: string | undefined;
  if (isEncrypted(text)) {
    if (!passwords) throw fsError('config', `config file ${file} is encrypted: set NCLONE_CONFIG_PASS or use --password-command`);
    password = await configPassword(passwords, file);
    // tweetnacl is loaded for encrypted files only.
    text = (await import('./crypt.js')).decryptConfig(text, password, file);
  }
  try {
    return { doc: ConfigDocument.parse(text), password };
  } catch (err) {
    if (err instanceof ConfigSyntaxError) throw fsError('config', `config file ${file} line ${err.line}: ${err.message}: fix or remove that line`);
    throw err;
  }
}

/** Writes atomically (temporary file, fsync, rename) with mode 0600; encrypted when a password is given. */
export async function saveConfig(file: string, doc: ConfigDocument, password?: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      await handle.writeFile(password === undefined ? doc.toString() : (await import('./crypt.js')).encryptConfig(doc.toString(), password), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw fsError('config', `can't write config file ${file}: ${(err as Error).message}`);
  }
}

/**
 * Runs a read-modify-write of the config file under a lock file beside it, so two nclone
 * processes editing at once never lose each other's changes. A lock whose owner has died
 * is taken over.
 */
export async function withConfigLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const lock = `${file}.lock`;
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let owner = 0;
    try {
      if (await createPidFile(lock)) break;
      owner = await pidIn(lock);
      if (owner > 0 && !processAlive(owner) && (await removeStaleLock(lock, owner))) continue;
    } catch (err) {
      throw fsError('config', `can't lock config file ${file}: ${(err as Error).message}`);
    }
    if (Date.now() > deadline) throw fsError('config', `config file ${file} is locked by process ${owner || '?'}: remove ${lock} if that process is gone`);
    await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lock, { force: true });
  }
}

/**
 * Creates a file holding this process's PID, only if there is none: written aside and then
 * linked into place, so nobody ever sees it empty and a crash can't leave an empty one.
 */
async function createPidFile(p: string): Promise<boolean> {
  const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, String(process.pid), { mode: 0o600, flag: 'wx' });
  try {
    await fsp.link(tmp, p);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // A file system without hard links: create in place (an instant where it is empty).
    try {
      await fsp.writeFile(p, String(process.pid), { mode: 0o600, flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

async function pidIn(p: string): Promise<number> {
  const n = Number((await fsp.readFile(p, 'utf8').catch(() => '')).trim());
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/**
 * Removes a lock left by a dead process. Several processes may find it stale at once; had
 * each simply removed it, a late one would delete the lock another had just taken in its
 * place, and two edits would run together. So the removal happens under a second lock, and
 * only if the lock file still names the dead process.
 */
async function removeStaleLock(lock: string, deadOwner: number): Promise<boolean> {
  const breaker = `${lock}.break`;
  if (!(await createPidFile(breaker))) {
    // Someone else is removing it; or died doing so, in the instant it takes.
    const other = await pidIn(breaker);
    if (other > 0 && !processAlive(other)) await fsp.rm(breaker, { force: true });
    return false;
  }
  try {
    if ((await pidIn(lock)) === deadOwner) await fsp.rm(lock, { force: true });
    return true;
  } finally {
    await fsp.rm(breaker, { force: true });
  }
}

