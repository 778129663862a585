import { promises as fsp, close as fsClose, createReadStream, open as fsOpen, read as fsRead } from 'node:fs';
import { Readable } from 'node:stream';
import type { CallOptions, Fs, HashType, Metadata, Obj, OpenOptions, PutOptions, SrcInfo, Timestamp } from '../../src/fs/types.js';
import { hashParts, hashStream } from '../../src/fs/hash.js';
import { abortError, checkSignal, mapError, workerReadError } from './errors.js';
import { readLocalMetadata } from './metadata.js';
import { setTimes } from './times.js';
import { ask } from './worker.js';
import { hashFileParts, THREAD_HASH_MIN } from './hash-thread.js';

/** What an object needs of its Fs: the OS path of a remote path (so object.ts need not import fs.ts). */
export interface LocalHome extends Fs {
  abs(remote: string): string;
}

export class LocalObject implements Obj {
  readonly kind = 'object';
  private hashes: Partial<Record<HashType, string>> = {};

  constructor(
    readonly fs: LocalHome,
    readonly remote: string,
    private _size: number,
    private mtime: Timestamp,
    /** Set when this object stands for a symlink (--links): its content is the target. */
    readonly linkTarget?: string,
  ) {}

  get size(): number {
    return this._size;
  }

  /** The OS path of the file (of the symlink with --links). */
  get path(): string {
    return this.fs.abs(this.linkTarget === undefined ? this.remote : this.remote.slice(0, -'.rclonelink'.length));
  }

  async modTime(options?: CallOptions): Promise<Timestamp> {
    checkSignal(options);
    return this.mtime;
  }

  rememberHashes(h: Partial<Record<HashType, string>>): void {
    Object.assign(this.hashes, h);
  }

  /** Reads the whole file unless the hash is known; the signal stops the reading. */
  async hash(type: HashType, options?: CallOptions): Promise<string> {
    // A hash computed while writing costs nothing to give, even to a stopping run: the
    // file is in place and its transfer must be counted as done.
    const known = this.hashes[type];
    if (known !== undefined) return known;
    checkSignal(options);
    const sum = await hashStream(await this.open({ signal: options?.signal }), type);
    this.hashes[type] = sum;
    return sum;
  }

  /** The whole hash and each part's for an upload (SrcInfo.hashParts): a large file's on threads of their own (hash-thread.ts). */
  async hashParts(type: HashType, partSize: number, options?: CallOptions): Promise<{ whole: string; parts: string[] }> {
    checkSignal(options);
    const threaded =
      this.linkTarget === undefined && this._size >= THREAD_HASH_MIN && partSize > 0
        ? await hashFileParts(this.path, type, partSize, { size: this._size, mtime: this.mtime }, options?.signal)
        : undefined;
    const r = threaded ?? (await hashParts(this, type, partSize, options?.signal));
    this.hashes[type] = r.whole;
    return r;
  }

  /** The signal, when it fires, fails the stream with its reason (see abortError). */
  async open(options: OpenOptions = {}): Promise<Readable> {
    checkSignal(options);
    if (this.linkTarget !== undefined) {
      const buf = Buffer.from(this.linkTarget, 'utf8');
      return Readable.from([buf.subarray(options.start ?? 0, options.end === undefined ? undefined : options.end + 1)]);
    }
    // A small file whole is one read, on a worker thread when one is there (worker.ts): a
    // stream would take three more trips through the thread pool and its machinery. One
    // byte more than the listed size is asked for, so a file that grew since it was listed
    // shows as larger (the writer then refuses it).
    const whole = options.start === undefined && options.end === undefined && this._size <= SMALL_FILE;
    if (whole) {
      const a = await ask({ op: 'read', file: this.path, max: this._size + 1 }, options.signal);
      checkSignal(options);
      if (a?.error) throw workerReadError(a.error, this.path);
      if (a) return oneChunk(Buffer.from(a.data as Uint8Array).subarray(0, a.length as number));
    }
    // A plain descriptor: the stream then reads with callbacks, cheaper than FileHandle promises.
    const fd = await new Promise<number>((resolve, reject) =>
      fsOpen(this.path, 'r', (err, n) => (err ? reject(mapError(err, `open ${this.path}`)) : resolve(n))),
    );
    if (whole) return readWhole(fd, this._size, this.path);
    // Each read allocates a whole highWaterMark buffer: size it to the file so that many
    // small files don't churn 256 KiB buffers (and the garbage collector) each.
    const highWaterMark = Math.min(256 * 1024, Math.max(1024, this._size + 1));
    const stream = createReadStream('', { fd, start: options.start, end: options.end, highWaterMark });
    const signal = options.signal;
    if (signal) {
      // Not createReadStream's own signal option: that fails with a bare AbortError, where
      // the caller should see why the run stopped.
      const onAbort = () => stream.destroy(abortError(signal));
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', onAbort));
      }
    }
    return stream;
  }

  /** -M: mode, owner, times (local/metadata.ts). */
  async metadata(options?: CallOptions): Promise<Metadata> {
    checkSignal(options);
    try {
      return await readLocalMetadata(this.path);
    } catch (err) {
      throw mapError(err, `read metadata of ${this.path}`);
    }
  }

  async update(data: Readable, src: SrcInfo, options?: PutOptions): Promise<void> {
    const fresh = await this.fs.put(data, { ...src, remote: this.remote }, options);
    this._size = fresh.size;
    this.mtime = await fresh.modTime();
    this.hashes = {};
    for (const t of options?.hashes ?? []) this.hashes[t] = await fresh.hash(t);
  }

  async remove(options?: CallOptions): Promise<void> {
    checkSignal(options);
    try {
      await fsp.unlink(this.path);
    } catch (err) {
      throw mapError(err, `remove ${this.path}`);
    }
  }

  async setModTime(t: Timestamp, options?: CallOptions): Promise<void> {
    checkSignal(options);
    try {
      await setTimes(this.path, t, this.linkTarget !== undefined);
    } catch (err) {
      throw mapError(err, `set modification time of ${this.path}`);
    }
    const st = await fsp.lstat(this.path, { bigint: true });
    this.mtime = st.mtimeNs;
  }
}

/** Files up to this size are read in one call (see open), and written in one (fs.ts put). */
export const SMALL_FILE = 256 * 1024;

/** The file at fd whole (up to one byte more than its listed size: see open), as a stream of one chunk. */
function readWhole(fd: number, size: number, path: string): Promise<Readable> {
  const buf = Buffer.allocUnsafe(size + 1);
  return new Promise<Readable>((resolve, reject) => {
    fsRead(fd, buf, 0, size + 1, 0, (err, n) => {
      fsClose(fd, () => undefined);
      if (err) return reject(mapError(err, `read ${path}`));
      resolve(oneChunk(buf.subarray(0, n)));
    });
  });
}

function oneChunk(buf: Buffer): Readable {
  return Readable.from(buf.length === 0 ? [] : [buf], { objectMode: false });
}
