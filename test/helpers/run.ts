import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NCLONE = fileURLToPath(new URL('../../bin/nclone', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An environment with no nclone settings and no way to reach cloud metadata services. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NCLONE_') && !k.startsWith('RCLONE_') && !k.startsWith('AWS_')) env[k] = v;
  return { ...env, HOME: home, XDG_CONFIG_HOME: `${home}/.config`, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

/** Runs a program to completion with stdin closed. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
