import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NCLONE = fileURLToPath(new URL('../../bin/nclone', import.meta.url));

export interface RunResult {
  /** The exit code, or -1 when a signal ended the child. */
  code: number;
  /** The signal that ended the child, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child outlived RunOptions.timeoutMs and was killed. */
  timedOut: boolean;
  /** RunOptions.signalWhen's signal was sent. */
  signalled: boolean;
}

export interface RunOptions {
  /**
   * Kills the child (SIGKILL, through its own handle) if it runs longer than this, so a
   * run that would hang fails its test with what it printed instead of timing out.
   */
  timeoutMs?: number;
  /** Called with each piece of stderr as it arrives, and the child, e.g. to signal it. */
  onStderr?: (text: string, child: ChildProcess) => void;
  /** Sends `signal` to the child once `ready()` says so (asked every everyMs, default 100). */
  signalWhen?: { ready: () => boolean | Promise<boolean>; signal: NodeJS.Signals; everyMs?: number };
}

/** An environment with no nclone settings and no way to reach cloud metadata services. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NCLONE_') && !k.startsWith('RCLONE_') && !k.startsWith('AWS_')) env[k] = v;
  return { ...env, HOME: home, XDG_CONFIG_HOME: `${home}/.config`, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** Runs a program to completion with stdin closed. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let signalled = false;
    const when = options.signalWhen;
    let asking = false;
    const poll =
      when === undefined
        ? undefined
        : setInterval(async () => {
            if (signalled || asking) return;
            asking = true;
            try {
              if (await when.ready()) {
                signalled = true;
                child.kill(when.signal);
              }
            } finally {
              asking = false;
            }
          }, when.everyMs ?? 100);
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(d, child);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ code: code ?? -1, signal, stdout, stderr, timedOut, signalled });
    });
  });
}
