/**
 * Starts one throwaway Ceph RADOS Gateway on 127.0.0.1 for the whole test run and stops
 * it at the end, also when tests fail. Tests read its address with inject('s3').
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./ceph-rgw.sh', import.meta.url));

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The cluster's directory, for `ceph-rgw.sh admin DIR ...`. */
  dir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3Server;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The SDK's notice about its future Node requirement is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const parent = mkdtempSync(path.join(os.tmpdir(), 'nclone-rgw-'));
  // In-process tests keep upload journals and the S3 metadata cache here, never in ~/.cache.
  process.env.NCLONE_CACHE_DIR ??= path.join(parent, 'cache');
  const dir = path.join(parent, 'cluster');
  const stop = async () => {
    await run('bash', [script, 'stop', dir]).catch(() => undefined);
    rmSync(parent, { recursive: true, force: true });
  };
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [script, 'start', dir], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    await stop();
    throw new Error(`could not start the Ceph RGW test server: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  const vars = Object.fromEntries(stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const server: S3Server = {
    endpoint: vars.S3_ENDPOINT!,
    accessKeyId: vars.S3_ACCESS_KEY_ID!,
    secretAccessKey: vars.S3_SECRET_ACCESS_KEY!,
    region: vars.S3_REGION ?? 'us-east-1',
    dir,
  };
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(server.endpoint)) {
    await stop();
    throw new Error(`the test server must listen on 127.0.0.1, got ${server.endpoint}`);
  }
  project.provide('s3', server);
  // If the run dies before teardown, still stop the daemons this run started.
  const onExit = () => {
    try {
      execFileSync('bash', [script, 'stop', dir], { stdio: 'ignore' });
    } catch {
      // already stopped
    }
  };
  process.once('exit', onExit);
  return async () => {
    process.off('exit', onExit);
    await stop();
  };
}
