import { Readable } from 'node:stream';
import type { CallOptions, Fs, HashType, Obj, OpenOptions, PutOptions, SrcInfo, Timestamp } from '../../src/fs/types.js';
import type { Connection } from './connect.js';
import { abortError, checkSignal, mapSftpError } from './errors.js';
import * as op from './ops.js';
import type { Pooled, SftpPool } from './pool.js';

/** What an object needs of its Fs (so object.ts need not import fs.ts). */
export interface SftpHome extends Fs {
  readonly pool: SftpPool;
  path(remote: string): string;
  where(remote: string): string;
  put(data: Readable, src: SrcInfo, options?: PutOptions): Promise<SftpObject>;
  remoteHash(obj: SftpObject, type: HashType, options?: CallOptions): Promise<string>;
  setTimes(remote: string, t: Timestamp, options?: CallOptions): Promise<void>;
}

const NS = 1_000_000_000n;

/** SFTP v3 keeps whole seconds: a time as the server will store it. */
export function floorToSeconds(t: Timestamp): Timestamp {
  const s = t / NS;
  return (t < 0n && s * NS !== t ? s - 1n : s) * NS;
}

export class SftpObject implements Obj {
  readonly kind = 'object';
  private hashes: Partial<Record<HashType, string>> = {};

  constructor(
    readonly fs: SftpHome,
    readonly remote: string,
    private _size: number,
    private mtime: Timestamp,
  ) {}

  get size(): number {
    return this._size;
  }

  async modTime(options?: CallOptions): Promise<Timestamp> {
    checkSignal(options);
    return this.mtime;
  }

  rememberHashes(h: Partial<Record<HashType, string>>): void {
    Object.assign(this.hashes, h);
  }

  /** Known from the upload, or asked of the server's shell (md5sum/sha1sum); '' when it can't tell. */
  async hash(type: HashType, options?: CallOptions): Promise<string> {
    const known = this.hashes[type];
    if (known !== undefined) return known;
    if (!this.fs.hashes.has(type)) return '';
    checkSignal(options);
    const sum = await this.fs.remoteHash(this, type, options);
    if (sum !== '') this.hashes[type] = sum;
    return sum;
  }

  async open(options: OpenOptions = {}): Promise<Readable> {
    checkSignal(options);
    const p = this.fs.path(this.remote);
    const start = options.start ?? 0;
    const last = options.end ?? this._size - 1;
    const pool = this.fs.pool;
    const opened = await pool.run(
      `open ${this.fs.where(this.remote)}`,
      async (c, pooled) => {
        const handle = await op.open(c, p, 'r');
        // Stopped while the open was under way: nobody will read or close this handle.
        if (options.signal?.aborted) {
          await op.close(c, handle).catch(() => undefined);
          throw abortError(options.signal);
        }
        pool.retain(pooled);
        return { c, pooled, handle };
      },
      { signal: options.signal },
    );
    const opt = pool.opt;
    const depth = opt.concurrentReads ? opt.concurrency : 1;
    return new RangeReader(pool, opened.c, opened.pooled, opened.handle, start, last, opt.chunkSize, depth, this.fs.where(this.remote), options.signal);
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
    const p = this.fs.path(this.remote);
    await this.fs.pool.run(`remove ${this.fs.where(this.remote)}`, (c) => op.unlink(c, p), { signal: options?.signal });
  }

  async setModTime(t: Timestamp, options?: CallOptions): Promise<void> {
    await this.fs.setTimes(this.remote, t, options);
    this.mtime = floorToSeconds(t);
  }
}

/**
 * Reads bytes start..last of an open file, with up to `depth` reads of `chunk` bytes in
 * flight (rclone's concurrent reads), delivered in order. The connection is kept for the
 * stream's life and handed back when it ends, fails or is destroyed.
 */
class RangeReader extends Readable {
  private next: number;
  private inflight: { pos: number; len: number; read: Promise<Buffer> }[] = [];
  private done = false;

  constructor(
    private readonly pool: SftpPool,
    private readonly c: Connection,
    private readonly pooled: Pooled,
    private readonly handle: Buffer,
    start: number,
    private readonly last: number,
    private readonly chunk: number,
    private readonly depth: number,
    private readonly where: string,
    signal?: AbortSignal,
  ) {
    super({ highWaterMark: chunk * depth });
    this.next = start;
    if (signal) {
      const onAbort = () => this.destroy(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }

  private fill(): void {
    while (this.inflight.length < this.depth && this.next <= this.last) {
      const len = Math.min(this.chunk, this.last - this.next + 1);
      const read = op.read(this.c, this.handle, len, this.next);
      read.catch(() => undefined);
      this.inflight.push({ pos: this.next, len, read });
      this.next += len;
    }
  }

  override _read(): void {
    this.fill();
    const first = this.inflight.shift();
    if (!first) {
      this.push(null);
      return;
    }
    first.read.then(
      (buf) => {
        if (this.done) return;
        // Nothing at all: the file ended early (it shrank), so stop there.
        if (buf.length === 0) {
          this.next = this.last + 1;
          this.inflight = [];
          this.push(null);
          return;
        }
        // Less than asked: the reads queued behind it would leave a gap; ask again from here.
        if (buf.length < first.len) {
          this.inflight = [];
          this.next = first.pos + buf.length;
        }
        this.push(buf);
      },
      (err) => this.destroy(mapSftpError(err, `read ${this.where}`)),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.done = true;
    const broken = this.c.dead;
    const finish = () => {
      this.pool.release(this.pooled, broken);
      cb(err);
    };
    if (broken) return finish();
    op.close(this.c, this.handle).then(finish, finish);
  }
}
