import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import pLimit from 'p-limit';
import type { HashType, Timestamp } from '../../src/fs/types.js';
import { fsError } from '../../src/fs/errors.js';
import { workerAvailable } from './worker.js';
import { abortError } from './errors.js';
import { floorToMicros } from './times.js';

/**
 * Hashes of large local files computed on threads of their own, each reading the file (the
 * page cache) into one reused buffer. On the main thread an MD5 of 1 GiB is some 1.5 s in
 * which no socket is read; a multipart upload needs two (the whole file's and each part's)
 * before it sends anything (bench/RESULTS.md, workload 5).
 *
 * A worker that can't start, dies or fails to read answers "undefined": the caller then
 * does the work on the main thread as before, which reports the real error if there is
 * one. NCLONE_LOCAL_WORKER=0 turns these threads off with the local backend's other one.
 */

/** Below this a thread's start (tens of ms) costs more than the hashing it takes off. */
export const THREAD_HASH_MIN = 32 * 1024 * 1024;

// CommonJS, evaluated as the worker's script (as worker.ts's).
// "file": read a file from its start to its end; the whole hash (partSize 0) or each
// partSize piece's. Its size, mtime, inode and ctime are taken before and after, so that a
// file changed or replaced while it was read is seen. "follow": hash the file at fd in order,
// up to where the main thread says it is written; "finish" asks for the digests.
const SOURCE = `
const { parentPort, workerData: job } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1 << 20);

function failure(e) {
  return { code: e && e.code, message: String((e && e.message) || e) };
}

function stamp(fd) {
  const st = fs.fstatSync(fd, { bigint: true });
  // ctime can't be set back (utimes can't), so a rewrite that restored size and mtime shows in it.
  return { size: Number(st.size), mtimeNs: st.mtimeNs, id: st.dev + ':' + st.ino + ':' + st.ctimeNs };
}

function wholeFile() {
  let fd;
  try {
    fd = fs.openSync(job.file, 'r');
    const before = stamp(fd);
    const parts = [];
    let h = createHash(job.type);
    let inPart = 0;
    let pos = 0;
    for (;;) {
      const want = job.partSize > 0 ? Math.min(buf.length, job.partSize - inPart) : buf.length;
      const n = fs.readSync(fd, buf, 0, want, pos);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
      inPart += n;
      if (job.partSize > 0 && inPart === job.partSize) {
        parts.push(h.digest('hex'));
        h = createHash(job.type);
        inPart = 0;
      }
    }
    if (job.partSize > 0 && inPart > 0) parts.push(h.digest('hex'));
    const after = stamp(fd);
    parentPort.postMessage({ whole: job.partSize > 0 ? undefined : h.digest('hex'), parts, read: pos, before, after });
  } catch (e) {
    parentPort.postMessage({ error: failure(e) });
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
  }
}

function follow() {
  const hashers = job.types.map((t) => createHash(t));
  let pos = 0;
  let upto = 0;
  parentPort.on('message', (m) => {
    if (m.upto > upto) upto = m.upto;
    try {
      while (pos < upto) {
        const n = fs.readSync(job.fd, buf, 0, Math.min(buf.length, upto - pos), pos);
        if (n === 0) throw new Error('the file is shorter than what was written');
        const data = n === buf.length ? buf : buf.subarray(0, n);
        for (const h of hashers) h.update(data);
        pos += n;
      }
    } catch (e) {
      parentPort.postMessage({ error: failure(e) });
      upto = -1;
      pos = Infinity;
      return;
    }
    if (m.finish) parentPort.postMessage({ sums: hashers.map((h) => h.digest('hex')), read: pos });
  });
}

if (job.kind === 'file') wholeFile();
else follow();
`;

let started = 0;

/** How many hashing threads this process has started (the tests tell the threaded path by it). */
export function hashThreadsStarted(): number {
  return started;
}

/**
 * Threads past the cores only queue, and each is an isolate and a buffer. Read-aheads run at
 * most this many at once and wait for a place; a download's follower starts only while fewer
 * than this many threads run, and otherwise leaves its hashing to the main thread (writer.ts).
 * Followers already running don't hold read-aheads back, so the two together stay under twice it.
 */
const MAX_THREADS = Math.max(2, availableParallelism());
const fileJobs = pLimit(MAX_THREADS);
let followers = 0;

function startWorker(job: Record<string, unknown>): Worker | undefined {
  if (!workerAvailable()) return undefined;
  try {
    const w = new Worker(SOURCE, { eval: true, workerData: job, stdout: false, stderr: false });
    started++;
    return w;
  } catch {
    return undefined;
  }
}

interface Stamp {
  size: number;
  mtimeNs: Timestamp;
  /** Device, inode and ctime: the same only while it is the same file, untouched. */
  id: string;
}

interface FileAnswer {
  whole?: string;
  parts: string[];
  read: number;
  before: Stamp;
  after: Stamp;
  error?: unknown;
}

/** One "file" job to its end: its answer, or undefined when the thread failed or was stopped. */
function runFile(job: { kind: 'file'; file: string; type: HashType; partSize: number }, signal?: AbortSignal): Promise<FileAnswer | undefined> {
  return fileJobs(() => (signal?.aborted ? undefined : runThread(job, signal)));
}

function runThread(job: { kind: 'file'; file: string; type: HashType; partSize: number }, signal?: AbortSignal): Promise<FileAnswer | undefined> {
  const w = startWorker(job);
  if (!w) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let answer: FileAnswer | undefined;
    const onAbort = () => void w.terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    w.once('message', (a: FileAnswer) => {
      answer = a.error === undefined ? a : undefined;
    });
    w.once('error', () => undefined);
    w.once('exit', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve(answer);
    });
    if (signal?.aborted) onAbort();
  });
}

/**
 * The file's whole hash and each partSize piece's, read by two threads at once (one pass
 * each; the second mostly from the page cache the first fills). The file must be as it was
 * listed (size and mtime) before and after both reads, and the same file untouched (inode
 * and ctime) for both: otherwise the hashes could come from different data.
 */
export async function hashFileParts(
  file: string,
  type: HashType,
  partSize: number,
  listed: { size: number; mtime: Timestamp },
  signal?: AbortSignal,
): Promise<{ whole: string; parts: string[] } | undefined> {
  const [whole, parts] = await Promise.all([runFile({ kind: 'file', file, type, partSize: 0 }, signal), runFile({ kind: 'file', file, type, partSize }, signal)]);
  if (signal?.aborted) throw abortError(signal);
  if (whole?.whole === undefined || parts === undefined) return undefined;
  // Times in µs: an object this run wrote holds its time so (times.ts).
  const same = (s: Stamp) => s.size === listed.size && floorToMicros(s.mtimeNs) === floorToMicros(listed.mtime) && s.id === whole.before.id;
  for (const a of [whole, parts]) {
    if (!same(a.before) || !same(a.after) || a.read !== listed.size) {
      // Not retried here: another attempt would compare with the same listing. A new run
      // (or --retries, which lists again) sends what the file holds then.
      throw fsError('other', `${file}: changed since it was listed (its size, modification time, inode or change time), not sent (the next run, or attempt of --retries, sends it)`);
    }
  }
  return { whole: whole.whole, parts: parts.parts };
}

/**
 * Hashes, in file order, a file being written at offsets (writer.ts): advance says how far
 * from the start it is written without a gap; finish waits for the digests. The descriptor
 * must stay open until finish has answered or stop has resolved.
 */
export class FollowHasher {
  private answer: Promise<string[] | undefined>;
  private settle!: (sums: string[] | undefined) => void;
  private sent = 0;
  private finishing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly size: number,
  ) {
    this.answer = new Promise((resolve) => (this.settle = resolve));
    worker.on('message', (a: { sums?: string[]; read?: number; error?: unknown }) => {
      if (a.error !== undefined || a.sums === undefined || a.read !== size) return this.fail();
      this.settle(a.sums);
    });
    worker.once('error', () => this.fail());
    worker.once('exit', () => this.fail());
    // Nothing to wait for while the writes go on; finish references it again.
    worker.unref();
  }

  static start(fd: number, types: HashType[], size: number): FollowHasher | undefined {
    if (followers + fileJobs.activeCount >= MAX_THREADS) return undefined;
    const w = startWorker({ kind: 'follow', fd, types });
    if (!w) return undefined;
    followers++;
    w.once('exit', () => followers--);
    return new FollowHasher(w, size);
  }

  private fail(): void {
    this.settle(undefined);
    void this.worker.terminate();
  }

  advance(upto: number): void {
    if (upto <= this.sent || this.finishing) return;
    this.sent = upto;
    this.worker.postMessage({ upto });
  }

  /** The digests in the order of the types given to start, or undefined when the thread failed. */
  async finish(): Promise<string[] | undefined> {
    this.finishing = true;
    this.worker.ref();
    this.worker.postMessage({ upto: this.size, finish: true });
    const sums = await this.answer;
    await this.stop();
    return sums;
  }

  /** Ends the thread; once resolved it reads the descriptor no more. */
  async stop(): Promise<void> {
    this.finishing = true;
    this.settle(undefined);
    await this.worker.terminate().catch(() => undefined);
  }
}
