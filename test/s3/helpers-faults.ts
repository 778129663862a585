/**
 * For CLI tests that put the fault proxy (test/servers/fault-proxy.ts) between nclone and
 * the test RGW: runs bin/nclone with the remote `rgw` pointed at another endpoint, and
 * kills the run (the child run() started, by its own handle) if it outlives its time, so a
 * listing that would loop forever fails the test instead of hanging it.
 */
import * as nfs from 'node:fs';
import * as path from 'node:path';
import { NCLONE, run, type RunResult } from '../helpers/run.js';

/** A result that says whether the run was killed for outliving its time. */
export type TimedResult = RunResult;

export function runNclone(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<TimedResult> {
  return run(NCLONE, args, env, { timeoutMs });
}

/** The environment of makeCli with the remote `rgw` reaching the server at endpoint instead. */
export function via(env: NodeJS.ProcessEnv, endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...env, NCLONE_CONFIG_RGW_ENDPOINT: endpoint, ...extra };
}

/** A local tree of n files in two directories; returns their relative paths. */
export function localTree(root: string, n = 6): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const rel = i % 2 === 0 ? `keep-${i}.txt` : `sub/keep-${i}.txt`;
    nfs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    nfs.writeFileSync(path.join(root, rel), `local file ${i}\n`);
    names.push(rel);
  }
  return names.sort();
}

/** Every file under root, relative, sorted. */
export function filesUnder(root: string): string[] {
  if (!nfs.existsSync(root)) return [];
  return (nfs.readdirSync(root, { recursive: true, withFileTypes: true }) as nfs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(root, path.join(d.parentPath, d.name)))
    .sort();
}
