/**
 * Helpers for test/config.test.ts: a private sandbox (HOME, XDG_CONFIG_HOME, config files)
 * per test file, nclone and rclone run as child processes with stdin closed, byte-exact
 * snapshots of config files, and a tmux driver for rclone's interactive `config` menu.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BIN, childEnv, nclone, runChild, type Result } from '../cli/run.js';

const execFileP = promisify(execFile);

export class Sandbox {
  readonly base: string;
  readonly home: string;
  private counter = 0;

  constructor() {
    this.base = mkdtempSync(path.join(os.tmpdir(), 'nclone-config-'));
    this.home = path.join(this.base, 'home');
    mkdirSync(this.home);
  }

  /** A new directory of its own, for one config file and whatever appears beside it. */
  dir(name: string): string {
    const d = path.join(this.base, `${String(++this.counter).padStart(3, '0')}-${name}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** A not yet existing config file path in a directory of its own. */
  conf(name: string): string {
    return path.join(this.dir(name), 'nclone.conf');
  }

  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return childEnv(this.home, extra);
  }

  /** `nclone ARGS` with stdin closed and no NCLONE_* settings but those given. */
  run(args: string[], extra: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<Result> {
    return nclone(args, { env: this.env(extra), timeoutMs });
  }

  /** `nclone --config FILE ARGS`. */
  nc(file: string, args: string[], extra: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<Result> {
    return this.run(['--config', file, ...args], extra, timeoutMs);
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Runs nclone with stdin an open pipe that never sends anything nor closes (a stuck script). */
export async function ncloneOpenStdin(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Result & { ms: number }> {
  const started = Date.now();
  const r = await runChild(process.execPath, [BIN, ...args], { env, timeoutMs, stdin: 'pipe' });
  return { ...r, ms: Date.now() - started };
}

/** A file's bytes and permission bits, or null when it does not exist. */
export interface FileState {
  bytes: Buffer;
  mode: number;
  mtimeMs: number;
}

export function fileState(file: string): FileState | null {
  if (!existsSync(file)) return null;
  const st = statSync(file);
  return { bytes: readFileSync(file), mode: st.mode & 0o777, mtimeMs: st.mtimeMs };
}

export function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

/** Files beside the config that an edit must never leave behind (temporary files, locks). */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock') || n.includes('.tmp') || n.includes('.lock'));
}

/** A PID that belonged to a process which has exited. */
export function deadPid(): number {
  const out = execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(out);
  // Make sure nobody has taken the number since.
  try {
    process.kill(pid, 0);
    throw new Error(`pid ${pid} was reused at once; run again`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  return pid;
}

// ---------------------------------------------------------------- rclone

/** Where rclone is, or a clear failure: the interop tests need rclone 1.60 on PATH (test/setup.sh installs it). */
export function requireTool(name: string, why: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  throw new Error(`${name} is not installed (not on PATH): ${why}`);
}

/** rclone's environment: the sandbox HOME, no RCLONE_* leaking in, and no AWS_CA_BUNDLE (rclone 1.60 refuses some bundles). */
export function rcloneEnv(sb: Sandbox, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = sb.env({ AWS_CA_BUNDLE: undefined });
  for (const k of Object.keys(env)) if (k.startsWith('RCLONE_')) delete env[k];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function rclone(sb: Sandbox, args: string[], extra: Record<string, string | undefined> = {}): Promise<Result> {
  const bin = requireTool('rclone', 'the config interop tests compare with rclone 1.60');
  return runChild(bin, args, { env: rcloneEnv(sb, extra) });
}

/** Parses `[name]` / `key = value` text (config show output) into sections. */
export function parseSections(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    const s = /^\[(.*)\]$/.exec(t);
    if (s) {
      cur = out[s[1]!] = {};
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0 || !cur) throw new Error(`not config text: ${JSON.stringify(line)}\n${text}`);
    cur[t.slice(0, eq).trim()] = t.slice(eq + 1).trim();
  }
  return out;
}

// ---------------------------------------------------------------- tmux

let tmuxCounter = 0;

/**
 * Drives `rclone --config FILE config` in a detached tmux session through
 * "s) Set configuration password" -> "a) Add Password", so rclone itself encrypts FILE.
 * rclone 1.60 has no non-interactive way to do this.
 */
export async function rcloneSetPasswordInTmux(sb: Sandbox, file: string, password: string): Promise<void> {
  const tmux = requireTool('tmux', 'the interop test drives rclone 1.60\'s interactive "config" menu in tmux to make rclone encrypt a config file; install tmux (test/setup.sh lists it)');
  const rcloneBin = requireTool('rclone', 'the config interop tests compare with rclone 1.60');
  // A socket path inside the sandbox, so removing the sandbox removes it too.
  const socket = path.join(sb.base, `tmux-${++tmuxCounter}.sock`);
  const status = `${file}.rclone-exit`;
  const env = rcloneEnv(sb, { TMUX: undefined, TERM: 'xterm' });
  const t = (args: string[]) => execFileP(tmux, ['-S', socket, '-f', '/dev/null', ...args], { env });
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const screen = async () => (await t(['capture-pane', '-p', '-t', 'cfg'])).stdout;
  const waitFor = async (what: RegExp, step: string) => {
    const deadline = Date.now() + 15_000;
    let last = '';
    while (Date.now() < deadline) {
      last = await screen().catch(() => last);
      if (what.test(last)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`rclone config in tmux: waiting for ${what} (${step}); the screen shows:\n${last}`);
  };
  const send = (...keys: string[]) => t(['send-keys', '-t', 'cfg', ...keys]);
  await t(['new-session', '-d', '-s', 'cfg', '-x', '200', '-y', '60', `${quote(rcloneBin)} --config ${quote(file)} config; echo $? > ${quote(status)}; sleep 5`]);
  try {
    await waitFor(/s\) Set configuration password[\s\S]*e\/n\/d\/r\/c\/s\/q>\s*$/, 'main menu');
    await send('s', 'Enter');
    await waitFor(/a\) Add Password[\s\S]*a\/q>\s*$/, 'the password menu');
    await send('a', 'Enter');
    await waitFor(/Enter NEW configuration password:\s*\n\s*password:\s*$/, 'the first password prompt');
    await send('-l', password);
    await send('Enter');
    await waitFor(/Confirm NEW configuration password:\s*\n\s*password:\s*$/, 'the confirmation prompt');
    await send('-l', password);
    await send('Enter');
    await waitFor(/Your configuration is encrypted\.[\s\S]*c\/u\/q>\s*$/, 'the "encrypted" menu');
    await send('q', 'Enter');
    await waitFor(/e\/n\/d\/r\/c\/s\/q>\s*$/, 'back at the main menu');
    await send('q', 'Enter');
    const deadline = Date.now() + 15_000;
    while (!existsSync(status) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const code = existsSync(status) ? readFileSync(status, 'utf8').trim() : 'none';
    if (code !== '0') throw new Error(`rclone config in tmux exited with ${code}; the screen shows:\n${await screen().catch(() => '')}`);
  } finally {
    await t(['kill-server']).catch(() => undefined);
    rmSync(status, { force: true });
    rmSync(socket, { force: true });
  }
}
