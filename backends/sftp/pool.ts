import type { ErrorKind } from '../../src/fs/errors.js';
import { FsError } from '../../src/fs/errors.js';
import type { BackendGlobals } from '../../src/fs/globals.js';
import { Pacer } from '../../src/lib/pacer.js';
import type { SftpOptions } from './config.js';
import { closeConnection, connect, type Connection } from './connect.js';
import { classifySftp, ConnectionLost, isConnectionLost, mapSftpError } from './errors.js';

/**
 * The most connections a remote opens: --transfers + --checkers, plus one for listings.
 * SFTP runs many requests at once over one connection, so a full pool shares connections
 * rather than making anyone wait, and no caller holding a stream can starve another.
 */
export const maxConnections = (globals: BackendGlobals): number => Math.max(1, globals.parallel) + 1;

export interface Pooled {
  conn: Connection;
  /** Requests and open streams using it now. */
  load: number;
  idleTimer?: NodeJS.Timeout;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** What a missing path means for this request. */
  notFound?: ErrorKind;
  /** False when the request can't be sent twice (it consumes a stream). */
  replayable?: boolean;
  /**
   * Wait for fn to finish even when the signal fires (fn then reacts to the signal itself),
   * so what it leaves behind (a temporary file) is cleaned up before the call returns.
   */
  settle?: boolean;
}

/**
 * The one way a request reaches the server: through the remote's pacer (retries with
 * backoff, --tpslimit, the run's stop signal) on a pooled connection. A connection that
 * breaks under a request is dropped and the request retried on a fresh one. Sockets are
 * unreferenced while idle, so an idle pool never keeps the process alive; idle ones are
 * closed after idle_timeout, and close() ends them all.
 */
export class SftpPool {
  readonly pacer: Pacer;
  private readonly conns: Pooled[] = [];
  private opening: Promise<Pooled> | undefined;
  private closed = false;

  constructor(
    readonly opt: SftpOptions,
    readonly globals: BackendGlobals,
    /** The remote's name, for messages. */
    readonly label: string,
    readonly max = maxConnections(globals),
  ) {
    this.pacer = new Pacer({ attempts: globals.lowLevelRetries, classify: classifySftp, tps: globals.tps });
  }

  /** A connection for one request or stream; give it back with release(). */
  async acquire(signal?: AbortSignal): Promise<Pooled> {
    for (;;) {
      for (const p of this.conns.filter((c) => c.conn.dead)) this.drop(p);
      const free = this.conns.find((p) => p.load === 0);
      if (free) {
        this.use(free);
        return free;
      }
      // One connection opens at a time (a burst must not storm the server's MaxStartups),
      // never more than max; while one opens, the others share what is open already.
      if (this.conns.length < this.max && !this.opening) {
        const p = await this.open(signal);
        this.use(p);
        return p;
      }
      if (this.conns.length > 0) {
        const least = this.conns.reduce((a, b) => (b.load < a.load ? b : a));
        this.use(least);
        return least;
      }
      // Nothing open yet: wait for the one opening; its failure is everyone's.
      await this.opening;
    }
  }

  private async open(signal?: AbortSignal): Promise<Pooled> {
    if (this.closed) throw new ConnectionLost('the remote was closed');
    const opening = connect(this.opt, this.globals, signal).then((conn) => {
      const p: Pooled = { conn, load: 0 };
      this.conns.push(p);
      conn.sock.unref();
      return p;
    });
    this.opening = opening;
    try {
      return await opening;
    } finally {
      this.opening = undefined;
    }
  }

  /** Keeps p for a stream that outlives the request that opened it; release() it when done. */
  retain(p: Pooled): void {
    this.use(p);
  }

  private use(p: Pooled): void {
    if (p.idleTimer) clearTimeout(p.idleTimer);
    p.idleTimer = undefined;
    if (p.load++ === 0) p.conn.sock.ref();
  }

  release(p: Pooled, broken = false): void {
    p.load = Math.max(0, p.load - 1);
    if (broken || p.conn.dead || this.closed) {
      if (p.load === 0 || broken) this.drop(p);
      return;
    }
    if (p.load > 0) return;
    p.conn.sock.unref();
    if (this.opt.idleTimeoutMs > 0) {
      p.idleTimer = setTimeout(() => {
        if (p.load === 0) this.drop(p);
      }, this.opt.idleTimeoutMs);
      p.idleTimer.unref();
    }
  }

  private drop(p: Pooled): void {
    const i = this.conns.indexOf(p);
    if (i >= 0) this.conns.splice(i, 1);
    if (p.idleTimer) clearTimeout(p.idleTimer);
    closeConnection(p.conn);
  }

  /**
   * Runs fn on a connection through the pacer; failures come back mapped onto FsErrors
   * naming `what` (an action and a remote path).
   */
  async run<T>(what: string, fn: (c: Connection, p: Pooled) => Promise<T>, o: RunOptions = {}): Promise<T> {
    try {
      return await this.pacer.call(
        async () => {
          const p = await this.acquire(o.signal);
          let broken = false;
          try {
            return await (o.settle ? fn(p.conn, p) : abortable(fn(p.conn, p), o.signal));
          } catch (err) {
            broken = isConnectionLost(err) || p.conn.dead;
            if (broken && !(err instanceof FsError)) throw new ConnectionLost(`${(err as Error)?.message ?? String(err)}`);
            throw err;
          } finally {
            this.release(p, broken);
          }
        },
        { signal: o.signal, replayable: o.replayable, what },
      );
    } catch (err) {
      if (o.signal?.aborted) throw o.signal.reason instanceof Error ? o.signal.reason : err;
      throw mapSftpError(err, what, o.notFound);
    }
  }

  /** Live connections (for tests and the pool's own bookkeeping). */
  get size(): number {
    return this.conns.filter((p) => !p.conn.dead).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of [...this.conns]) this.drop(p);
  }
}

/** fn's result, or the signal's reason as soon as it fires (the request itself is left to finish). */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
