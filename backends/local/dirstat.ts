import { Worker } from 'node:worker_threads';

/**
 * Lists a directory and lstats every entry on a worker thread, answering with one message
 * of packed arrays. The asynchronous way (one thread-pool hand-off and one BigIntStats
 * object per entry) cost the main thread 10–12 µs and about 2 KiB of garbage per file
 * (bench/RESULTS.md, "Local listings on a worker thread"); here the main thread pays for
 * one message per directory, and the stat objects die young on the worker's own heap.
 *
 * Only plain files and directories are answered here. Anything else (a symlink, a name
 * that vanished or could not be stat'ed) is marked, and the caller looks at it the
 * ordinary way, so that errors and options (--links, -L) are handled in one place.
 *
 * The worker runs calls one after another. A disk that hangs holds up the listings queued
 * behind it, as it would hold the thread pool; the caller's signal still ends the wait.
 */

export const GONE = 0;
export const FILE = 1;
export const DIR = 2;
/** A symlink, a device or socket, or an entry whose lstat failed: look again in the caller. */
export const OTHER = 3;

export interface DirStats {
  /** The raw names one after another; name i ends at ends[i]. */
  names: Buffer;
  ends: Uint32Array;
  kinds: Uint8Array;
  sizes: Float64Array;
  mtimes: BigInt64Array;
}

// CommonJS, evaluated as the worker's script: no file to find beside the compiled module.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { readdirSync, lstatSync } = require('node:fs');
parentPort.on('message', ({ id, dir, prefix }) => {
  let names;
  try {
    names = readdirSync(dir, { encoding: 'buffer' });
  } catch {
    parentPort.postMessage({ id });
    return;
  }
  const n = names.length;
  let total = 0;
  for (const b of names) total += b.length;
  const all = Buffer.allocUnsafeSlow(total);
  const ends = new Uint32Array(n);
  const kinds = new Uint8Array(n);
  const sizes = new Float64Array(n);
  const mtimes = new BigInt64Array(n);
  const head = Buffer.from(prefix);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const name = names[i];
    name.copy(all, off);
    off += name.length;
    ends[i] = off;
    let st;
    try {
      st = lstatSync(Buffer.concat([head, name]), { bigint: true, throwIfNoEntry: false });
    } catch {
      kinds[i] = ${OTHER};
      continue;
    }
    if (st === undefined) continue;
    kinds[i] = st.isFile() ? ${FILE} : st.isDirectory() ? ${DIR} : ${OTHER};
    sizes[i] = Number(st.size);
    mtimes[i] = st.mtimeNs;
  }
  parentPort.postMessage({ id, names: all, ends, kinds, sizes, mtimes }, [all.buffer, ends.buffer, kinds.buffer, sizes.buffer, mtimes.buffer]);
});
`;

type Answer = { id: number; names?: Uint8Array; ends: Uint32Array; kinds: Uint8Array; sizes: Float64Array; mtimes: BigInt64Array };

let worker: Worker | undefined;
/** Set once the worker failed or could not start: every listing then takes the ordinary path. */
let unavailable = process.env.NCLONE_LOCAL_LIST_WORKER === '0';
let nextId = 1;
const pending = new Map<number, (answer: DirStats | undefined) => void>();

function giveUp(): void {
  unavailable = true;
  worker = undefined;
  for (const settle of pending.values()) settle(undefined);
  pending.clear();
}

function getWorker(): Worker | undefined {
  if (worker || unavailable) return worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
  } catch {
    unavailable = true;
    return undefined;
  }
  worker.unref();
  worker.on('message', (a: Answer) => {
    const settle = pending.get(a.id);
    if (!settle) return;
    pending.delete(a.id);
    if (pending.size === 0) worker?.unref();
    settle(a.names === undefined ? undefined : { names: Buffer.from(a.names.buffer, a.names.byteOffset, a.names.byteLength), ends: a.ends, kinds: a.kinds, sizes: a.sizes, mtimes: a.mtimes });
  });
  worker.on('error', giveUp);
  worker.on('exit', giveUp);
  return worker;
}

/**
 * dir's entries, or undefined when the worker can't say (it is not available, or the
 * directory could not be read): the caller then lists it the ordinary way, which also
 * gives the error its usual form. Undefined at once, too, when the signal fires first (the
 * caller checks it).
 */
export function statDir(dir: string, prefix: string, signal?: AbortSignal): Promise<DirStats | undefined> {
  const w = signal?.aborted ? undefined : getWorker();
  if (!w) return Promise.resolve(undefined);
  const id = nextId++;
  return new Promise<DirStats | undefined>((resolve) => {
    const ids = signal && watch(signal);
    ids?.add(id);
    pending.set(id, (answer) => {
      ids?.delete(id);
      resolve(answer);
    });
    if (pending.size === 1) w.ref();
    w.postMessage({ id, dir, prefix });
  });
}

/**
 * The requests waiting under each signal. One abort listener per signal, not one per
 * request: a run's signal may have many listings queued behind the worker at once.
 */
const watched = new WeakMap<AbortSignal, Set<number>>();

function watch(signal: AbortSignal): Set<number> {
  let ids = watched.get(signal);
  if (ids) return ids;
  const mine = new Set<number>();
  watched.set(signal, mine);
  signal.addEventListener(
    'abort',
    () => {
      for (const id of mine) {
        const settle = pending.get(id);
        pending.delete(id);
        settle?.(undefined);
      }
      mine.clear();
      if (pending.size === 0) worker?.unref();
    },
    { once: true },
  );
  return mine;
}
