import { Worker } from 'node:worker_threads';

/**
 * A worker thread that does the local backend's small, many-times-a-second file-system work
 * with synchronous calls: listing a directory with a stat of every entry (dirstat.ts),
 * reading a small file whole, writing one under a temporary name and renaming it into
 * place (object.ts open, fs.ts put), or both at once for a copy from one local path to
 * another (fs.ts putFrom). Each of those is one message each way on the main thread, where the
 * asynchronous calls cost one thread-pool hand-off per call: some ten per copied file,
 * 30–50 µs each on 2 cores with 16 pool threads waking (bench/RESULTS.md).
 *
 * The worker runs its calls one after another; a disk that hangs holds up what is queued
 * behind it, as it would hold the thread pool. A listing or read whose signal fires is
 * answered "undefined" at once (the caller checks the signal); a write is always waited for,
 * so that a temporary file never outlives the call that made it.
 *
 * If the worker cannot start or dies, every call from then on (and every call waiting) is
 * answered "undefined" and the callers take the ordinary asynchronous path. So does
 * NCLONE_LOCAL_WORKER=0 (docs/performance.md).
 *
 * The first few calls are answered "undefined" too, and the worker starts at the call after
 * them: a run with little to do (touch, cat of a small file, ls of a small directory) never
 * starts the thread, whose start (some 50 ms) it would wait for, at exit if not before.
 * The calls from then on wait for it. Starting it at the first call, or when a local path
 * is opened, made such runs 10-40 ms slower and larger ones no faster; answering every call
 * the ordinary way until the worker ran made a no-op sync of 10,000 local files slower (0.47
 * to 0.59 s, 0.62 to 0.87 s of CPU), the early listings being the costly kind.
 */

// CommonJS, evaluated as the worker's script: no file to find beside the compiled module.
// The kinds' numbers are dirstat.ts's GONE, FILE, DIR, OTHER.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');

function failure(e) {
  return { code: e && e.code, syscall: e && e.syscall, message: String((e && e.message) || e) };
}

function list({ id, dir, prefix }) {
  let names;
  try {
    names = fs.readdirSync(dir, { encoding: 'buffer' });
  } catch {
    return send({ id });
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
      st = fs.lstatSync(Buffer.concat([head, name]), { bigint: true, throwIfNoEntry: false });
    } catch {
      kinds[i] = 3;
      continue;
    }
    if (st === undefined) continue;
    kinds[i] = st.isFile() ? 1 : st.isDirectory() ? 2 : 3;
    sizes[i] = Number(st.size);
    mtimes[i] = st.mtimeNs;
  }
  send({ id, names: all, ends, kinds, sizes, mtimes }, [all.buffer, ends.buffer, kinds.buffer, sizes.buffer, mtimes.buffer]);
}

// Up to max bytes from the start of the file.
function read({ id, file, max }) {
  const r = readStart(file, max);
  if (r.error) return send({ id, error: r.error });
  send({ id, data: r.buf, length: r.got }, [r.buf.buffer]);
}

// The first max bytes of file (fewer if it is shorter) in a buffer of its own, or the error.
function readStart(file, max) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    return { error: failure(e) };
  }
  try {
    const buf = Buffer.allocUnsafeSlow(max);
    let got = 0;
    for (let n = -1; n !== 0 && got < max; got += n) n = fs.readSync(fd, buf, got, max - got, got);
    return { buf, got };
  } catch (e) {
    return { error: failure(e) };
  } finally {
    try { fs.closeSync(fd); } catch {}
  }
}

function exists(p) {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

// The whole file under the temporary name, its times, then the rename. On any failure the
// temporary file is removed before answering. "gone": the rename found the temporary file
// missing from a directory that is still there (another nclone swept it).
function write({ id, tmp, target, data, atime, mtime }) {
  send({ id, ...store(tmp, target, data, atime, mtime) });
}

function store(tmp, target, data, atime, mtime) {
  let fd;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
    for (let off = 0; off < data.length; ) off += fs.writeSync(fd, data, off, data.length - off, off);
    fs.futimesSync(fd, atime, mtime);
    const closing = fd;
    fd = undefined;
    fs.closeSync(closing);
    fs.renameSync(tmp, target);
    return {};
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    const gone = e && e.syscall === 'rename' && e.code === 'ENOENT' && exists(path.dirname(tmp)) && !exists(tmp);
    try { fs.rmSync(tmp, { force: true }); } catch {}
    return { error: failure(e), gone };
  }
}

let crypto;

// A small local file copied in one request: read whole (one byte more than its size is
// asked for, so a file that grew shows), hashed, then stored as write() does. A read that
// fails answers "read"; one that finds another size answers "got", and nothing is written.
function copy({ id, from, size, tmp, target, atime, mtime, hashes }) {
  const r = readStart(from, size + 1);
  if (r.error) return send({ id, error: r.error, read: true });
  if (r.got !== size) return send({ id, got: r.got });
  const data = r.buf.subarray(0, size);
  const sums = {};
  if (hashes.length > 0) crypto ??= require('node:crypto');
  for (const t of hashes) sums[t] = crypto.createHash(t).update(data).digest('hex');
  send({ id, sums, ...store(tmp, target, data, atime, mtime) });
}

function send(answer, transfer) {
  parentPort.postMessage(answer, transfer);
}

parentPort.on('message', (m) => {
  if (m.op === 'list') list(m);
  else if (m.op === 'read') read(m);
  else if (m.op === 'write') write(m);
  else if (m.op === 'copy') copy(m);
});
`;

/** What a worker answers; the fields besides id depend on the request. */
export interface Answer {
  id: number;
  error?: { code?: string; syscall?: string; message: string };
  [field: string]: unknown;
}

/** The error a worker reported, as Node would have thrown it (mapError reads its code). */
export function workerError(e: NonNullable<Answer['error']>): NodeJS.ErrnoException {
  return Object.assign(new Error(e.message), { code: e.code, syscall: e.syscall });
}

let worker: Worker | undefined;
/** The worker is running its script. */
let running = false;
/**
 * Calls answered the ordinary way before the worker starts (see above); none with
 * NCLONE_LOCAL_WORKER=all, where every call goes to the worker (to compare the two paths).
 */
export const EARLY = process.env.NCLONE_LOCAL_WORKER === 'all' ? 0 : 4;
let early = 0;
/** Settled when the worker is running (true) or will never be (false): see workerReady. */
let started: Promise<boolean> | undefined;
let settleStarted: ((up: boolean) => void) | undefined;
/** Requests sent and not yet answered: the worker is referenced (keeps the process up) only while there are some. */
let busy = 0;
let unavailable = process.env.NCLONE_LOCAL_WORKER === '0' || process.env.NCLONE_LOCAL_LIST_WORKER === '0';
let nextId = 1;
const pending = new Map<number, (a: Answer | undefined) => void>();

/** False once the worker is off (NCLONE_LOCAL_WORKER=0) or has failed: callers go the ordinary way. */
export function workerAvailable(): boolean {
  return !unavailable;
}

function giveUp(): void {
  unavailable = true;
  running = false;
  settleStarted?.(false);
  void worker?.terminate().catch(() => undefined);
  worker = undefined;
  const waiting = [...pending.values()];
  pending.clear();
  for (const settle of waiting) settle(undefined);
}

/**
 * One worker, not one per core: measured on 2 cores, a second one (each request to the less
 * busy) made a local copy of 10,000 small files slower, 2.3–2.4 s against 2.0 s, as every
 * request more often woke a sleeping thread.
 */
function getWorker(): Worker | undefined {
  if (worker || unavailable) return worker;
  try {
    worker = new Worker(SOURCE, { eval: true, stdout: false, stderr: false });
  } catch {
    giveUp();
    return undefined;
  }
  worker.once('online', () => {
    running = true;
    settleStarted?.(true);
  });
  worker.on('message', (a: Answer) => {
    const settle = pending.get(a.id);
    if (!settle) return;
    pending.delete(a.id);
    done();
    settle(a);
  });
  worker.on('error', giveUp);
  worker.on('exit', giveUp);
  // After the listeners: a 'message' listener refs the worker's port again. Unreferenced, a
  // worker no request is waiting on (one still starting, say) does not keep the process up.
  worker.unref();
  return worker;
}

function done(): void {
  if (--busy === 0) worker?.unref();
}

/**
 * Sends a request to the worker; resolves with its answer, or undefined when it is one of
 * the first EARLY (the worker not started), the worker can't take it or died, or (only for
 * requests given a signal) the signal fired first.
 */
export function ask(request: Record<string, unknown>, signal?: AbortSignal): Promise<Answer | undefined> {
  if (signal?.aborted || (!worker && early++ < EARLY)) return Promise.resolve(undefined);
  const w = getWorker();
  if (!w) return Promise.resolve(undefined);
  const id = nextId++;
  return new Promise<Answer | undefined>((resolve) => {
    const ids = signal && watch(signal);
    ids?.add(id);
    pending.set(id, (answer) => {
      ids?.delete(id);
      resolve(answer);
    });
    if (busy++ === 0) w.ref();
    w.postMessage({ ...request, id });
  });
}

/**
 * Starts the worker if it is not started; true once it is running and takes requests, false
 * when it is off or could not start. For what must go through the worker from its first
 * request (the tests of what it answers).
 */
export function workerReady(): Promise<boolean> {
  const w = getWorker();
  if (!w) return Promise.resolve(false);
  if (running) return Promise.resolve(true);
  if (!started) {
    // Referenced while waited for, as a request is: an unreferenced worker that is starting
    // would let the process end with the wait unsettled.
    if (busy++ === 0) w.ref();
    started = new Promise<boolean>((resolve) => (settleStarted = resolve)).then((up) => {
      done();
      return up;
    });
  }
  return started;
}

/**
 * The requests waiting under each signal. One abort listener per signal, not one per
 * request: a run's signal may have many requests queued behind the workers at once.
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
        if (!settle) continue;
        pending.delete(id);
        done();
        settle(undefined);
      }
      mine.clear();
    },
    { once: true },
  );
  return mine;
}
