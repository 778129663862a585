import * as os from 'node:os';
import * as path from 'node:path';
import { fsError } from '../fs/errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** --config, else NCLONE_CONFIG, else $XDG_CONFIG_HOME/nclone/nclone.conf, else ~/.config/nclone/nclone.conf. */
export function configPath(flag: string | undefined, env: Env = process.env): string {
  if (flag) return flag;
  if (env.NCLONE_CONFIG) return env.NCLONE_CONFIG;
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'nclone', 'nclone.conf');
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
