import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ConfigMap } from '../../src/fs/configmap.js';
import { fsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import { reveal } from '../../src/lib/obscure.js';

/** The remote's options, read once from its ConfigMap (see index.ts for their meaning). */
export interface SftpOptions {
  host: string;
  user: string;
  port: number;
  pass: string;
  /** The private key's text (from key_pem or key_file), or '' for none. */
  key: string;
  keyFile: string;
  /** The key came from key_pem (which wins over key_file). */
  keyFromPem: boolean;
  keyPass: string;
  useAgent: boolean;
  /** ask_password: ask on the terminal when the server wants a password and pass is empty. */
  askPassword: boolean;
  useInsecureCipher: boolean;
  disableHashcheck: boolean;
  knownHostsFile: string;
  pathOverride: string;
  setModtime: boolean;
  shellType: string;
  md5sumCommand: string;
  sha1sumCommand: string;
  skipLinks: boolean;
  subsystem: string;
  serverCommand: string;
  useFstat: boolean;
  concurrentReads: boolean;
  concurrentWrites: boolean;
  idleTimeoutMs: number;
  chunkSize: number;
  concurrency: number;
  env: Record<string, string>;
  ciphers: string[];
  keyExchange: string[];
  macs: string[];
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/** rclone stores pass and key_file_pass obscured: a value that does not reveal is a config mistake, named but never shown. */
function revealed(config: ConfigMap, name: string): string {
  const v = config.string(name);
  if (v === '') return '';
  try {
    return reveal(v);
  } catch (err) {
    throw fsError('config', `sftp option ${name}: ${(err as Error).message}`);
  }
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/** set_env: VAR=value pairs, space separated, a pair with spaces in double quotes. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/"([^"]*)"|(\S+)/g)) {
    const pair = m[1] ?? m[2]!;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw fsError('config', `sftp option set_env: "${pair}" is not VAR=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function readOptions(config: ConfigMap, globals: BackendGlobals): SftpOptions {
  const host = config.string('host');
  if (host === '') throw fsError('config', 'sftp: the host option is required');
  const port = config.number('port');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw fsError('config', `sftp option port: ${port} is not a TCP port`);
  const keyFile = expandHome(config.string('key_file'));
  let key = config.string('key_pem').replace(/\\n/g, '\n');
  if (key === '' && keyFile !== '') {
    try {
      key = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw fsError('config', `sftp option key_file: cannot read ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const subsystem = config.string('subsystem');
  if (subsystem === '' && config.string('server_command') === '') throw fsError('config', 'sftp option subsystem: empty: name the subsystem (sftp) or set server_command');
  if (config.string('pubkey_file') !== '') throw fsError('config', 'sftp option pubkey_file (certificate authentication) is not supported by nclone yet');
  const insecure = config.bool('use_insecure_cipher');
  const ciphers = words(config.string('ciphers'));
  const keyExchange = words(config.string('key_exchange'));
  if (insecure && (ciphers.length > 0 || keyExchange.length > 0)) {
    throw fsError('config', 'sftp: use_insecure_cipher must be false when ciphers or key_exchange are set');
  }
  const pass = revealed(config, 'pass');
  const idle = config.number('idle_timeout');
  const chunkSize = config.number('chunk_size');
  if (chunkSize < 1) throw fsError('config', 'sftp option chunk_size must be at least 1 byte');
  void globals;
  return {
    host,
    user: config.string('user') || currentUser(),
    port,
    pass,
    key,
    keyFile,
    keyFromPem: config.string('key_pem') !== '',
    keyPass: revealed(config, 'key_file_pass'),
    useAgent: config.bool('key_use_agent'),
    askPassword: config.bool('ask_password'),
    useInsecureCipher: insecure,
    disableHashcheck: config.bool('disable_hashcheck'),
    knownHostsFile: expandHome(config.string('known_hosts_file')),
    pathOverride: config.string('path_override'),
    setModtime: config.bool('set_modtime'),
    shellType: config.string('shell_type'),
    md5sumCommand: config.string('md5sum_command'),
    sha1sumCommand: config.string('sha1sum_command'),
    skipLinks: config.bool('skip_links'),
    subsystem,
    serverCommand: config.string('server_command'),
    useFstat: config.bool('use_fstat'),
    concurrentReads: !config.bool('disable_concurrent_reads'),
    concurrentWrites: !config.bool('disable_concurrent_writes'),
    idleTimeoutMs: idle > 0 ? idle : 0,
    chunkSize,
    concurrency: Math.max(1, config.number('concurrency')),
    env: parseEnv(config.string('set_env')),
    ciphers,
    keyExchange,
    macs: words(config.string('macs')),
  };
}

/** The login name of this process, rclone's default user. */
function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? '';
  }
}
