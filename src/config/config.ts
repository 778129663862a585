import { promises as fsp, constants as fsc } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigDocument, ConfigSyntaxError } from './document.js';
import { fsError } from '../fs/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** --config, else NCLONE_CONFIG, else $XDG_CONFIG_HOME/nclone/nclone.conf, else ~/.config/nclone/nclone.conf. */
export function configPath(flag: string | undefined, env: Env = process.env): string {
  if (flag) return flag;
  if (env.NCLONE_CONFIG) return env.NCLONE_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'nclone', 'nclone.conf');
}

const ENCRYPTED_MARKER = 'RCLONE_ENCRYPT_V0:';

/** Reads the config file; a missing file is an empty config, any other problem is a clear error. */
export async function loadConfig(file: string): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ConfigDocument.empty();
    throw fsError('config', `can't read config file ${file}: ${(err as Error).message}`);
  }
  if (isEncrypted(text)) {
    throw fsError('config', `config file ${file} is encrypted, which this version of nclone can't read yet: decrypt it with "rclone config encryption remove"`);
  }
  try {
    return ConfigDocument.parse(text);
  } catch (err) {
    if (err instanceof ConfigSyntaxError) {
      throw fsError('config', `config file ${file} line ${err.line}: ${err.message}: fix or remove that line`);
    }
    throw err;
  }
}

/**
 * rclone writes an encrypted config as "# Encrypted rclone configuration File", a blank
 * line, then the marker line; like rclone's reader, skip comments and blank lines first.
 */
function isEncrypted(text: string): boolean {
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    return t.startsWith(ENCRYPTED_MARKER);
  }
  return false;
}

/** Writes atomically (temporary file, fsync, rename) with mode 0600. */
export async function saveConfig(file: string, doc: ConfigDocument): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await handle.writeFile(doc.toString(), 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/** The NCLONE_CONFIG_<NAME>_ prefix for a remote, as rclone derives it. */
export function remoteEnvPrefix(name: string): string {
  return `NCLONE_CONFIG_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

/** Options for a remote from NCLONE_CONFIG_<NAME>_<KEY> variables, keys lower-cased. */
export function remoteFromEnv(name: string, env: Env): Record<string, string> {
  const prefix = remoteEnvPrefix(name);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && k.startsWith(prefix) && k.length > prefix.length) out[k.slice(prefix.length).toLowerCase()] = v;
  }
  return out;
}

/** Remote names defined by NCLONE_CONFIG_<NAME>_TYPE, lower-cased as rclone lists them. */
export function envRemoteNames(env: Env): string[] {
  const names: string[] = [];
  for (const k of Object.keys(env)) {
    const m = /^NCLONE_CONFIG_(.+)_TYPE$/.exec(k);
    if (m && env[k]) names.push(m[1]!.toLowerCase());
  }
  return names.sort();
}

/**
 * Replaces ${VAR} in config file values with environment variables, so a config file can be
 * committed without its secrets. An unset variable is an error naming it; $${ writes a literal ${.
 */
export function expandEnvRefs(values: Record<string, string>, env: Env, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const v = env[name];
      if (v === undefined) throw fsError('config', `${where}: option ${key} uses \${${name}}, which is not set: export ${name} or edit the value`);
      return v;
    });
  }
  return out;
}
