import { promises as fsp, close, open, read, write } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import type { HashType, Obj, SrcInfo, WriterAt } from '../../src/fs/types.js';
import { corrupted, fsError } from '../../src/fs/errors.js';
import { LocalObject, type LocalHome } from './object.js';
import { floorToMicros } from './times.js';
import { applyMetadata } from './metadata.js';
import { registerTemp, unregisterTemp } from './tempfiles.js';
import { FollowHasher, THREAD_HASH_MIN } from './hash-thread.js';
import { wrongSize } from './errors.js';

const fdOpen = (p: string) => new Promise<number>((res, rej) => open(p, 'wx+', 0o666, (e, fd) => (e ? rej(e) : res(fd))));
const fdClose = (fd: number) => new Promise<void>((res, rej) => close(fd, (e) => (e ? rej(e) : res())));
const fdWrite = (fd: number, buf: Buffer, off: number, pos: number) =>
  new Promise<number>((res, rej) => write(fd, buf, off, buf.length - off, pos, (e, n) => (e ? rej(e) : res(n))));
const fdRead = (fd: number, buf: Buffer, len: number, pos: number) => new Promise<number>((res, rej) => read(fd, buf, 0, len, pos, (e, n) => (e ? rej(e) : res(n))));

/** How much of the file is read back at a time to hash bytes that were written ahead of the hash. */
const READ_BACK = 1024 * 1024;

/**
 * A local file written at offsets into a temporary file (see tempfiles.ts), renamed into
 * place by commit once complete and checked.
 *
 * The declared hashes are computed in file order while the streams write: a write that
 * lands where the hash has got to is hashed from memory; bytes written further on are read
 * back from the file (the page cache) once everything before them is there. So the check
 * at commit costs no second pass over the whole file, only over what arrived early.
 * A large file is hashed on a thread of its own instead (hash-thread.ts), which reads it
 * all back as it is written: the main thread then only moves bytes.
 */
export class LocalWriterAt implements WriterAt {
  /** Written ranges, [start, end), sorted and merged. */
  private readonly done: [number, number][] = [];
  private hashers: Map<HashType, Hash>;
  /** The thread that hashes a large file, while it runs. */
  private follower: FollowHasher | undefined;
  /** Bytes hashed so far, from 0. */
  private hashed = 0;
  private pumping: Promise<void> | undefined;
  private failure: unknown;
  /** The descriptor is closed. */
  private closed = false;
  /** Set when commit or abort begins (so always before closed): no write may start after it (abort waits for the thread, and a write let in then could outlive the descriptor). */
  private closing = false;
  /** Writes under way: the descriptor is closed only after them (its number could be reused by another file). */
  private readonly writing = new Set<Promise<unknown>>();

  private constructor(
    private readonly home: LocalHome,
    private readonly src: SrcInfo,
    private readonly tmp: string,
    private readonly target: string,
    private readonly fd: number,
    private readonly rename: (tmp: string, target: string) => Promise<void>,
  ) {
    this.hashers = this.freshHashers();
    if (this.hashers.size > 0 && src.size >= THREAD_HASH_MIN) this.follower = FollowHasher.start(fd, [...this.hashers.keys()], src.size);
  }

  private freshHashers(): Map<HashType, Hash> {
    return new Map(Object.entries(this.src.hashes ?? {}).filter(([, v]) => !!v).map(([t]) => [t as HashType, createHash(t)]));
  }

  /** Creates the temporary file (registered, so it goes when the process ends, however it ends). */
  static async create(home: LocalHome, src: SrcInfo, tmp: string, target: string, rename: (tmp: string, target: string) => Promise<void>): Promise<LocalWriterAt> {
    registerTemp(tmp);
    try {
      return new LocalWriterAt(home, src, tmp, target, await fdOpen(tmp), rename);
    } catch (err) {
      unregisterTemp(tmp);
      throw err;
    }
  }

  async writeAt(data: Buffer, offset: number): Promise<void> {
    if (this.closing) throw fsError('other', `write ${this.target}: already committed or aborted`, { retry: 'retryable' });
    const end = offset + data.length;
    if (offset < 0 || end > this.src.size) throw fsError('other', `${this.src.remote}: corrupted on transfer: a write at ${offset}..${end} is past the size ${this.src.size}`, { retry: 'retryable' });
    // Hashed from memory when it is the very next byte to hash and nothing is being read back.
    const live = this.hashers.size > 0 && this.follower === undefined && this.pumping === undefined && offset === this.hashed;
    if (live) {
      for (const h of this.hashers.values()) h.update(data);
      this.hashed = end;
    }
    const w = (async () => {
      for (let off = 0; off < data.length; ) off += await fdWrite(this.fd, data, off, offset + off);
    })();
    this.writing.add(w);
    try {
      await w;
    } finally {
      this.writing.delete(w);
    }
    this.mark(offset, end);
    if (this.follower) this.follower.advance(this.writtenFrom(0));
    else this.pump();
  }

  private mark(start: number, end: number): void {
    const d = this.done;
    let i = 0;
    while (i < d.length && d[i]![1] < start) i++;
    let s = start;
    let e = end;
    let j = i;
    while (j < d.length && d[j]![0] <= e) {
      s = Math.min(s, d[j]![0]);
      e = Math.max(e, d[j]![1]);
      j++;
    }
    d.splice(i, j - i, [s, e]);
  }

  /** How far from the hash's position the file is written without a gap. */
  private writtenFrom(pos: number): number {
    for (const [s, e] of this.done) if (s <= pos && pos < e) return e;
    return pos;
  }

  /** Reads back and hashes what is written past the hash's position, once, in the background. */
  private pump(): void {
    if (this.hashers.size === 0 || this.follower !== undefined || this.pumping !== undefined || this.failure !== undefined) return;
    if (this.writtenFrom(this.hashed) <= this.hashed) return;
    this.pumping = (async () => {
      const buf = Buffer.allocUnsafe(READ_BACK);
      try {
        for (let upto = this.writtenFrom(this.hashed); upto > this.hashed; upto = this.writtenFrom(this.hashed)) {
          const n = await fdRead(this.fd, buf, Math.min(READ_BACK, upto - this.hashed), this.hashed);
          if (n === 0) throw fsError('other', `read back ${this.tmp}: the file is shorter than what was written`, { retry: 'retryable' });
          for (const h of this.hashers.values()) h.update(buf.subarray(0, n));
          this.hashed += n;
        }
      } catch (err) {
        this.failure ??= err;
      } finally {
        this.pumping = undefined;
      }
    })();
  }

  async commit(): Promise<Obj> {
    if (this.closing) throw fsError('other', `write ${this.target}: already committed or aborted`, { retry: 'retryable' });
    this.closing = true;
    try {
      while (this.writing.size > 0) await Promise.allSettled([...this.writing]);
      const d = this.done;
      const whole = this.src.size === 0 ? d.length === 0 : d.length === 1 && d[0]![0] === 0 && d[0]![1] === this.src.size;
      if (!whole) {
        const got = d.reduce((n, [s, e]) => n + e - s, 0);
        throw wrongSize(this.src.remote, this.src.size, got);
      }
      const digests = new Map<HashType, string>();
      const follower = this.follower;
      if (follower) {
        const got = await follower.finish();
        this.follower = undefined;
        if (got) {
          [...this.hashers.keys()].forEach((type, i) => digests.set(type, got[i]!));
          this.hashed = this.src.size;
        } else {
          // The thread failed: the whole file is read back here instead.
          this.hashers = this.freshHashers();
          this.hashed = 0;
        }
      }
      while (this.pumping) await this.pumping;
      this.pump();
      while (this.pumping) await this.pumping;
      if (this.failure !== undefined) throw this.failure;
      const sums: Partial<Record<HashType, string>> = {};
      for (const [type, h] of this.hashers) {
        const got = digests.get(type) ?? h.digest('hex');
        const want = this.src.hashes![type]!.toLowerCase();
        if (got !== want) throw corrupted(this.src.remote, type, want, got);
        sums[type] = got;
      }
      const mtime = await applyMetadata(this.fd, this.src);
      this.closed = true;
      await fdClose(this.fd);
      await this.rename(this.tmp, this.target);
      unregisterTemp(this.tmp);
      const obj = new LocalObject(this.home, this.src.remote, this.src.size, floorToMicros(mtime));
      obj.rememberHashes(sums);
      return obj;
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    this.closing = true;
    this.failure ??= fsError('other', `write ${this.target}: aborted`, { retry: 'retryable' });
    while (this.pumping || this.writing.size > 0) await Promise.allSettled([this.pumping, ...this.writing]);
    // The thread reads the descriptor: it must be gone before the number can be reused.
    await this.follower?.stop();
    this.follower = undefined;
    if (!this.closed) {
      this.closed = true;
      await fdClose(this.fd).catch(() => undefined);
    }
    await fsp.rm(this.tmp, { force: true }).catch(() => undefined);
    unregisterTemp(this.tmp);
  }
}
