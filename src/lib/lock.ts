import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import { processAlive } from './process.js';

/**
 * --lock-file: at most one run at a time per lock file.
 *
 * Why a file created with O_EXCL rather than flock(2): Node has no flock without a native
 * module; O_EXCL creation is atomic on local filesystems and on NFSv3+, and the file can
 * say who holds it, so a refused run names the holder's PID. The cost is that a run killed
 * with SIGKILL (or a power loss) leaves the file behind: the next run finds that the PID it
 * names is gone (or is now another program, by its start time in /proc) and takes the lock
 * over. `flock -n` around the command is the alternative for those who prefer the kernel
 * to drop the lock with the process (docs/cron.md).
 */


/** What a lock file holds: enough to tell whether its holder still runs, and to name it. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When the holder took the lock (ISO 8601). */
  since: string;
  /** The holder's start time in clock ticks after boot (Linux /proc/PID/stat), to spot a reused PID. */
  procStart?: string;
}

export type LockResult =
  | { acquired: true; lock: HeldLock; staleHolder?: LockHolder }
  | { acquired: false; holder?: LockHolder; reason: string };

/** A writer of a lock file has a moment between creating it and writing it: how long to wait for the content. */
const CONTENT_WAIT_MS = 1000;
/** A takeover guard older than this was left by a run that died while taking over. */
const GUARD_STALE_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The 22nd field of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, since: String(v.since ?? ''), procStart: typeof v.procStart === 'string' ? v.procStart : undefined };
    }
  } catch {
    // Not (yet) a complete record.
  }
  return undefined;
}

/** Whether the holder may still be running. A holder on another host can't be checked: it is assumed alive. */
function holderAlive(h: LockHolder): boolean {
  if (h.host !== os.hostname()) return true;
  if (!processAlive(h.pid)) return false;
  const now = procStart(h.pid);
  return h.procStart === undefined || now === undefined || now === h.procStart;
}

/** Creates the file only if it does not exist, with the content written at once. EEXIST when it does. */
function createExclusive(file: string, content: string): void {
  const fd = openSync(file, 'wx', 0o644);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

/** A lock record is under 200 bytes: more than this is not one (and is not read further). */
const MAX_RECORD = 4096;

/**
 * The text of the lock file, or undefined when there is none. The lock may sit in a
 * directory every user can write (/run/lock): what is found there may have been put there
 * by someone else. A symbolic link is not followed (it could lead to /dev/zero, read
 * forever), a FIFO is not waited on (a read would block the run beyond the reach of
 * signals), and only the first few kilobytes of a regular file are read.
 */
function readText(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw notALock('it is a symbolic link, which nclone never makes');
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile()) throw notALock('it is not a regular file (a FIFO or a device), which nclone never makes');
    const buf = Buffer.alloc(MAX_RECORD);
    const n = readSync(fd, buf, 0, MAX_RECORD, 0);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

/** What is at the lock's path was not made by nclone: the run stops with this (a usage error), the file stays. */
function notALock(what: string): Error {
  return new Error(`${what}: remove it, or give another path`);
}

/**
 * Removes `file` if it still holds `stale`. Only a lock whose holder is dead is ever
 * removed by another run, and only under FILE.takeover (itself created with O_EXCL): two
 * runs that both found the same dead holder can't both remove it, the second would remove
 * the first one's fresh lock. 'busy': another run is taking over right now.
 */
function removeStale(file: string, stale: string): 'removed' | 'changed' | 'busy' {
  const guard = `${file}.takeover`;
  try {
    createExclusive(guard, String(process.pid));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkSync(guard);
    } catch {
      // Gone meanwhile: the next attempt creates it.
    }
    return 'busy';
  }
  try {
    if (readText(file) !== stale) return 'changed';
    unlinkSync(file);
    return 'removed';
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      // Removed by a run that found it older than GUARD_STALE_MS (this one was stopped that long).
    }
  }
}

/**
 * Takes the lock, or says who holds it. Synchronous, so that it is decided before any
 * other work of the run starts. Throws the system error for a path that can't be a lock
 * file (missing directory, no permission).
 */
export function acquireLock(file: string): LockResult {
  const me: LockHolder = { pid: process.pid, host: os.hostname(), since: new Date().toISOString(), procStart: procStart(process.pid) };
  const content = JSON.stringify(me) + '\n';
  let staleHolder: LockHolder | undefined;
  const deadline = Date.now() + CONTENT_WAIT_MS;
  for (;;) {
    try {
      createExclusive(file, content);
      return { acquired: true, lock: new HeldLock(file, content), staleHolder };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = readText(file);
    if (text === undefined) continue; // released between our two calls: try again
    const holder = parseHolder(text);
    if (holder === undefined) {
      // Just created by another run that has not written it yet, or not a lock of ours.
      if (Date.now() < deadline) {
        sleepSync(20);
        continue;
      }
      return { acquired: false, reason: `it holds no lock record nclone can read; delete it if no nclone run is using it` };
    }
    if (holderAlive(holder)) return { acquired: false, holder, reason: 'another run is still going' };
    const removed = removeStale(file, text);
    if (removed === 'removed') staleHolder = holder;
    else if (removed === 'busy') {
      if (Date.now() >= deadline) return { acquired: false, holder, reason: 'another run is taking the lock over' };
      sleepSync(20);
    }
  }
}

/**
 * A lock this process holds. Released at the end of the run, and by an 'exit' hook on
 * every other way out of the process (a second Ctrl-C exits at once, an uncaught error):
 * only SIGKILL or a crash of Node itself leave it, and the next run takes it over.
 */
export class HeldLock {
  private released = false;
  private readonly onExit = () => this.release();

  constructor(
    readonly file: string,
    private readonly content: string,
  ) {
    process.once('exit', this.onExit);
  }

  /** Removes the file if it is still ours (a run that took it over as stale owns it now). */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    try {
      if (readText(this.file) === this.content) unlinkSync(this.file);
    } catch {
      // Removed by hand meanwhile, or the directory became unreadable: nothing to release.
    }
  }
}

/** "PID 1234 (since 2026-12-01T02:00:00.000Z)", with the host when it is not this one. */
export function describeHolder(h: LockHolder): string {
  const host = h.host !== os.hostname() ? ` on host ${h.host}` : '';
  return `PID ${h.pid}${host}${h.since ? ` (since ${h.since})` : ''}`;
}
