import type { Client } from 'ssh2';
import type { HashType } from '../../src/fs/types.js';
import type { SftpOptions } from './config.js';
import { ConnectionLost, isConnectionLost } from './errors.js';

export type ShellType = 'unix' | 'powershell' | 'cmd' | 'none';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function isWritable(client: Client): boolean {
  const sock = (client as unknown as { _sock?: { writable?: boolean; destroyed?: boolean } })._sock;
  return !!sock && sock.writable === true && sock.destroyed !== true;
}

/** Runs one command over the connection (a session channel, not the SFTP one). */
export function exec(client: Client, command: string, env: Record<string, string>): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const opts = Object.keys(env).length > 0 ? { env } : {};
    client.exec(command, opts, (err, ch) => {
      if (err) return reject(err);
      const out: Buffer[] = [];
      const errOut: Buffer[] = [];
      let code: number | null = null;
      let exited = false;
      ch.on('data', (d: Buffer) => out.push(d));
      ch.stderr.on('data', (d: Buffer) => errOut.push(d));
      ch.on('exit', (c: number | null) => {
        exited = true;
        code = c;
      });
      ch.on('close', () => {
        // Closed without an exit status: the connection went, not the command.
        if (!exited && !isWritable(client)) return reject(new ConnectionLost('the connection closed while a command ran'));
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
      });
      ch.on('error', reject);
      ch.end();
    });
  });
}

/**
 * Which shell the server runs commands in, by what `echo ${ShellId}%ComSpec%` prints
 * (rclone's probe): a POSIX shell expands neither, PowerShell the first, cmd the second.
 */
export function shellFromProbe(r: ExecResult): ShellType {
  if (r.code !== 0) return 'none';
  const out = r.stdout.trim();
  if (out === '%ComSpec%') return 'unix';
  if (out.startsWith('${ShellId}')) return 'cmd';
  if (out.endsWith('%ComSpec%')) return 'powershell';
  return 'none';
}

/**
 * A path as one word of the given shell, or undefined when it can't be made one safely.
 * The name is data: it must never be expanded or executed, whatever it holds.
 */
export function quoteForShell(shell: ShellType, p: string): string | undefined {
  // A relative path starting with "-" would be read as an option ("-" as standard input,
  // whose empty hash would pass for the file's): anchor it to the current directory.
  if (p.startsWith('-')) p = `./${p}`;
  switch (shell) {
    case 'unix':
      // A backslash before a backslash, a quote or the end is read as an escape inside
      // single quotes by fish (a login shell shell_type = unix may be set for by hand),
      // which could end the quoting early: such names get no hash.
      if (/\\(\\|'|$)/.test(p)) return undefined;
      // In single quotes nothing is special but the quote itself, closed and escaped.
      return `'${p.replace(/'/g, `'\\''`)}'`;
    case 'powershell':
      // -LiteralPath takes the name without wildcards; in single quotes only ' (and its curly forms) is special.
      return `'${p.replace(/['\u2018\u2019\u201a\u201b]/g, (c) => c + c)}'`;
    case 'cmd':
      // cmd has no quoting that stops %VAR% or ^ inside quotes: such names get no hash.
      return /["%^!&|<>\r\n\u0000-\u001f]/.test(p) ? undefined : `"${p}"`;
    default:
      return undefined;
  }
}

const EMPTY: Record<HashType, string> = { md5: 'd41d8cd98f00b204e9800998ecf8427e', sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' };

/** The command line that prints the hash of quoted (a shell word), for the shell type. */
export function hashCommand(shell: ShellType, type: HashType, base: string, quoted: string): string {
  if (shell === 'powershell') return `&{(Get-FileHash -Algorithm ${type.toUpperCase()} -LiteralPath ${quoted}).Hash.toLower()}`;
  return `${base} ${quoted}`;
}

/** The first hex word of a hash command's output (md5sum escapes names with a leading "\"). */
export function parseHash(type: HashType, stdout: string): string | undefined {
  const m = /^\\?([0-9a-fA-F]+)/.exec(stdout.trim());
  const want = EMPTY[type].length;
  return m && m[1]!.length === want ? m[1]!.toLowerCase() : undefined;
}

/**
 * Finds the hash commands that work: the configured ones, else md5sum/sha1sum, else the
 * BSD md5 -r / sha1 -r, each tried on empty input and kept only if it gives the right sum.
 */
export async function detectHashCommands(client: Client, shell: ShellType, opt: SftpOptions): Promise<Partial<Record<HashType, string>>> {
  const out: Partial<Record<HashType, string>> = {};
  if (opt.disableHashcheck || shell === 'none') return out;
  if (shell === 'powershell') return { md5: 'Get-FileHash', sha1: 'Get-FileHash' };
  if (shell === 'cmd') return out;
  const tries: Record<HashType, string[]> = {
    md5: opt.md5sumCommand !== '' ? [opt.md5sumCommand] : ['md5sum', 'md5 -r'],
    sha1: opt.sha1sumCommand !== '' ? [opt.sha1sumCommand] : ['sha1sum', 'sha1 -r'],
  };
  for (const type of ['md5', 'sha1'] as const) {
    for (const cmd of tries[type]) {
      if (cmd === 'none') break;
      // A command the server lacks is a failed exit; a connection that breaks is not an answer.
      const r = await exec(client, `${cmd} </dev/null`, opt.env).catch((err: unknown) => {
        if (isConnectionLost(err)) throw err;
        return undefined;
      });
      if (r?.code === 0 && parseHash(type, r.stdout) === EMPTY[type]) {
        out[type] = cmd;
        break;
      }
    }
  }
  return out;
}
