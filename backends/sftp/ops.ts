import type { FileEntryWithStats, InputAttributes, Stats } from 'ssh2';
import type { Connection } from './connect.js';
import { ConnectionLost } from './errors.js';

/**
 * ssh2's SFTP calls as promises that always settle. ssh2 fails the requests pending when a
 * channel closes, but a request sent after that (or one whose malformed answer it dropped)
 * keeps its callback forever: a promise that never settles would hang the run. So no
 * request is sent on a dead connection, and every one still waiting when the connection
 * dies is failed (connect.ts), as ConnectionLost: retried on a new one.
 */
function request<T>(c: Connection, send: (done: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  if (c.dead) return Promise.reject(new ConnectionLost(c.deathReason ?? 'the connection is closed'));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      c.pending.delete(fail);
      reject(err);
    };
    c.pending.add(fail);
    try {
      send((err, value) => {
        if (settled) return;
        settled = true;
        c.pending.delete(fail);
        if (err) reject(err);
        else resolve(value as T);
      });
    } catch (err) {
      fail(err as Error);
    }
  });
}

export function stat(c: Connection, p: string): Promise<Stats> {
  return request(c, (done) => c.sftp.stat(p, done));
}

export function lstat(c: Connection, p: string): Promise<Stats> {
  return request(c, (done) => c.sftp.lstat(p, done));
}

export function readdir(c: Connection, p: string): Promise<FileEntryWithStats[]> {
  return request(c, (done) => c.sftp.readdir(p, done));
}

export function mkdir(c: Connection, p: string): Promise<void> {
  return request(c, (done) => c.sftp.mkdir(p, done));
}

export function rmdir(c: Connection, p: string): Promise<void> {
  return request(c, (done) => c.sftp.rmdir(p, done));
}

export function unlink(c: Connection, p: string): Promise<void> {
  return request(c, (done) => c.sftp.unlink(p, done));
}

export function rename(c: Connection, from: string, to: string): Promise<void> {
  return request(c, (done) => c.sftp.rename(from, to, done));
}

export function posixRename(c: Connection, from: string, to: string): Promise<void> {
  return request(c, (done) => c.sftp.ext_openssh_rename(from, to, done));
}

export function setstat(c: Connection, p: string, attrs: InputAttributes): Promise<void> {
  return request(c, (done) => c.sftp.setstat(p, attrs, done));
}

export function open(c: Connection, p: string, flags: 'r' | 'w' | 'wx'): Promise<Buffer> {
  return request(c, (done) => c.sftp.open(p, flags, done));
}

export function fstat(c: Connection, h: Buffer): Promise<Stats> {
  return request(c, (done) => c.sftp.fstat(h, done));
}

export function close(c: Connection, h: Buffer): Promise<void> {
  return request(c, (done) => c.sftp.close(h, done));
}

export function write(c: Connection, h: Buffer, buf: Buffer, pos: number): Promise<void> {
  return request(c, (done) => c.sftp.write(h, buf, 0, buf.length, pos, done));
}

/** Reads up to len bytes at pos; 0 at the end of the file. */
export function read(c: Connection, h: Buffer, len: number, pos: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  return request<Buffer>(c, (done) =>
    c.sftp.read(h, buf, 0, len, pos, (e, n) => {
      // ssh2 reports the end of the file as an EOF status.
      if (e && (e as { code?: unknown }).code === 1) return done(undefined, buf.subarray(0, 0));
      if (e) return done(e);
      if (!Number.isInteger(n) || n < 0 || n > len) return done(new Error(`the server answered a read of ${len} bytes with ${n}`));
      done(undefined, buf.subarray(0, n));
    }),
  );
}

/** statvfs@openssh.com: the file system's sizes in blocks of frsize bytes. */
export interface StatVfs {
  f_frsize: number;
  f_blocks: number;
  f_bfree: number;
  f_bavail: number;
}

export function statvfs(c: Connection, p: string): Promise<StatVfs> {
  return request(c, (done) => c.sftp.ext_openssh_statvfs(p, (e, st) => done(e, st as StatVfs)));
}
