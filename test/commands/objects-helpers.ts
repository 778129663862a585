/**
 * Running bin/nclone and rclone with bytes in and bytes out, for the single-object commands
 * (cat, rcat, copyto, touch, deletefile): stdout is kept as a Buffer (cat prints binary
 * data), stdin can be fed, and the child can be signalled once its stderr shows something.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { NCLONE } from '../helpers/run.js';

export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export interface BinOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is closed from the start. */
  stdin?: Buffer;
  /** Called once the child runs, with its stdin still open (stdin must then be 'keep'). */
  feed?: (child: ChildProcess) => void;
  /** Closes the read end of stdout after the first chunk (`nclone cat big | head -c 1`). */
  closeStdoutEarly?: boolean;
  /** A file descriptor to give the child as its stdout. */
  stdoutFd?: number;
  /** Called with stderr so far each time more arrives. */
  onStderr?: (stderr: string, child: ChildProcess) => void;
  timeoutMs?: number;
  /** In a new session, without a controlling terminal (as under cron). */
  detached?: boolean;
}

export function runBin(cmd: string, args: string[], opts: BinOptions): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const fed = opts.stdin !== undefined || opts.feed !== undefined;
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: opts.detached, stdio: [fed ? 'pipe' : 'ignore', opts.stdoutFd ?? 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out.push(d);
      if (opts.closeStdoutEarly) child.stdout?.destroy();
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    // A child that exits before reading all its input closes the pipe: not the test's failure.
    child.stdin?.on('error', () => undefined);
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    if (opts.feed) opts.feed(child);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr });
    });
  });
}

export function ncloneBin(args: string[], opts: BinOptions): Promise<BinResult> {
  return runBin(process.execPath, [NCLONE, ...args], opts);
}

/** Deterministic pseudo-random bytes (xorshift), so a failure repeats. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Success with nothing on stderr (shown when not). */
export function expectQuietOk(r: BinResult): void {
  expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(0);
  expect(r.stderr).toBe('');
}

/** A failure reported as one line on stderr with this exit code, no stack, nothing on stdout; returns the line. */
export function expectOneLine(r: BinResult, code: number): string {
  expect(r.code, `exit ${r.code}; stderr:\n${r.stderr}`).toBe(code);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stdout.length).toBe(0);
  return lines[0]!;
}

/** Log lines without their date and time. */
export function messages(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /, ''));
}
