/**
 * Runs the real CLI (bin/nclone on the compiled dist/) as a child process, the way a user
 * would: stdin closed, a private HOME and config directory, no NCLONE_* settings leaking
 * in from the calling shell.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/nclone', import.meta.url));

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** process.env without NCLONE_* variables, with HOME and XDG_CONFIG_HOME under home and TZ=UTC. */
export function childEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NCLONE_')) env[k] = v;
  Object.assign(env, { HOME: home, XDG_CONFIG_HOME: `${home}/.config`, AWS_EC2_METADATA_DISABLED: 'true', TZ: 'UTC' });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Closes the read end of stdout after the first chunk (`nclone ls | head -1`). */
  closeStdoutEarly?: boolean;
  /** A file descriptor to give the child as its stdout instead of a pipe. */
  stdoutFd?: number;
  timeoutMs?: number;
}

export function nclone(args: string[], opts: RunOptions): Promise<Result> {
  return runChild(process.execPath, [BIN, ...args], opts);
}

/** Runs any program to completion (killed after timeoutMs), collecting its output. */
export function runChild(cmd: string, args: string[], opts: RunOptions & { stdin?: 'ignore' | 'pipe' }): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: [opts.stdin ?? 'ignore', opts.stdoutFd ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (opts.closeStdoutEarly) child.stdout?.destroy();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin?.destroy();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Non-empty lines of a stream's text. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A failure reported the way the brief asks: exactly one line on stderr, no stack trace, nothing on stdout. */
export function expectOneLineError(r: Result, code: number | number[]): string {
  const codes = Array.isArray(code) ? code : [code];
  expect(codes, `exit code ${r.code}; stderr:\n${r.stderr}`).toContain(r.code);
  expect(lines(r.stderr), `stderr:\n${r.stderr}`).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
  return lines(r.stderr)[0]!;
}
