import { fsError } from '../../src/fs/errors.js';
import type { CallOptions, HashType } from '../../src/fs/types.js';
import { logDebug } from '../../src/lib/log.js';
import type { SftpOptions } from './config.js';
import type { Connection } from './connect.js';
import { checkSignal, isConnectionLost } from './errors.js';
import type { SftpPool } from './pool.js';
import { detectHashCommands, exec, hashCommand, parseHash, quoteForShell, shellFromProbe, type ShellType } from './shell.js';

/** What the server's shell can do for this remote, found once (rclone's shell_type detection). */
export interface ServerInfo {
  shell: ShellType;
  /** The command per hash type that works; a type missing here is not offered. */
  hashCommands: Partial<Record<HashType, string>>;
}

const known = new Map<string, Promise<ServerInfo>>();

/** Detected once per server, user and hash settings in this process, shared by every Fs of it. */
export function serverInfo(c: Connection, opt: SftpOptions): Promise<ServerInfo> {
  const key = JSON.stringify([opt.host, opt.port, opt.user, opt.shellType, opt.md5sumCommand, opt.sha1sumCommand, opt.disableHashcheck, opt.env]);
  let p = known.get(key);
  if (!p) {
    p = detect(c, opt);
    known.set(key, p);
    p.catch(() => known.delete(key));
  }
  return p;
}

async function detect(c: Connection, opt: SftpOptions): Promise<ServerInfo> {
  if (opt.disableHashcheck) return { shell: (opt.shellType || 'none') as ShellType, hashCommands: {} };
  let shell: ShellType;
  if (opt.shellType !== '') {
    if (!['unix', 'powershell', 'cmd', 'none'].includes(opt.shellType)) throw fsError('config', `sftp option shell_type: "${opt.shellType}" is not one of unix, powershell, cmd, none`);
    shell = opt.shellType as ShellType;
  } else {
    const r = await exec(c.client, 'echo ${ShellId}%ComSpec%', opt.env).catch((err: unknown) => {
      if (isConnectionLost(err)) throw err;
      return undefined;
    });
    shell = r ? shellFromProbe(r) : 'none';
  }
  const hashCommands = await detectHashCommands(c.client, shell, opt);
  logDebug(`${opt.host}:${opt.port}`, `shell type ${shell}; hashes by ${JSON.stringify(hashCommands)}`);
  return { shell, hashCommands };
}

interface HashHome {
  readonly pool: SftpPool;
  readonly opt: SftpOptions;
  readonly info: ServerInfo;
  readonly root: string;
  path(remote: string): string;
  where(remote: string): string;
}

/** The path the shell sees (path_override: "@dir" puts dir before the remote's own path, "dir" stands for the root). */
function shellPath(home: HashHome, remote: string): string {
  const o = home.opt.pathOverride;
  let p: string;
  if (o === '') p = home.path(remote);
  else if (o.startsWith('@')) p = `${o.slice(1).replace(/\/+$/, '')}/${home.path(remote).replace(/^\/+/, '')}`;
  else p = remote === '' ? o : `${o.replace(/\/+$/, '')}/${remote}`;
  // A relative path starting with "-" would be read as an option by the hash command.
  return p.startsWith('/') ? p : `./${p}`;
}

/** The object's hash by the server's md5sum/sha1sum; '' when the shell can't be asked about this name. */
export async function remoteHash(home: HashHome, remote: string, type: HashType, options?: CallOptions): Promise<string> {
  checkSignal(options);
  const base = home.info.hashCommands[type];
  if (!base) return '';
  const quoted = quoteForShell(home.info.shell, shellPath(home, remote));
  if (quoted === undefined) return '';
  const command = hashCommand(home.info.shell, type, base, quoted);
  const r = await home.pool.run(`${type} of ${home.where(remote)}`, (c) => exec(c.client, command, home.opt.env), { signal: options?.signal });
  const sum = parseHash(type, r.stdout);
  if (r.code !== 0 || sum === undefined) {
    const why = r.stderr.trim().split('\n')[0] ?? '';
    throw fsError('other', `${type} of ${home.where(remote)}: the server's ${base} failed${why ? `: ${why}` : ''}`, { retry: 'noRetry' });
  }
  return sum;
}
