/**
 * The temporary files downloads are written to before the rename into place, and what
 * happens to those an interrupted run left behind.
 *
 * A name is `.nclone-<token>-<pid>-<counter>.partial`: token is 8 hex digits (4 from a hash
 * of the host name, 4 random per process), pid the writing process, counter one per write.
 * Names of earlier versions, `.nclone-<8 hex>-<counter>.partial`, are recognised too.
 *
 * Which files are leftovers (safe to remove) and which belong to a writer that is still at
 * work, possibly another nclone writing into the same directory right now:
 *
 * - a file changed (ctime or mtime) since this process started is never touched: its
 *   writer may be alive. ctime counts because the writer sets the file's mtime to the
 *   source's (old) time just before the rename, but that very call moves the ctime to now;
 * - a file written on this host by a process that no longer exists (kill(pid, 0) says
 *   ESRCH) is a leftover: a dead process never comes back to rename it;
 * - anything else (another host on a shared disk, an old-style name without a pid, or a
 *   pid that is alive now but may have been reused since) only once it has not changed
 *   for STALE_MS. A live writer changes its file at least every --timeout (5 minutes by
 *   default) while data flows, so an hour without a change means nobody is writing it.
 *
 * Age alone would remove a slow concurrent writer's file; a pid alone would be fooled by
 * pid reuse and by writers on other hosts or in other pid namespaces. Together, the worst
 * a wrong guess can do is make a live writer's rename fail (it then retries the file):
 * never lose data under a real name.
 */
import { promises as fsp, unlinkSync, type Stats } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as path from 'node:path';
import type { CallOptions, CleanupOptions } from '../../src/fs/types.js';
import { log } from '../../src/lib/log.js';
import { checkSignal, mapError } from './errors.js';
import { processAlive } from '../../src/lib/process.js';

/** A temp file unchanged for this long is no writer's any more, whatever its pid says. */
export const STALE_MS = 60 * 60 * 1000;

const HOST_TAG = createHash('sha1').update(hostname()).digest('hex').slice(0, 4);
const TOKEN = HOST_TAG + randomBytes(2).toString('hex');
const PREFIX = `.nclone-${TOKEN}-${process.pid}-`;
let counter = 0;

/** When this process started (ms since the epoch): files changed before that are from earlier runs. */
export const PROCESS_START_MS = performance.timeOrigin;

const TEMP_NAME = /^\.nclone-([0-9a-f]{8})-(?:(\d{1,10})-)?([0-9a-z]+)\.partial$/;

/** A fresh temporary file name, unique per process and per write. */
export function tempName(): string {
  return `${PREFIX}${(counter++).toString(36)}.partial`;
}

/** Whether an OS file name is one of nclone's temporary names (this run's or another's). */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}


/** Whether a temporary file was left by a run that is over (see the top of this file). */
export function isLeftover(name: string, st: Pick<Stats, 'ctimeMs' | 'mtimeMs'>, now = Date.now()): boolean {
  const m = TEMP_NAME.exec(name);
  if (!m) return false;
  const [, token, pidText] = m;
  const pid = pidText === undefined ? undefined : Number(pidText);
  if (token === TOKEN && pid === process.pid) return false; // this process's own
  const changed = Math.max(st.ctimeMs, st.mtimeMs);
  if (changed >= PROCESS_START_MS) return false;
  // pid 0 and 1 are never an nclone (and kill(0, 0) would signal our own group).
  if (pid !== undefined && pid > 1 && token.slice(0, 4) === HOST_TAG && !processAlive(pid)) return true;
  return now - changed > STALE_MS;
}

// Temporary files this process has open, removed synchronously when it exits, however
// it exits: a second Ctrl-C (process.exit(130) from the signal handler) never gives the
// writers' own cleanup a chance to run, and neither does an uncaught exception.
const open = new Set<string>();
let exitHook = false;

export function registerTemp(p: string): void {
  open.add(p);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', removeOpenTempsSync);
  }
}

export function unregisterTemp(p: string): void {
  open.delete(p);
}

/** Removes every temporary file still being written. Only for the 'exit' hook and tests. */
export function removeOpenTempsSync(): void {
  for (const p of open) {
    try {
      unlinkSync(p);
    } catch {
      // already renamed or removed
    }
  }
  open.clear();
}

/** Removes one leftover, or says what would be removed; errors are reported, not thrown. */
async function removeLeftover(p: string, subject: string, dryRun: boolean, options: CallOptions): Promise<void> {
  if (dryRun) {
    log('NOTICE', subject, 'Skipped delete of a temporary file left by an interrupted run as --dry-run is set');
    return;
  }
  try {
    await fsp.rm(p, { force: true });
    log('INFO', subject, 'Deleted a temporary file left by an interrupted run');
  } catch (err) {
    report(options, subject, mapError(err, `remove ${p}`));
  }
}

function report(options: CallOptions, subject: string, err: unknown): void {
  if (options.report) options.report(subject, err);
  else log('ERROR', subject, (err as Error).message ?? String(err));
}

/** The leftovers directly inside dir, with the stat that decided it. */
async function leftoversIn(dir: string, names: string[], maxAgeMs?: number): Promise<string[]> {
  const now = Date.now();
  const found: string[] = [];
  for (const name of names) {
    if (!isTempName(name)) continue;
    const p = path.join(dir, name);
    const st = await fsp.lstat(p).catch(() => undefined);
    if (st === undefined || st.isDirectory() || !isLeftover(name, st, now)) continue;
    if (maxAgeMs !== undefined && now - Math.max(st.ctimeMs, st.mtimeMs) < maxAgeMs) continue;
    found.push(p);
  }
  return found;
}

/**
 * Removes the leftovers directly inside dir; never fails (a directory that cannot be read
 * is simply not swept). Returns how many names remain that are not leftovers.
 */
export async function sweepDir(dir: string, root: string): Promise<number> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const gone = await leftoversIn(dir, names);
  for (const p of gone) await removeLeftover(p, path.relative(root, p), false, {});
  return names.length - gone.length;
}

// Directories swept by this process: each is swept before the first write into it.
const swept = new Map<string, Promise<void>>();
const DONE = Promise.resolve();

/**
 * Sweeps dir once per process, before the first write into it. Concurrent first writes
 * wait for the same sweep. fresh: the directory was just made, so there is nothing to sweep.
 */
export function sweepOnce(dir: string, root: string, fresh: boolean): Promise<void> {
  const known = swept.get(dir);
  if (known) return known;
  // Forgetting costs only a repeated readdir; keeps memory flat on huge trees.
  if (swept.size > 50_000) swept.clear();
  if (fresh) {
    swept.set(dir, DONE);
    return DONE;
  }
  const p = sweepDir(dir, root).then(() => {
    swept.set(dir, DONE);
  });
  swept.set(dir, p);
  return p;
}

/** Lets a directory be swept again (after rmdir or purge it may be made anew). */
export function forgetSwept(): void {
  swept.clear();
}

/**
 * Fs.cleanup for the local backend: removes the leftovers anywhere under root (symlinked
 * directories are not followed). maxAgeMs further limits it to files unchanged for that long.
 */
export async function cleanupTree(root: string, options: CleanupOptions = {}): Promise<void> {
  checkSignal(options);
  const st = await fsp.stat(root).catch((err) => {
    throw mapError(err, `cleanup ${root}`, 'dirNotFound');
  });
  if (!st.isDirectory()) throw mapError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), `cleanup ${root}`);
  const dirs = [root];
  while (dirs.length > 0) {
    checkSignal(options);
    const dir = dirs.pop()!;
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw mapError(err, `cleanup ${dir}`, 'dirNotFound');
      report(options, path.relative(root, dir), mapError(err, `cleanup ${dir}`, 'dirNotFound'));
      continue;
    }
    for (const e of entries) if (e.isDirectory()) dirs.push(path.join(dir, e.name));
    for (const p of await leftoversIn(dir, entries.map((e) => e.name), options.maxAgeMs)) {
      checkSignal(options);
      await removeLeftover(p, path.relative(root, p), options.dryRun === true, options);
    }
  }
}
